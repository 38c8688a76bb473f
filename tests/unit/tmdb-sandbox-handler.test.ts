/** The sandbox handler called in-process, as the app uses it: input validation and safety. */
import { describe, expect, test } from 'vitest';
import { createTmdbSandbox } from '../../src/lib/server/tmdb-sandbox/sandbox.ts';
import { createMemoryState } from '../support/tmdb-sandbox/memory-state.ts';
import { createTestSandbox } from '../support/tmdb-sandbox/sandbox.ts';

const KEY = 'unit-sandbox-key';
const BASE = 'http://sandbox.internal';

function sandbox(options: { now?: () => number } = {}) {
	return createTestSandbox({ credentials: [KEY], ...options });
}

function inAppSandbox() {
	return createTmdbSandbox({
		credentials: [KEY],
		webBasePath: '/sandbox/tmdb',
		state: createMemoryState().state
	});
}

async function json(response: Response): Promise<Record<string, unknown>> {
	return (await response.json()) as Record<string, unknown>;
}

function post(path: string, body: string, headers: Record<string, string> = {}): Request {
	return new Request(`${BASE}${path}?api_key=${KEY}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...headers },
		body
	});
}

describe('input validation', () => {
	test.each([
		['a non-JSON body', 'request_token=abc', 400, 47],
		['a JSON array', '[]', 400, 47],
		// TMDB answers a token it will not exchange with 17, malformed ones too (docs/tmdb.md).
		['a missing request_token', '{}', 401, 17],
		['a numeric request_token', '{"request_token":42}', 401, 17],
		['an oversized request_token', JSON.stringify({ request_token: 'a'.repeat(10_000) }), 401, 17],
		['an upper-case token', JSON.stringify({ request_token: 'A'.repeat(40) }), 401, 17],
		['an unknown token', JSON.stringify({ request_token: 'a'.repeat(40) }), 401, 17],
		[
			'an oversized body',
			JSON.stringify({ request_token: 'a'.repeat(40), pad: 'x'.repeat(20_000) }),
			400,
			47
		]
	])('session/new with %s answers HTTP %i code %i', async (_label, body, status, code) => {
		const response = await sandbox().handle(post('/3/authentication/session/new', body));
		expect(response.status).toBe(status);
		expect(await json(response)).toMatchObject({ success: false, status_code: code });
	});

	test('an oversized api_key is refused with code 7, not compared', async () => {
		const response = await sandbox().handle(
			new Request(`${BASE}/3/authentication?api_key=${'k'.repeat(5_000)}`)
		);
		expect(response.status).toBe(401);
		expect((await json(response)).status_code).toBe(7);
	});

	test('a malformed Authorization header is refused with code 7', async () => {
		const response = await sandbox().handle(
			new Request(`${BASE}/3/authentication`, { headers: { authorization: `Basic ${KEY}` } })
		);
		expect((await json(response)).status_code).toBe(7);
	});

	test('unknown API paths answer 404 code 34 and wrong methods 405 code 42', async () => {
		const box = sandbox();
		const unknown = await box.handle(new Request(`${BASE}/3/movie/550?api_key=${KEY}`));
		expect([unknown.status, (await json(unknown)).status_code]).toEqual([404, 34]);
		const wrongMethod = await box.handle(post('/3/account', '{}'));
		expect([wrongMethod.status, (await json(wrongMethod)).status_code]).toEqual([405, 42]);
	});

	test('a non-numeric or foreign account id is refused', async () => {
		const box = sandbox();
		const token = (
			await json(await box.handle(new Request(`${BASE}/3/authentication/token/new?api_key=${KEY}`)))
		).request_token as string;
		box.decideRequestToken(token, { approve: true, username: 'ada' });
		const session = (
			await json(
				await box.handle(
					post('/3/authentication/session/new', JSON.stringify({ request_token: token }))
				)
			)
		).session_id as string;
		const own = await box.handle(
			new Request(`${BASE}/3/account/4100001?api_key=${KEY}&session_id=${session}`)
		);
		expect(own.status).toBe(200);
		const foreign = await box.handle(
			new Request(`${BASE}/3/account/4100002?api_key=${KEY}&session_id=${session}`)
		);
		expect((await json(foreign)).status_code).toBe(3);
		const odd = await box.handle(
			new Request(`${BASE}/3/account/abc?api_key=${KEY}&session_id=${session}`)
		);
		expect(odd.status).toBe(404);
	});

	test('unknown web paths answer a plain 404', async () => {
		const response = await sandbox().handle(new Request(`${BASE}/login`));
		expect(response.status).toBe(404);
	});
});

describe('the in-app mount', () => {
	test('Authentication-Callback is a path under webBasePath', async () => {
		const response = await inAppSandbox().handle(
			new Request(`${BASE}/3/authentication/token/new?api_key=${KEY}`)
		);
		const { request_token } = await json(response);
		expect(response.headers.get('authentication-callback')).toBe(
			`/sandbox/tmdb/authenticate/${request_token as string}`
		);
	});

	test('the approval page links avatars under webBasePath', async () => {
		const box = inAppSandbox();
		const { request_token } = await json(
			await box.handle(new Request(`${BASE}/3/authentication/token/new?api_key=${KEY}`))
		);
		const html = await (
			await box.handle(new Request(`${BASE}/authenticate/${request_token as string}`))
		).text();
		expect(html).toContain('src="/sandbox/tmdb/t/p/w45/sandbox-ada.svg"');
	});
});

describe('request tokens', () => {
	test('expire after 60 minutes on the sandbox clock, then answer 17 like any refused token', async () => {
		let now = Date.parse('2026-03-01T12:00:00Z');
		const box = sandbox({ now: () => now });
		const body = await json(
			await box.handle(new Request(`${BASE}/3/authentication/token/new?api_key=${KEY}`))
		);
		expect(body.expires_at).toBe('2026-03-01 13:00:00 UTC');
		const token = body.request_token as string;
		now += 59 * 60_000;
		expect(box.decideRequestToken(token, { approve: true, username: 'ada' })).toBe(true);
		now += 60_000;
		const exchange = await box.handle(
			post('/3/authentication/session/new', JSON.stringify({ request_token: token }))
		);
		expect(exchange.status).toBe(401);
		expect(await json(exchange)).toEqual({
			success: false,
			failure: true,
			status_code: 17,
			status_message: 'Session denied.'
		});
	});

	test('typed usernames are validated', () => {
		const box = sandbox();
		expect(box.decideRequestToken('0'.repeat(40), { approve: true, username: 'ada' })).toBe(false);
	});
});

describe('R8.3 watchlists', () => {
	async function sessionFor(box: ReturnType<typeof sandbox>, username: string) {
		const token = (
			await json(await box.handle(new Request(`${BASE}/3/authentication/token/new?api_key=${KEY}`)))
		).request_token as string;
		box.decideRequestToken(token, { approve: true, username });
		const created = await box.handle(
			post('/3/authentication/session/new', JSON.stringify({ request_token: token }))
		);
		const sessionId = (await json(created)).session_id as string;
		const account = box.accounts.find((candidate) => candidate.username === username);
		const accountId =
			account?.id ??
			((
				await json(
					await box.handle(new Request(`${BASE}/3/account?api_key=${KEY}&session_id=${sessionId}`))
				)
			).id as number);
		return { sessionId, accountId };
	}

	function list(sessionId: string, accountId: number, query = '') {
		return new Request(
			`${BASE}/3/account/${accountId}/watchlist/movies?api_key=${KEY}&session_id=${sessionId}${query}`
		);
	}

	function change(sessionId: string, accountId: number, body: unknown) {
		return new Request(
			`${BASE}/3/account/${accountId}/watchlist?api_key=${KEY}&session_id=${sessionId}`,
			{
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify(body)
			}
		);
	}

	type Page = {
		page: number;
		results: Array<Record<string, unknown>>;
		total_pages: number;
		total_results: number;
	};

	test("ada has more than 20 movies: two pages of TMDB's shape, 20 per page", async () => {
		const box = sandbox();
		const { sessionId, accountId } = await sessionFor(box, 'ada');
		const first = (await json(await box.handle(list(sessionId, accountId)))) as Page;
		expect(first.page).toBe(1);
		expect(first.total_results).toBeGreaterThanOrEqual(21);
		expect(first.total_pages).toBe(2);
		expect(first.results).toHaveLength(20);
		expect(Object.keys(first.results[0]!).sort()).toEqual(
			[
				'adult',
				'backdrop_path',
				'genre_ids',
				'id',
				'original_language',
				'original_title',
				'overview',
				'popularity',
				'poster_path',
				'release_date',
				'title',
				'video',
				'vote_average',
				'vote_count'
			].sort()
		);
		const second = (await json(await box.handle(list(sessionId, accountId, '&page=2')))) as Page;
		expect(second.page).toBe(2);
		expect(second.results).toHaveLength(first.total_results - 20);
		const ids = [...first.results, ...second.results].map((movie) => movie.id);
		expect(new Set(ids).size).toBe(ids.length);
		// The shapes TMDB also sends: a movie without a poster, an unreleased one.
		expect(second.results.some((movie) => movie.poster_path === null)).toBe(true);
		expect(second.results.some((movie) => movie.release_date === '')).toBe(true);
		const past = (await json(await box.handle(list(sessionId, accountId, '&page=3')))) as Page;
		expect(past).toMatchObject({ page: 3, results: [], total_pages: 2 });
	});

	test('nameless starts empty; a typed username starts with three movies', async () => {
		const box = sandbox();
		const nameless = await sessionFor(box, 'nameless');
		expect(
			await json(await box.handle(list(nameless.sessionId, nameless.accountId)))
		).toMatchObject({ page: 1, results: [], total_results: 0 });
		const typed = await sessionFor(box, 'someone-new');
		expect(
			((await json(await box.handle(list(typed.sessionId, typed.accountId)))) as Page).results
		).toHaveLength(3);
	});

	test('remove answers 200 code 13 and the movie is gone; add answers 201 code 1, then 12', async () => {
		const box = sandbox();
		const { sessionId, accountId } = await sessionFor(box, 'grace');
		const before = (await json(await box.handle(list(sessionId, accountId)))) as Page;
		const movieId = before.results[0]!.id as number;
		const removed = await box.handle(
			change(sessionId, accountId, { media_type: 'movie', media_id: movieId, watchlist: false })
		);
		expect(removed.status).toBe(200);
		expect(await json(removed)).toMatchObject({ success: true, status_code: 13 });
		const after = (await json(await box.handle(list(sessionId, accountId)))) as Page;
		expect(after.total_results).toBe(before.total_results - 1);
		expect(after.results.map((movie) => movie.id)).not.toContain(movieId);

		const again = await box.handle(
			change(sessionId, accountId, { media_type: 'movie', media_id: movieId, watchlist: false })
		);
		expect(await json(again)).toMatchObject({ status_code: 13 });
		const added = await box.handle(
			change(sessionId, accountId, { media_type: 'movie', media_id: movieId, watchlist: true })
		);
		expect(added.status).toBe(201);
		expect(await json(added)).toMatchObject({ status_code: 1 });
		const twice = await box.handle(
			change(sessionId, accountId, { media_type: 'movie', media_id: movieId, watchlist: true })
		);
		expect(await json(twice)).toMatchObject({ status_code: 12 });
	});

	test.each([
		['a non-numeric media_id', { media_type: 'movie', media_id: '550', watchlist: false }, 422, 5],
		['a fractional media_id', { media_type: 'movie', media_id: 1.5, watchlist: false }, 422, 5],
		['a huge media_id', { media_type: 'movie', media_id: 1e300, watchlist: false }, 422, 5],
		['another media_type', { media_type: 'person', media_id: 9100001, watchlist: false }, 422, 5],
		['a missing watchlist flag', { media_type: 'movie', media_id: 9100001 }, 422, 5],
		[
			'a movie TMDB does not know',
			{ media_type: 'movie', media_id: 550, watchlist: false },
			404,
			34
		],
		['a body that is not an object', [1, 2], 400, 47]
	])('%s is refused (HTTP %i code %i) and changes nothing', async (_label, body, status, code) => {
		const box = sandbox();
		const { sessionId, accountId } = await sessionFor(box, 'grace');
		const before = await json(await box.handle(list(sessionId, accountId)));
		const response = await box.handle(change(sessionId, accountId, body));
		expect(response.status).toBe(status);
		expect(await json(response)).toMatchObject({ success: false, status_code: code });
		expect(await json(await box.handle(list(sessionId, accountId)))).toEqual(before);
	});

	test.each(['0', '501', 'abc', '-1', '1.5'])('page=%s answers 400 code 22', async (page) => {
		const box = sandbox();
		const { sessionId, accountId } = await sessionFor(box, 'ada');
		const response = await box.handle(list(sessionId, accountId, `&page=${page}`));
		expect(response.status).toBe(400);
		expect((await json(response)).status_code).toBe(22);
	});

	test("a revoked session, no session, or another account's id answers 401 code 3", async () => {
		const box = sandbox();
		const ada = await sessionFor(box, 'ada');
		const grace = await sessionFor(box, 'grace');
		for (const request of [
			list(ada.sessionId, grace.accountId),
			new Request(`${BASE}/3/account/${ada.accountId}/watchlist/movies?api_key=${KEY}`),
			change(ada.sessionId, grace.accountId, {
				media_type: 'movie',
				media_id: 9100022,
				watchlist: false
			})
		]) {
			const response = await box.handle(request);
			expect(response.status).toBe(401);
			expect((await json(response)).status_code).toBe(3);
		}
		expect(box.revokeSession(ada.sessionId)).toBe(true);
		const revoked = await box.handle(list(ada.sessionId, ada.accountId));
		expect(revoked.status).toBe(401);
		expect((await json(revoked)).status_code).toBe(3);
	});

	test('reset restores the seeded watchlists', async () => {
		const box = sandbox();
		let { sessionId, accountId } = await sessionFor(box, 'grace');
		const seeded = await json(await box.handle(list(sessionId, accountId)));
		const movieId = (seeded as Page).results[0]!.id;
		await box.handle(
			change(sessionId, accountId, { media_type: 'movie', media_id: movieId, watchlist: false })
		);
		box.reset();
		({ sessionId, accountId } = await sessionFor(box, 'grace'));
		expect(await json(await box.handle(list(sessionId, accountId)))).toEqual(seeded);
	});

	test('posters are SVGs at TMDB sizes; unknown ones are 404', async () => {
		const box = sandbox();
		const poster = await box.handle(new Request(`${BASE}/t/p/w185/sandbox-poster-9100001.svg`));
		expect(poster.status).toBe(200);
		expect(poster.headers.get('content-type')).toBe('image/svg+xml');
		const svg = await poster.text();
		expect(svg).toContain('width="185"');
		expect(svg).toContain('Metropolis');
		expect(svg).not.toContain('<script');
		for (const path of [
			'/t/p/w185/sandbox-poster-1.svg',
			'/t/p/w185/sandbox-poster-9100029.svg',
			'/t/p/huge/sandbox-poster-9100001.svg',
			'/t/p/w185/sandbox-poster-9100001.png'
		]) {
			expect((await box.handle(new Request(`${BASE}${path}`))).status).toBe(404);
		}
	});
});
