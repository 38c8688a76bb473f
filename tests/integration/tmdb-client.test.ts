import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { createLogger } from '../../src/lib/server/log.ts';
import {
	createTmdbClient,
	type TmdbClient,
	type TmdbClientOptions
} from '../../src/lib/server/tmdb/client.ts';
import { TmdbError, type TmdbErrorKind } from '../../src/lib/server/tmdb/errors.ts';
import type { FaultTarget as SandboxEndpoint } from '../support/tmdb-sandbox/faults.ts';
import { startSandboxServer, type SandboxServer } from '../support/tmdb-sandbox/server.ts';
import { RECORDED, type RecordedAnswer } from '../support/tmdb-reference-examples.ts';

const API_KEY = 'integration-test-api-key-0123456789';
const BEARER = 'eyJhbGciOiJIUzI1NiJ9.integration-read-token.signature';
const OTHER_KEY = 'another-apps-api-key';

let server: SandboxServer;

beforeAll(async () => {
	server = await startSandboxServer({ port: 0, credentials: [API_KEY, BEARER, OTHER_KEY] });
});
afterAll(async () => {
	await server.stop();
});
beforeEach(() => {
	server.sandbox.reset();
});

/** Simulated time: `sleep` records the wait and moves `now` forward instead of waiting. */
function fakeTime() {
	let offset = 0;
	const delays: number[] = [];
	return {
		delays,
		now: () => Date.now() + offset,
		sleep: async (ms: number) => {
			delays.push(ms);
			offset += ms;
		}
	};
}

function makeClient(overrides: Partial<TmdbClientOptions> = {}): TmdbClient {
	const time = fakeTime();
	return createTmdbClient({
		apiUrl: server.url,
		credential: { kind: 'api_key', apiKey: API_KEY },
		timeoutMs: 2_000,
		retryBudgetMs: 10_000,
		log: createLogger('silent'),
		now: time.now,
		sleep: time.sleep,
		random: () => 0.5,
		baseDelayMs: 100,
		...overrides
	});
}

function attemptsAt(endpoint: SandboxEndpoint): number {
	return server.sandbox.receivedRequests().filter((entry) => entry.endpoint === endpoint).length;
}

async function failureOf(promise: Promise<unknown>): Promise<TmdbError> {
	const error = await promise.then(
		() => {
			throw new Error('expected the call to fail');
		},
		(reason: unknown) => reason
	);
	expect(error).toBeInstanceOf(TmdbError);
	return error as TmdbError;
}

async function expectKind(promise: Promise<unknown>, kind: TmdbErrorKind): Promise<TmdbError> {
	const error = await failureOf(promise);
	expect(error.kind).toBe(kind);
	return error;
}

/** A request token approved for `username`, as if the person clicked Approve. */
async function approvedToken(client: TmdbClient, username = 'ada'): Promise<string> {
	const { requestToken } = await client.createRequestToken();
	expect(server.sandbox.decideRequestToken(requestToken, { approve: true, username })).toBe(true);
	return requestToken;
}

async function signedInSession(client: TmdbClient, username = 'ada'): Promise<string> {
	return client.createSession(await approvedToken(client, username));
}

