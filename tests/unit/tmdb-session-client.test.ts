/**
 * The calls made as the signed-in person (`client.forSession`): what goes on the wire, how answers
 * are read, and the session-invalid hook. TMDB is a fake `fetch` here; tests/integration covers
 * the same calls against the sandbox over HTTP.
 */
import { describe, expect, test } from 'vitest';
import { createLogger } from '../../src/lib/server/log.ts';
import { createTmdbClient, type TmdbClient } from '../../src/lib/server/tmdb/client.ts';
import { TmdbError } from '../../src/lib/server/tmdb/errors.ts';

const SESSION_ID = 'a'.repeat(40);
const ACCOUNT_ID = 4_100_001;

type Seen = { method: string; url: URL; body: unknown };

function fakeTmdb(answers: Array<{ status: number; body: unknown }>) {
	const seen: Seen[] = [];
	const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
		const request = new Request(input, init);
		const text = await request.text();
		seen.push({
			method: request.method,
			url: new URL(request.url),
			body: text === '' ? undefined : JSON.parse(text)
		});
		const answer = answers.shift() ?? { status: 500, body: { status_code: 11 } };
		return new Response(JSON.stringify(answer.body), {
			status: answer.status,
			headers: { 'content-type': 'application/json' }
		});
	};
	const client: TmdbClient = createTmdbClient({
		apiUrl: 'https://api.tmdb.test',
		credential: { kind: 'api_key', apiKey: 'unit-key' },
		timeoutMs: 1_000,
		retryBudgetMs: 2_000,
		log: createLogger('silent'),
		fetch,
		sleep: async () => {},
		random: () => 0
	});
	return { client, seen };
}

const movieJson = {
	adult: false,
	backdrop_path: '/b.jpg',
	genre_ids: [878],
	id: 76726,
	original_language: 'en',
	original_title: 'Chronicle',
	overview: 'Three students find powers.',
	popularity: 37.1,
	poster_path: '/xENglsVIIWEEhhB5lgpy33tGcKI.jpg',
	release_date: '2012-02-01',
	title: 'Chronicle',
	video: false,
	vote_average: 6.8,
	vote_count: 4741
};

describe('R8.1 getWatchlistMovies', () => {
	test('asks for the page of this account with the session, and flattens the answer', async () => {
		const { client, seen } = fakeTmdb([
			{
				status: 200,
				body: { page: 2, results: [movieJson], total_pages: 34, total_results: 677 }
			}
		]);
		const page = await client
			.forSession({ sessionId: SESSION_ID, accountId: ACCOUNT_ID })
			.getWatchlistMovies(2);
		expect(page).toEqual({
			page: 2,
			totalPages: 34,
			totalResults: 677,
			movies: [
				{
					id: 76726,
					title: 'Chronicle',
					originalTitle: 'Chronicle',
					releaseDate: '2012-02-01',
					year: 2012,
					posterPath: '/xENglsVIIWEEhhB5lgpy33tGcKI.jpg',
					overview: 'Three students find powers.'
				}
			]
		});
		expect(seen).toHaveLength(1);
		expect(seen[0]!.method).toBe('GET');
		expect(seen[0]!.url.pathname).toBe(`/3/account/${ACCOUNT_ID}/watchlist/movies`);
		expect(Object.fromEntries(seen[0]!.url.searchParams)).toEqual({
			api_key: 'unit-key',
			session_id: SESSION_ID,
			page: '2',
			sort_by: 'created_at.asc'
		});
	});

	test('no poster, an empty release date and odd cosmetic fields become null', async () => {
		const { client } = fakeTmdb([
			{
				status: 200,
				body: {
					page: 1,
					results: [
						{ ...movieJson, id: 1, poster_path: null, release_date: '', overview: '' },
						{ ...movieJson, id: 2, poster_path: '/../../evil"><script>', release_date: 2012 }
					],
					total_pages: 1,
					total_results: 2
				}
			}
		]);
		const { movies } = await client
			.forSession({ sessionId: SESSION_ID, accountId: ACCOUNT_ID })
			.getWatchlistMovies();
		expect(movies.map((movie) => [movie.posterPath, movie.releaseDate, movie.year])).toEqual([
			[null, null, null],
			[null, null, null]
		]);
		expect(movies[0]!.overview).toBeNull();
	});

	test.each([0, -1, 501, 1.5, Number.NaN])('page %s is refused before any call', async (page) => {
		const { client, seen } = fakeTmdb([]);
		await expect(
			client.forSession({ sessionId: SESSION_ID, accountId: ACCOUNT_ID }).getWatchlistMovies(page)
		).rejects.toThrow(RangeError);
		expect(seen).toHaveLength(0);
	});

	test('a body without results is a bad_response, not an empty watchlist', async () => {
		const { client } = fakeTmdb([{ status: 200, body: { page: 1, total_pages: 1 } }]);
		await expect(
			client.forSession({ sessionId: SESSION_ID, accountId: ACCOUNT_ID }).getWatchlistMovies()
		).rejects.toMatchObject({ kind: 'bad_response' });
	});
});

