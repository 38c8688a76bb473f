/**
 * The sandbox must not drift from TMDB silently: its answers are checked against the client's
 * zod schemas, and so are the example bodies documented in tmdb-auth-api.md (copied below).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
	accountMoviesResponseSchema,
	accountResponseSchema,
	authenticationResponseSchema,
	deleteSessionResponseSchema,
	errorResponseSchema,
	requestTokenResponseSchema,
	sessionResponseSchema,
	validationErrorsSchema,
	watchlistUpdateResponseSchema
} from '../../src/lib/server/tmdb/schemas.ts';
import type {
	FaultTarget as SandboxEndpoint,
	SandboxFault
} from '../support/tmdb-sandbox/faults.ts';
import { startSandboxServer, type SandboxServer } from '../support/tmdb-sandbox/server.ts';
import { DOCUMENTED, RECORDED } from '../support/tmdb-reference-examples.ts';

const API_KEY = 'contract-test-key';

describe('documented TMDB bodies parse with the client schemas', () => {
	test('success bodies', () => {
		expect(authenticationResponseSchema.safeParse(DOCUMENTED.authentication).success).toBe(true);
		expect(sessionResponseSchema.safeParse(DOCUMENTED.sessionNew).success).toBe(true);
		expect(deleteSessionResponseSchema.safeParse(DOCUMENTED.deleteSession).success).toBe(true);
		const token = requestTokenResponseSchema.parse(DOCUMENTED.tokenNew);
		expect(token.expires_at.toISOString()).toBe('2016-08-26T17:04:39.000Z');
		expect(accountResponseSchema.parse(DOCUMENTED.account).id).toBe(548);
	});

	test('the odd account shapes: null avatar_path, empty name, no avatar.tmdb', () => {
		const { account } = DOCUMENTED;
		const variants = [
			{ ...account, avatar: { ...account.avatar, tmdb: { avatar_path: null } } },
			{ ...account, name: '' },
			{ ...account, avatar: { gravatar: account.avatar.gravatar } }
		];
		for (const variant of variants) {
			expect(accountResponseSchema.safeParse(variant).success).toBe(true);
		}
	});

	test('error bodies, including failure:true and ones without success', () => {
		for (const body of [
			DOCUMENTED.invalidKey,
			DOCUMENTED.sessionDenied,
			DOCUMENTED.rateLimited,
			DOCUMENTED.invalidTokenWithoutSuccess,
			DOCUMENTED.authenticationFailedWithoutSuccess,
			JSON.parse(RECORDED.sessionDenied.body),
			JSON.parse(RECORDED.rateLimitedRetryAfterZero.body),
			JSON.parse(RECORDED.invalidApiKey.body)
		]) {
			expect(errorResponseSchema.safeParse(body).success).toBe(true);
		}
	});

	test('validation bodies carry a list of messages and no status_code', () => {
		for (const answer of [RECORDED.validationErrors, RECORDED.validationErrorsWithSuccess]) {
			const body: unknown = JSON.parse(answer.body);
			expect(validationErrorsSchema.safeParse(body).success).toBe(true);
			expect(errorResponseSchema.safeParse(body).success).toBe(false);
		}
	});

	test('watchlist bodies', () => {
		expect(accountMoviesResponseSchema.parse(DOCUMENTED.watchlistMovies).results[0]?.id).toBe(
			76726
		);
		expect(watchlistUpdateResponseSchema.safeParse(DOCUMENTED.watchlistUpdate).success).toBe(true);
	});

	test('error bodies do not pass for success bodies, and vice versa', () => {
		expect(errorResponseSchema.safeParse(DOCUMENTED.authentication).success).toBe(false);
		expect(sessionResponseSchema.safeParse(DOCUMENTED.sessionDenied).success).toBe(false);
	});
});

describe('the sandbox answers in the documented shapes', () => {
	let server: SandboxServer;

	beforeAll(async () => {
		server = await startSandboxServer({ port: 0, credentials: [API_KEY] });
	});
	afterAll(async () => {
		await server.stop();
	});
	beforeEach(() => {
		server.sandbox.reset();
	});

	async function call(
		method: string,
		path: string,
		options: { query?: Record<string, string>; body?: unknown; apiKey?: string | null } = {}
	): Promise<{ status: number; body: unknown; headers: Headers }> {
		const url = new URL(path, server.url);
		const apiKey = options.apiKey === undefined ? API_KEY : options.apiKey;
		if (apiKey !== null) url.searchParams.set('api_key', apiKey);
		for (const [name, value] of Object.entries(options.query ?? {})) {
			url.searchParams.set(name, value);
		}
		const response = await fetch(url, {
			method,
			headers: options.body === undefined ? {} : { 'content-type': 'application/json' },
			body: options.body === undefined ? undefined : JSON.stringify(options.body)
		});
		return { status: response.status, body: await response.json(), headers: response.headers };
	}

	function expectTmdbError(
		answer: { status: number; body: unknown },
		httpStatus: number,
		statusCode: number
	) {
		expect(answer.status).toBe(httpStatus);
		const parsed = errorResponseSchema.parse(answer.body);
		expect(parsed.status_code).toBe(statusCode);
		expect(parsed.status_message).toEqual(expect.any(String));
	}

	async function newToken(): Promise<string> {
		const answer = await call('GET', '/3/authentication/token/new');
		return requestTokenResponseSchema.parse(answer.body).request_token;
	}

	async function newSession(username: string): Promise<string> {
		const token = await newToken();
		server.sandbox.decideRequestToken(token, { approve: true, username });
		const answer = await call('POST', '/3/authentication/session/new', {
			body: { request_token: token }
		});
		return sessionResponseSchema.parse(answer.body).session_id;
	}

	test('GET /3/authentication', async () => {
		const answer = await call('GET', '/3/authentication');
		expect(answer.status).toBe(200);
		expect(answer.body).toEqual(DOCUMENTED.authentication);
	});

	test('GET /3/authentication/token/new: 40 hex, TMDB date format, 60-minute life', async () => {
		// Pinned: the wall clock can step back between a test reading it and the sandbox reading
		// it (CI's VM did, by 2 ms). reset() unpins it.
		server.sandbox.pinClock(Date.UTC(2026, 10, 27, 18, 22, 26, 900));
		const answer = await call('GET', '/3/authentication/token/new');
		const raw = answer.body as { expires_at: string; request_token: string };
		expect(Object.keys(raw).sort()).toEqual(Object.keys(DOCUMENTED.tokenNew).sort());
		expect(raw.request_token).toMatch(/^[0-9a-f]{40}$/);
		// TMDB's format has whole seconds; the sandbox drops the milliseconds.
		expect(raw.expires_at).toBe('2026-11-27 19:22:26 UTC');
		const { expires_at } = requestTokenResponseSchema.parse(answer.body);
		expect(expires_at.getTime()).toBe(Date.UTC(2026, 10, 27, 19, 22, 26));
	});

	test('POST /3/authentication/session/new and DELETE /3/authentication/session', async () => {
		const sessionId = await newSession('ada');
		expect(sessionId).toMatch(/^[0-9a-f]{40}$/);
		const deleted = await call('DELETE', '/3/authentication/session', {
			body: { session_id: sessionId }
		});
		expect(deleted.status).toBe(200);
		expect(deleted.body).toEqual(DOCUMENTED.deleteSession);
	});

	test('GET /3/account and /3/account/{id} for every sandbox account', async () => {
		for (const account of server.sandbox.accounts) {
			const sessionId = await newSession(account.username);
			for (const path of ['/3/account', `/3/account/${account.id}`]) {
				const answer = await call('GET', path, { query: { session_id: sessionId } });
				expect(answer.status).toBe(200);
				const parsed = accountResponseSchema.parse(answer.body);
				expect(parsed).toMatchObject({ id: account.id, username: account.username });
				expect(Object.keys(answer.body as object).sort()).toEqual(
					Object.keys(DOCUMENTED.account).sort()
				);
			}
		}
	});

	test('the sandbox accounts include each odd shape TMDB produces', async () => {
		const bodies = [];
		for (const account of server.sandbox.accounts) {
			const sessionId = await newSession(account.username);
			bodies.push((await call('GET', '/3/account', { query: { session_id: sessionId } })).body);
		}
		const shapes = bodies as Array<{ name: string; avatar: { tmdb?: { avatar_path: unknown } } }>;
		expect(shapes.some((body) => body.name === '')).toBe(true);
		expect(shapes.some((body) => body.avatar.tmdb?.avatar_path === null)).toBe(true);
		expect(shapes.some((body) => body.avatar.tmdb === undefined)).toBe(true);
		expect(shapes.some((body) => typeof body.avatar.tmdb?.avatar_path === 'string')).toBe(true);
	});

	test('GET /3/account/{id}/watchlist/movies: the reference shape, every field, every page', async () => {
		const ada = server.sandbox.accounts.find((account) => account.username === 'ada')!;
		const sessionId = await newSession('ada');
		const path = `/3/account/${ada.id}/watchlist/movies`;
		const first = await call('GET', path, { query: { session_id: sessionId } });
		expect(first.status).toBe(200);
		const parsed = accountMoviesResponseSchema.parse(first.body);
		expect(parsed.total_results).toBeGreaterThanOrEqual(21);
		const raw = first.body as typeof DOCUMENTED.watchlistMovies;
		expect(Object.keys(raw).sort()).toEqual(Object.keys(DOCUMENTED.watchlistMovies).sort());
		expect(Object.keys(raw.results[0]!).sort()).toEqual(
			Object.keys(DOCUMENTED.watchlistMovies.results[0]!).sort()
		);
		const second = await call('GET', path, { query: { session_id: sessionId, page: '2' } });
		expect(accountMoviesResponseSchema.parse(second.body).page).toBe(2);
		expectTmdbError(
			await call('GET', path, { query: { session_id: sessionId, page: '0' } }),
			400,
			22
		);
	});

	test('POST /3/account/{id}/watchlist answers 1, 12 and 13 in the reference shape', async () => {
		const grace = server.sandbox.accounts.find((account) => account.username === 'grace')!;
		const sessionId = await newSession('grace');
		const change = (watchlist: boolean) =>
			call('POST', `/3/account/${grace.id}/watchlist`, {
				query: { session_id: sessionId },
				body: { media_type: 'movie', media_id: 9_100_001, watchlist }
			});
		const codes = [];
		for (const watchlist of [true, true, false]) {
			const answer = await change(watchlist);
			codes.push([answer.status, watchlistUpdateResponseSchema.parse(answer.body).status_code]);
		}
		expect(codes).toEqual([
			[201, 1],
			[201, 12],
			[200, 13]
		]);
		server.sandbox.revokeAccountSessions({ username: 'grace' });
		expectTmdbError(await change(false), 401, 3);
	});

	test('errors: codes paired with TMDB HTTP statuses', async () => {
		expectTmdbError(await call('GET', '/3/authentication', { apiKey: 'nope' }), 401, 7);
		expectTmdbError(await call('GET', '/3/authentication', { apiKey: null }), 401, 7);
		expectTmdbError(
			await call('POST', '/3/authentication/session/new', {
				body: { request_token: 'f'.repeat(40) }
			}),
			401,
			17
		);
		expectTmdbError(
			await call('GET', '/3/account', { query: { session_id: 'f'.repeat(40) } }),
			401,
			3
		);
		expectTmdbError(await call('GET', '/3/movie/550'), 404, 34);
		expectTmdbError(await call('POST', '/3/authentication/token/new', { body: {} }), 405, 42);
	});

	test('session/new with an unapproved, used or expired token answers the recorded body', async () => {
		const exchange = (requestToken: string) =>
			call('POST', '/3/authentication/session/new', { body: { request_token: requestToken } });
		const recorded = {
			status: RECORDED.sessionDenied.httpStatus,
			body: JSON.parse(RECORDED.sessionDenied.body)
		};
		const unapproved = await newToken();
		expect(await exchange(unapproved)).toMatchObject(recorded);
		const used = await newToken();
		server.sandbox.decideRequestToken(used, { approve: true, username: 'ada' });
		expect((await exchange(used)).status).toBe(200);
		expect(await exchange(used)).toMatchObject(recorded);
		const expired = await newToken();
		server.sandbox.decideRequestToken(expired, { approve: true, username: 'ada' });
		server.sandbox.advanceClock(60 * 60_000);
		expect(await exchange(expired)).toMatchObject(recorded);
	});

	test.each<[SandboxEndpoint, SandboxFault, number, number]>([
		['token/new', { kind: 'rate_limited', retryAfterSeconds: 3 }, 429, 25],
		['token/new', { kind: 'unavailable' }, 503, 9],
		['authentication', { kind: 'unavailable', statusCode: 46 }, 503, 46],
		['authentication', { kind: 'unavailable', statusCode: 24 }, 504, 24],
		['authentication', { kind: 'unavailable', statusCode: 43 }, 502, 43]
	])('injected fault on %s answers like TMDB (%j)', async (endpoint, fault, httpStatus, code) => {
		server.sandbox.injectFault(endpoint, fault);
		const path = endpoint === 'token/new' ? '/3/authentication/token/new' : '/3/authentication';
		const answer = await call('GET', path);
		expectTmdbError(answer, httpStatus, code);
		if (fault.kind === 'rate_limited') expect(answer.headers.get('retry-after')).toBe('3');
	});
});