describe('the sign-in calls against the sandbox', () => {
	test('R1.1 creates a 40-hex request token that expires in 60 minutes', async () => {
		const client = makeClient();
		// A pinned sandbox clock: comparing with the wall clock read afterwards failed when the
		// machine's clock stepped back a few milliseconds. TMDB's expires_at has whole seconds.
		server.sandbox.pinClock(Date.parse('2026-03-04T18:22:26.900Z'));
		const { requestToken, expiresAt } = await client.createRequestToken();
		expect(requestToken).toMatch(/^[0-9a-f]{40}$/);
		expect(expiresAt.toISOString()).toBe('2026-03-04T19:22:26.000Z');
	});

	test('R1.2 exchanges an approved token for a session and loads the account', async () => {
		const client = makeClient();
		const sessionId = await signedInSession(client, 'grace');
		expect(sessionId).toMatch(/^[0-9a-f]{40}$/);
		expect(await client.getAccount(sessionId)).toEqual({
			id: 4_100_002,
			username: 'grace',
			name: 'Grace Hopper',
			avatarPath: '/sandbox-grace.svg',
			gravatarHash: expect.stringMatching(/^[0-9a-f]{32}$/),
			language: 'en',
			region: 'US',
			includeAdult: false
		});
	});

	test('works the same with a bearer read access token, sent as a header', async () => {
		const client = makeClient({ credential: { kind: 'bearer', token: BEARER } });
		const account = await client.getAccount(await signedInSession(client));
		expect(account.username).toBe('ada');
		const auths = server.sandbox.receivedRequests().map((entry) => entry.auth);
		expect(new Set(auths)).toEqual(new Set(['bearer']));
	});

	test('handles the odd account shapes: null avatar_path and empty name', async () => {
		const client = makeClient();
		const account = await client.getAccount(await signedInSession(client, 'nameless'));
		expect(account).toMatchObject({ name: '', avatarPath: null, language: 'fr', region: 'FR' });
		expect(account.gravatarHash).toMatch(/^[0-9a-f]{32}$/);
	});

	test('handles an account without avatar.tmdb at all', async () => {
		const client = makeClient();
		const account = await client.getAccount(await signedInSession(client, 'oldtimer'));
		expect(account).toMatchObject({ name: 'Old Timer', avatarPath: null, includeAdult: true });
		expect(account.gravatarHash).not.toBeNull();
	});

	test('checkCredential resolves for an accepted key', async () => {
		await expect(makeClient().checkCredential()).resolves.toBeUndefined();
	});

	test('R3.1 deleteSession ends the session at TMDB', async () => {
		const client = makeClient();
		const sessionId = await signedInSession(client);
		await client.deleteSession(sessionId);
		await expectKind(client.getAccount(sessionId), 'session_invalid');
	});

	test('R3.1 deleteSession resolves when TMDB no longer knows the session', async () => {
		const client = makeClient();
		const sessionId = await signedInSession(client);
		server.sandbox.revokeSession(sessionId);
		await expect(client.deleteSession(sessionId)).resolves.toBeUndefined();
		expect(attemptsAt('session/delete')).toBe(1);
	});
});