describe('R8.1 removeFromWatchlist', () => {
	test("posts TMDB's documented body to this account and accepts status_code 13", async () => {
		const { client, seen } = fakeTmdb([
			{
				status: 200,
				body: {
					success: true,
					status_code: 13,
					status_message: 'The item/record was deleted successfully.'
				}
			}
		]);
		await client
			.forSession({ sessionId: SESSION_ID, accountId: ACCOUNT_ID })
			.removeFromWatchlist(550);
		expect(seen[0]!.method).toBe('POST');
		expect(seen[0]!.url.pathname).toBe(`/3/account/${ACCOUNT_ID}/watchlist`);
		expect(seen[0]!.url.searchParams.get('session_id')).toBe(SESSION_ID);
		expect(seen[0]!.body).toEqual({ media_type: 'movie', media_id: 550, watchlist: false });
	});

	test.each([1, 12])("status_code %i (TMDB's reference example) is success too", async (code) => {
		const { client } = fakeTmdb([{ status: 201, body: { status_code: code } }]);
		await expect(
			client.forSession({ sessionId: SESSION_ID, accountId: ACCOUNT_ID }).removeFromWatchlist(1)
		).resolves.toBeUndefined();
	});

	test('an unknown movie is not_found, and the person stays signed in', async () => {
		const { client } = fakeTmdb([
			{ status: 404, body: { success: false, status_code: 34, status_message: 'Not found' } }
		]);
		let hookCalls = 0;
		const error = await client
			.forSession({
				sessionId: SESSION_ID,
				accountId: ACCOUNT_ID,
				onSessionInvalid: () => {
					hookCalls += 1;
				}
			})
			.removeFromWatchlist(999_999_999)
			.catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(TmdbError);
		expect(error).toMatchObject({ kind: 'not_found', httpStatus: 404, statusCode: 34 });
		expect(hookCalls).toBe(0);
	});

	test.each([0, -3, 2.5, Number.MAX_SAFE_INTEGER + 1])(
		'movie id %s is refused before any call',
		async (movieId) => {
			const { client, seen } = fakeTmdb([]);
			await expect(
				client
					.forSession({ sessionId: SESSION_ID, accountId: ACCOUNT_ID })
					.removeFromWatchlist(movieId)
			).rejects.toThrow(RangeError);
			expect(seen).toHaveLength(0);
		}
	);
});

describe('R8.2 a dead session (HTTP 401, code 3)', () => {
	test('calls the hook once, then throws session_invalid; never retried', async () => {
		const { client, seen } = fakeTmdb([
			{ status: 401, body: { success: false, status_code: 3, status_message: 'Denied' } }
		]);
		const hookErrors: TmdbError[] = [];
		const error = await client
			.forSession({
				sessionId: SESSION_ID,
				accountId: ACCOUNT_ID,
				onSessionInvalid: (caught) => {
					hookErrors.push(caught);
				}
			})
			.getWatchlistMovies()
			.catch((caught: unknown) => caught);
		expect(error).toMatchObject({ kind: 'session_invalid', httpStatus: 401, statusCode: 3 });
		expect(hookErrors).toEqual([error]);
		expect(seen).toHaveLength(1);
	});

	test('whatever the hook throws (the app throws a redirect) is what the caller sees', async () => {
		const { client } = fakeTmdb([{ status: 401, body: { status_code: 3 } }]);
		const redirect = { status: 303, location: '/auth/login' };
		await expect(
			client
				.forSession({
					sessionId: SESSION_ID,
					accountId: ACCOUNT_ID,
					onSessionInvalid: () => {
						throw redirect;
					}
				})
				.getAccount()
		).rejects.toBe(redirect);
	});

	test('rate limiting and outages are retried and do not call the hook', async () => {
		const { client, seen } = fakeTmdb([
			{ status: 429, body: { status_code: 25 } },
			{ status: 503, body: { status_code: 9 } },
			{ status: 200, body: { page: 1, results: [], total_pages: 1, total_results: 0 } }
		]);
		let hookCalls = 0;
		const page = await client
			.forSession({
				sessionId: SESSION_ID,
				accountId: ACCOUNT_ID,
				onSessionInvalid: () => {
					hookCalls += 1;
				}
			})
			.getWatchlistMovies();
		expect(page.movies).toEqual([]);
		expect(seen).toHaveLength(3);
		expect(hookCalls).toBe(0);
	});
});

describe('R6.7 secrets', () => {
	test('error messages name the path template, never the session id or account id', async () => {
		const { client } = fakeTmdb([{ status: 401, body: { status_code: 3 } }]);
		const error = (await client
			.forSession({ sessionId: SESSION_ID, accountId: ACCOUNT_ID })
			.getWatchlistMovies()
			.catch((caught: unknown) => caught)) as TmdbError;
		expect(error.message).toBe(
			'TMDB GET /3/account/{account_id}/watchlist/movies: session_invalid (HTTP 401, status_code 3)'
		);
		expect(JSON.stringify({ ...error, message: error.message })).not.toContain(SESSION_ID);
	});
});