describe('error kinds', () => {
	test('invalid_credential: a wrong key gives 401 code 7 and is not retried', async () => {
		const client = makeClient({ credential: { kind: 'api_key', apiKey: 'wrong-key' } });
		const error = await expectKind(client.checkCredential(), 'invalid_credential');
		expect(error).toMatchObject({ httpStatus: 401, statusCode: 7, retryable: false });
		expect(attemptsAt('authentication')).toBe(1);
	});

	// TMDB answers each of these alike, 401 code 17 (docs/tmdb.md); only the app can tell them apart.
	test.each<[string, (client: TmdbClient) => Promise<string>]>([
		['an unknown request token', async () => '0'.repeat(40)],
		[
			'a reused request token',
			async (client) => {
				const requestToken = await approvedToken(client);
				await client.createSession(requestToken);
				return requestToken;
			}
		],
		[
			'an expired request token',
			async (client) => {
				const requestToken = await approvedToken(client);
				server.sandbox.advanceClock(60 * 60_000 + 1_000);
				return requestToken;
			}
		],
		[
			'a token made with another API key',
			async () => approvedToken(makeClient({ credential: { kind: 'api_key', apiKey: OTHER_KEY } }))
		],
		['an unapproved token', async (client) => (await client.createRequestToken()).requestToken],
		[
			'a denied token',
			async (client) => {
				const { requestToken } = await client.createRequestToken();
				server.sandbox.decideRequestToken(requestToken, { approve: false });
				return requestToken;
			}
		]
	])('R1.3 token_refused: %s gives 401 code 17, not retried', async (_case, tokenFor) => {
		const client = makeClient();
		const requestToken = await tokenFor(client);
		server.sandbox.clearReceivedRequests();
		const error = await expectKind(client.createSession(requestToken), 'token_refused');
		expect(error).toMatchObject({ httpStatus: 401, statusCode: 17, retryable: false });
		expect(attemptsAt('session/new')).toBe(1);
	});

	test('R4.4 session_invalid: a revoked session gives 401 code 3 on account calls', async () => {
		const client = makeClient();
		const sessionId = await signedInSession(client);
		expect(server.sandbox.revokeAccountSessions({ username: 'ada' })).toBe(1);
		const error = await expectKind(client.getAccount(sessionId), 'session_invalid');
		expect(error).toMatchObject({ httpStatus: 401, statusCode: 3, retryable: false });
		expect(attemptsAt('account')).toBe(1);
	});

	test.each([
		[503, 9],
		[503, 46],
		[500, 11],
		[502, 43],
		[504, 24]
	] as const)('R5.1 unavailable: HTTP %i with code %i', async (httpStatus, statusCode) => {
		server.sandbox.injectFault(
			'authentication',
			{ kind: 'unavailable', httpStatus, statusCode },
			100
		);
		const error = await expectKind(makeClient().checkCredential(), 'unavailable');
		expect(error).toMatchObject({ httpStatus, statusCode, retryable: true });
		expect(error.userMessage).toMatch(/TMDB/);
	});

	test('R5.1 bad_response: malformed JSON is not retried, but a retry is offered', async () => {
		server.sandbox.injectFault('token/new', { kind: 'malformed_json' });
		const error = await expectKind(makeClient().createRequestToken(), 'bad_response');
		expect(error).toMatchObject({ httpStatus: 200, retryable: true });
		expect(error.userMessage).toBe('TMDB sent an answer we could not read. Try again in a minute.');
		expect(attemptsAt('token/new')).toBe(1);
	});

	test('R5.1 bad_response: valid JSON of the wrong shape', async () => {
		server.sandbox.injectFault('account', { kind: 'wrong_shape' });
		await expectKind(makeClient().getAccount('f'.repeat(40)), 'bad_response');
	});

	test('invalid_request: TMDB refusing the parameters (422 code 5) is not retried', async () => {
		server.sandbox.injectFault('token/new', { kind: 'tmdb_error', httpStatus: 422, statusCode: 5 });
		const error = await expectKind(makeClient().createRequestToken(), 'invalid_request');
		expect(error).toMatchObject({ httpStatus: 422, statusCode: 5, retryable: false });
		expect(attemptsAt('token/new')).toBe(1);
	});

	test('unknown: a TMDB error that means nothing to sign-in', async () => {
		server.sandbox.injectFault('token/new', { kind: 'tmdb_error', httpStatus: 403, statusCode: 8 });
		const error = await expectKind(makeClient().createRequestToken(), 'unknown');
		expect(error).toMatchObject({ httpStatus: 403, statusCode: 8, retryable: false });
		expect(attemptsAt('token/new')).toBe(1);
	});

	test('R5.4 network: connection refused, retried, then reported as network', async () => {
		const stopped = await startSandboxServer({ port: 0, credentials: [API_KEY] });
		await stopped.stop();
		const time = fakeTime();
		const client = makeClient({ apiUrl: stopped.url, sleep: time.sleep, now: time.now });
		const error = await expectKind(client.createRequestToken(), 'network');
		expect(error.retryable).toBe(true);
		expect(time.delays.length).toBe(4);
	});

	test('R5.4 network: a reset connection is retried for a GET', async () => {
		server.sandbox.injectFault('token/new', { kind: 'reset' });
		await makeClient().createRequestToken();
		expect(attemptsAt('token/new')).toBe(2);
	});

	test('R5.2 timeout: an attempt that hangs past timeoutMs is abandoned and retried', async () => {
		server.sandbox.injectFault('authentication', { kind: 'hang', delayMs: 1_000 });
		await makeClient({ timeoutMs: 100 }).checkCredential();
		expect(attemptsAt('authentication')).toBe(2);
	});

	test('R5.2 timeout: reported as timeout when every attempt hangs', async () => {
		server.sandbox.injectFault('authentication', { kind: 'hang' }, 2);
		const client = makeClient({ timeoutMs: 100, maxAttempts: 2 });
		const error = await expectKind(client.checkCredential(), 'timeout');
		expect(error.userMessage).toBe('TMDB did not answer. Try again in a minute.');
	});
});

describe('retries and the time budget', () => {
	test('R5.2 retries 503 with exponential backoff and jitter, then succeeds', async () => {
		server.sandbox.injectFault('token/new', { kind: 'unavailable' }, 3);
		const time = fakeTime();
		const client = makeClient({ sleep: time.sleep, now: time.now, random: () => 0.5 });
		await client.createRequestToken();
		expect(attemptsAt('token/new')).toBe(4);
		// random 0.5 of a window that doubles: 100, 200, 400 → 50, 100, 200.
		expect(time.delays).toEqual([50, 100, 200]);
	});

	test('R5.2 jitter: the wait is a random share of the growing window', async () => {
		server.sandbox.injectFault('token/new', { kind: 'unavailable' }, 2);
		const randoms = [0.9, 0.1];
		const time = fakeTime();
		const client = makeClient({
			sleep: time.sleep,
			now: time.now,
			random: () => randoms.shift() ?? 0
		});
		await client.createRequestToken();
		expect(time.delays).toEqual([90, 20]);
	});

	test('R5.2 stops once the next wait would not fit in the budget', async () => {
		server.sandbox.injectFault('token/new', { kind: 'unavailable' }, 100);
		const time = fakeTime();
		const client = makeClient({
			sleep: time.sleep,
			now: time.now,
			random: () => 0.99,
			baseDelayMs: 400,
			retryBudgetMs: 2_000,
			maxAttempts: 10
		});
		await expectKind(client.createRequestToken(), 'unavailable');
		// Waits of 396 and 792 fit in 2 s with room for an attempt; the next (1584) does not.
		expect(time.delays).toEqual([396, 792]);
		expect(attemptsAt('token/new')).toBe(3);
		const slept = time.delays.reduce((sum, ms) => sum + ms, 0);
		expect(slept).toBeLessThan(2_000);
	});

	test('R5.2 gives up after maxAttempts', async () => {
		server.sandbox.injectFault('token/new', { kind: 'unavailable' }, 100);
		await expectKind(makeClient({ maxAttempts: 3 }).createRequestToken(), 'unavailable');
		expect(attemptsAt('token/new')).toBe(3);
	});

	test('R5.3 honours Retry-After on 429', async () => {
		server.sandbox.injectFault('account', { kind: 'rate_limited', retryAfterSeconds: 2 });
		const time = fakeTime();
		const client = makeClient({ sleep: time.sleep, now: time.now });
		const sessionId = await signedInSession(client);
		await client.getAccount(sessionId);
		expect(time.delays).toEqual([2_000]);
		expect(attemptsAt('account')).toBe(2);
	});

	test('R5.3 fails at once with rate_limited when Retry-After exceeds the budget', async () => {
		server.sandbox.injectFault('token/new', { kind: 'rate_limited', retryAfterSeconds: 30 });
		const time = fakeTime();
		const client = makeClient({ sleep: time.sleep, now: time.now, retryBudgetMs: 5_000 });
		const error = await expectKind(client.createRequestToken(), 'rate_limited');
		expect(error).toMatchObject({ httpStatus: 429, statusCode: 25, retryAfterSeconds: 30 });
		expect(error.userMessage).toBe('TMDB is busy. Try again in 30 seconds.');
		expect(time.delays).toEqual([]);
		expect(attemptsAt('token/new')).toBe(1);
	});

	test('R5.3 429 without Retry-After falls back to backoff', async () => {
		server.sandbox.injectFault('token/new', { kind: 'rate_limited' }, 100);
		const time = fakeTime();
		const client = makeClient({ sleep: time.sleep, now: time.now, maxAttempts: 3 });
		const error = await expectKind(client.createRequestToken(), 'rate_limited');
		expect(error.retryAfterSeconds).toBeUndefined();
		expect(error.userMessage).toBe('TMDB is busy. Try again in a few seconds.');
		expect(time.delays).toEqual([50, 100]);
	});

	test('R5.2 a rate-limited code 25 body is honoured even without HTTP 429', async () => {
		server.sandbox.injectFault('token/new', {
			kind: 'tmdb_error',
			httpStatus: 400,
			statusCode: 25
		});
		await makeClient().createRequestToken();
		expect(attemptsAt('token/new')).toBe(2);
	});
});

describe('createSession is repeated only when TMDB provably did not act on it', () => {
	test('retried after 503 code 9 (service offline), then succeeds', async () => {
		const client = makeClient();
		const requestToken = await approvedToken(client);
		server.sandbox.injectFault('session/new', { kind: 'unavailable' });
		await expect(client.createSession(requestToken)).resolves.toMatch(/^[0-9a-f]{40}$/);
		expect(attemptsAt('session/new')).toBe(2);
	});

	test('retried after 429 from the rate limiter', async () => {
		const client = makeClient();
		const requestToken = await approvedToken(client);
		server.sandbox.injectFault('session/new', { kind: 'rate_limited', retryAfterSeconds: 1 });
		await client.createSession(requestToken);
		expect(attemptsAt('session/new')).toBe(2);
	});

	test('retried when the connection is refused (nothing was sent)', async () => {
		const stopped = await startSandboxServer({ port: 0, credentials: [API_KEY] });
		await stopped.stop();
		const time = fakeTime();
		const client = makeClient({ apiUrl: stopped.url, sleep: time.sleep, now: time.now });
		await expectKind(client.createSession('a'.repeat(40)), 'network');
		expect(time.delays.length).toBeGreaterThan(0);
	});

	test('not retried after a 500: TMDB may have created the session', async () => {
		const client = makeClient();
		const requestToken = await approvedToken(client);
		server.sandbox.injectFault('session/new', {
			kind: 'unavailable',
			httpStatus: 500,
			statusCode: 11
		});
		await expectKind(client.createSession(requestToken), 'unavailable');
		expect(attemptsAt('session/new')).toBe(1);
	});

	test('not retried after a reset connection', async () => {
		const client = makeClient();
		const requestToken = await approvedToken(client);
		server.sandbox.injectFault('session/new', { kind: 'reset' });
		await expectKind(client.createSession(requestToken), 'network');
		expect(attemptsAt('session/new')).toBe(1);
	});

	test('not retried after a timeout, because the sandbox then redeems the token', async () => {
		const client = makeClient({ timeoutMs: 100 });
		const requestToken = await approvedToken(client);
		server.sandbox.injectFault('session/new', { kind: 'hold' });
		await expectKind(client.createSession(requestToken), 'timeout');
		expect(attemptsAt('session/new')).toBe(1);
		// The slow request is acted on after all: the token is used up, as at TMDB.
		expect(server.sandbox.releaseHeldCalls()).toBe(1);
		const exchange = () =>
			server.sandbox.receivedRequests().find((entry) => entry.endpoint === 'session/new');
		await vi.waitFor(() => expect(exchange()?.status).toBe(200));
		await expectKind(client.createSession(requestToken), 'token_refused');
	});
});

describe("TMDB's recorded answers, replayed whole: status, headers and body (docs/tmdb.md)", () => {
	function replay(endpoint: SandboxEndpoint, answer: RecordedAnswer, count = 1) {
		server.sandbox.injectFault(endpoint, { kind: 'reply', ...answer }, count);
	}

	test('R1.3 session/new refusing a token as recorded in 2026: token_refused, asked once', async () => {
		const client = makeClient();
		const requestToken = await approvedToken(client);
		replay('session/new', RECORDED.sessionDenied);
		const error = await expectKind(client.createSession(requestToken), 'token_refused');
		expect(error).toMatchObject({ httpStatus: 401, statusCode: 17, retryable: false });
		expect(error.userMessage).toBe(
			'TMDB turned down that sign-in request: not approved, or used already. Please sign in again.'
		);
		expect(attemptsAt('session/new')).toBe(1);
	});

	test('R5.3 a 429 with Retry-After: 0 waits the backoff instead of retrying at once', async () => {
		replay('token/new', RECORDED.rateLimitedRetryAfterZero, 2);
		const time = fakeTime();
		await makeClient({ sleep: time.sleep, now: time.now }).createRequestToken();
		expect(attemptsAt('token/new')).toBe(3);
		// random 0.5 of the windows 100 and 200: the backoff, not Retry-After's zero.
		expect(time.delays).toEqual([50, 100]);
	});

	test('R5.3 Retry-After: 0 on every attempt ends as rate_limited, with no wait named', async () => {
		replay('token/new', RECORDED.rateLimitedRetryAfterZero, 100);
		const time = fakeTime();
		const client = makeClient({ sleep: time.sleep, now: time.now, maxAttempts: 3 });
		const error = await expectKind(client.createRequestToken(), 'rate_limited');
		expect(error).toMatchObject({ httpStatus: 429, statusCode: 25, retryable: true });
		expect(error.retryAfterSeconds).toBeUndefined();
		expect(error.userMessage).toBe('TMDB is busy. Try again in a few seconds.');
		expect(time.delays).toEqual([50, 100]);
	});

	test.each([
		['without success', RECORDED.validationErrors],
		['with success: false', RECORDED.validationErrorsWithSuccess]
	])(
		'invalid_request: a 422 {"errors": [...]} body %s is read, not retried',
		async (_case, answer) => {
			replay('token/new', answer);
			const error = await expectKind(makeClient().createRequestToken(), 'invalid_request');
			expect(error).toMatchObject({ httpStatus: 422, statusCode: undefined, retryable: false });
			expect(error.userMessage).toBe(
				'TMDB could not process the request Marquee sent. Please try again later.'
			);
			expect(error.message).toBe(
				'TMDB GET /3/authentication/token/new: invalid_request (HTTP 422, validation errors)'
			);
			expect(attemptsAt('token/new')).toBe(1);
		}
	);

	test("blocked: CloudFront's 403 page (a country block) is not retried, and says so", async () => {
		replay('token/new', RECORDED.cloudFrontBlocked);
		const error = await expectKind(makeClient().createRequestToken(), 'blocked');
		expect(error).toMatchObject({ httpStatus: 403, statusCode: undefined, retryable: false });
		expect(error.userMessage).toBe(
			'TMDB is refusing requests from Marquee right now. Please try again later.'
		);
		expect(attemptsAt('token/new')).toBe(1);
	});

	test.each([
		['with an empty body', RECORDED.cdnRateLimitedEmpty],
		['with its HTML page', RECORDED.cdnRateLimitedHtml]
	])("R5.3 the CDN's 429 %s is rate_limited, backed off and retried", async (_case, answer) => {
		replay('account', answer, 2);
		const time = fakeTime();
		const client = makeClient({ sleep: time.sleep, now: time.now });
		const sessionId = await signedInSession(client);
		expect((await client.getAccount(sessionId)).username).toBe('ada');
		expect(attemptsAt('account')).toBe(3);
		expect(time.delays).toEqual([50, 100]);
	});

	test("R5.3 the CDN's 429 on session/new proves TMDB did nothing: retried, then signed in", async () => {
		const client = makeClient();
		const requestToken = await approvedToken(client);
		replay('session/new', RECORDED.cdnRateLimitedEmpty);
		await expect(client.createSession(requestToken)).resolves.toMatch(/^[0-9a-f]{40}$/);
		expect(attemptsAt('session/new')).toBe(2);
	});

	test('R3.1 DELETE session answered with 7 while the key works: the session is taken as gone', async () => {
		const client = makeClient();
		const sessionId = await signedInSession(client);
		replay('session/delete', RECORDED.invalidApiKey);
		await expect(client.deleteSession(sessionId)).resolves.toBeUndefined();
		// The key was checked on its own before the 7 was put down to the session.
		expect(attemptsAt('authentication')).toBe(1);
	});

	test('R3.1 DELETE session answered with 7 for a key TMDB refuses everywhere: invalid_credential', async () => {
		const client = makeClient({ credential: { kind: 'api_key', apiKey: 'revoked-key' } });
		const error = await expectKind(client.deleteSession('c'.repeat(40)), 'invalid_credential');
		expect(error).toMatchObject({ httpStatus: 401, statusCode: 7 });
		expect(attemptsAt('session/delete')).toBe(1);
		expect(attemptsAt('authentication')).toBe(1);
	});
});

describe('R6.7 logging', () => {
	test('logs every attempt with path, status, code, attempt and duration, and no secrets', async () => {
		const lines: string[] = [];
		const destination = new Writable({
			write(chunk: Buffer, _encoding, callback) {
				lines.push(chunk.toString());
				callback();
			}
		});
		const log = createLogger('debug', destination);
		const client = makeClient({ log });
		const { requestToken } = await client.createRequestToken();
		server.sandbox.decideRequestToken(requestToken, { approve: true, username: 'ada' });
		server.sandbox.injectFault('session/new', { kind: 'unavailable' });
		const sessionId = await client.createSession(requestToken);
		await client.getAccount(sessionId);
		server.sandbox.revokeSession(sessionId);
		await client.getAccount(sessionId).catch(() => undefined);
		await client.createSession(requestToken).catch(() => undefined);

		const entries = lines.map((line) => JSON.parse(line) as { tmdb?: Record<string, unknown> });
		const calls = entries.map((entry) => entry.tmdb).filter((tmdb) => tmdb !== undefined);
		expect(calls.length).toBeGreaterThanOrEqual(6);
		expect(calls).toContainEqual(
			expect.objectContaining({
				method: 'POST',
				path: '/3/authentication/session/new',
				attempt: 1,
				status: 503,
				statusCode: 9,
				errorKind: 'unavailable',
				durationMs: expect.any(Number)
			})
		);
		expect(calls).toContainEqual(
			expect.objectContaining({ path: '/3/account', status: 401, statusCode: 3 })
		);
		const everything = lines.join('\n');
		for (const secret of [API_KEY, requestToken, sessionId]) {
			expect(everything).not.toContain(secret);
		}
		expect(everything).not.toContain('?');
	});

	test('error messages carry no key, token or session id', async () => {
		const client = makeClient();
		const { requestToken } = await client.createRequestToken();
		const error = await failureOf(client.createSession(requestToken));
		const stopped = await startSandboxServer({ port: 0, credentials: [API_KEY] });
		await stopped.stop();
		const networkError = await failureOf(
			makeClient({ apiUrl: stopped.url, maxAttempts: 1 }).getAccount('b'.repeat(40))
		);
		for (const text of [error.message, error.userMessage, networkError.message]) {
			expect(text).not.toContain(API_KEY);
			expect(text).not.toContain(requestToken);
			expect(text).not.toContain('b'.repeat(40));
		}
		expect(networkError.cause).toBeUndefined();
	});
});

describe('R8.1 as the signed-in person (forSession) against the sandbox', () => {
	async function personFor(client: TmdbClient, username: string) {
		const sessionId = await signedInSession(client, username);
		const account = await client.getAccount(sessionId);
		const invalidations: TmdbError[] = [];
		const person = client.forSession({
			sessionId,
			accountId: account.id,
			onSessionInvalid: (error) => {
				invalidations.push(error);
			}
		});
		return { sessionId, account, person, invalidations };
	}

	test('pages through the watchlist: 20, then the rest, no movie twice', async () => {
		const { person } = await personFor(makeClient(), 'ada');
		const first = await person.getWatchlistMovies(1);
		const second = await person.getWatchlistMovies(2);
		expect(first).toMatchObject({ page: 1, totalPages: 2 });
		expect(first.movies).toHaveLength(20);
		expect(second.movies).toHaveLength(first.totalResults - 20);
		const ids = [...first.movies, ...second.movies].map((movie) => movie.id);
		expect(new Set(ids).size).toBe(first.totalResults);
		expect(first.movies[0]).toMatchObject({ title: 'Metropolis', year: 1927 });
		expect(await person.getAccount()).toMatchObject({ username: 'ada' });
	});

	test('removes a movie; removing it again is fine; an unknown id is not_found', async () => {
		const { person, invalidations } = await personFor(makeClient(), 'grace');
		const before = await person.getWatchlistMovies();
		const [gone, ...rest] = before.movies;
		await person.removeFromWatchlist(gone!.id);
		await person.removeFromWatchlist(gone!.id);
		expect((await person.getWatchlistMovies()).movies).toEqual(rest);
		await expectKind(person.removeFromWatchlist(550), 'not_found');
		expect(invalidations).toEqual([]);
	});

	test('R4.4 R8.2 a session revoked at TMDB between two calls: session_invalid, the hook, no retry', async () => {
		const { person, invalidations } = await personFor(makeClient(), 'ada');
		await person.getWatchlistMovies();
		expect(server.sandbox.revokeAccountSessions({ username: 'ada' })).toBe(1);
		server.sandbox.clearReceivedRequests();
		const error = await expectKind(person.getWatchlistMovies(), 'session_invalid');
		expect(error).toMatchObject({ httpStatus: 401, statusCode: 3, retryable: false });
		expect(invalidations).toEqual([error]);
		expect(attemptsAt('watchlist/movies')).toBe(1);
		await expectKind(person.removeFromWatchlist(9_100_001), 'session_invalid');
		expect(invalidations).toHaveLength(2);
	});

	test('R5.3 a 429 on the watchlist is retried, then answered', async () => {
		const { person, invalidations } = await personFor(makeClient(), 'ada');
		server.sandbox.injectFault('watchlist/movies', { kind: 'rate_limited', retryAfterSeconds: 1 });
		server.sandbox.clearReceivedRequests();
		expect((await person.getWatchlistMovies()).movies).toHaveLength(20);
		expect(attemptsAt('watchlist/movies')).toBe(2);
		expect(invalidations).toEqual([]);
	});
});
