import { describe, expect, test } from 'vitest';
import type { Logger } from '../../src/lib/server/log.ts';
import { DOCUMENTED } from '../support/tmdb-reference-examples.ts';
import {
	accountMovieSchema,
	accountMoviesResponseSchema,
	accountResponseSchema,
	errorResponseSchema,
	formatTmdbDate,
	parseTmdbDate,
	requestTokenResponseSchema,
	MAX_NAME_LENGTH,
	MAX_USERNAME_LENGTH,
	toTmdbAccount,
	watchlistUpdateResponseSchema
} from '../../src/lib/server/tmdb/schemas.ts';

describe('expires_at', () => {
	test('parses TMDB\'s "YYYY-MM-DD HH:MM:SS UTC" as UTC', () => {
		expect(parseTmdbDate('2016-08-26 17:04:39 UTC')?.toISOString()).toBe(
			'2016-08-26T17:04:39.000Z'
		);
	});

	test.each([
		'2016-08-26T17:04:39Z',
		'2016-08-26 17:04:39',
		'2016-08-26 17:04:39 GMT',
		'2016-02-31 10:00:00 UTC',
		'2016-08-26 25:00:00 UTC',
		' 2016-08-26 17:04:39 UTC',
		''
	])('rejects %j', (value) => {
		expect(parseTmdbDate(value)).toBeNull();
	});

	test('formatTmdbDate writes what parseTmdbDate reads, dropping milliseconds', () => {
		const date = new Date('2030-01-02T03:04:05.678Z');
		expect(formatTmdbDate(date)).toBe('2030-01-02 03:04:05 UTC');
		expect(parseTmdbDate(formatTmdbDate(date))?.toISOString()).toBe('2030-01-02T03:04:05.000Z');
	});

	test('a token body with an ISO date is a schema mismatch', () => {
		const result = requestTokenResponseSchema.safeParse({
			success: true,
			expires_at: '2016-08-26T17:04:39Z',
			request_token: 'ff5c7eeb5a8870efe3cd7fc5c282cffd26800ecd'
		});
		expect(result.success).toBe(false);
	});

	test('a request token with characters unfit for a URL path is a schema mismatch', () => {
		const result = requestTokenResponseSchema.safeParse({
			success: true,
			expires_at: '2016-08-26 17:04:39 UTC',
			request_token: '../../evil?x=1'
		});
		expect(result.success).toBe(false);
	});
});

describe('account', () => {
	const base = { id: 548, username: 'travisbell', include_adult: false };

	test('maps the full shape', () => {
		const account = toTmdbAccount(
			accountResponseSchema.parse({
				...base,
				name: 'Travis Bell',
				iso_639_1: 'en',
				iso_3166_1: 'CA',
				avatar: {
					gravatar: { hash: 'c9e9fc152ee756a900db85757c29815d' },
					tmdb: { avatar_path: '/xy44UvpbTgzs9kWmp4C3fEaCl5h.png' }
				}
			})
		);
		expect(account).toEqual({
			id: 548,
			username: 'travisbell',
			name: 'Travis Bell',
			avatarPath: '/xy44UvpbTgzs9kWmp4C3fEaCl5h.png',
			gravatarHash: 'c9e9fc152ee756a900db85757c29815d',
			language: 'en',
			region: 'CA',
			includeAdult: false
		});
	});

	test('null avatar_path, empty name, no avatar.tmdb, no gravatar, no avatar at all', () => {
		const shapes = [
			{ ...base, name: '', avatar: { gravatar: { hash: null }, tmdb: { avatar_path: null } } },
			{ ...base, name: '', avatar: { gravatar: { hash: 'c9e9fc152ee756a900db85757c29815d' } } },
			{ ...base, name: '', avatar: { tmdb: { avatar_path: null } } },
			{ ...base, name: null },
			{ ...base }
		];
		for (const shape of shapes) {
			const account = toTmdbAccount(accountResponseSchema.parse(shape));
			expect(account.name).toBe('');
			expect(account.avatarPath).toBeNull();
			expect(account.language).toBeNull();
		}
	});

	test('an avatar path that could escape the image URL becomes null', () => {
		const account = toTmdbAccount(
			accountResponseSchema.parse({
				...base,
				avatar: { tmdb: { avatar_path: '//evil.example/x.png' }, gravatar: { hash: '<x>' } }
			})
		);
		expect(account.avatarPath).toBeNull();
		expect(account.gravatarHash).toBeNull();
	});

	test('a 200 KB username or name is cut to 64 and 128 characters, with a warn line', () => {
		const warnings: unknown[] = [];
		const log = { warn: (fields: unknown) => warnings.push(fields) } as unknown as Logger;
		const account = toTmdbAccount(
			accountResponseSchema.parse({
				...base,
				username: 'u'.repeat(200_000),
				name: '😀'.repeat(200)
			}),
			log
		);
		expect(account.username).toBe('u'.repeat(MAX_USERNAME_LENGTH));
		expect(MAX_USERNAME_LENGTH).toBe(64);
		// Characters, not UTF-16 units: an emoji is never cut in half.
		expect(Array.from(account.name)).toHaveLength(MAX_NAME_LENGTH);
		expect(MAX_NAME_LENGTH).toBe(128);
		expect(account.name).toBe('😀'.repeat(128));
		expect(warnings).toEqual([
			expect.objectContaining({
				event: 'tmdb_account_field_truncated',
				field: 'username',
				length: 200_000
			}),
			expect.objectContaining({ event: 'tmdb_account_field_truncated', field: 'name', length: 200 })
		]);
		// Within the bounds, nothing is cut and nothing is logged.
		warnings.length = 0;
		expect(toTmdbAccount(accountResponseSchema.parse(base), log).username).toBe(base.username);
		expect(warnings).toEqual([]);
	});

	test('a missing id or username is a schema mismatch', () => {
		expect(accountResponseSchema.safeParse({ username: 'x' }).success).toBe(false);
		expect(accountResponseSchema.safeParse({ id: 1, username: '' }).success).toBe(false);
	});
});

describe('error bodies', () => {
	test.each([
		{ success: false, status_code: 7, status_message: 'Invalid API key' },
		{ failure: true, status_code: 17, status_message: 'Session denied.' },
		{ status_code: 33, status_message: 'Invalid request token' },
		{ status_code: 3 }
	])('accepts %j', (body) => {
		expect(errorResponseSchema.safeParse(body).success).toBe(true);
	});

	test.each([{ success: true, status_code: 1 }, { status_message: 'no code' }, 'text', null])(
		'rejects %j',
		(body) => {
			expect(errorResponseSchema.safeParse(body).success).toBe(false);
		}
	);
});

describe('account movie lists (watchlist)', () => {
	const referenceExample = DOCUMENTED.watchlistMovies;

	test("TMDB's reference example parses", () => {
		const parsed = accountMoviesResponseSchema.parse(referenceExample);
		expect(parsed.results[0]).toEqual({
			id: 76726,
			title: 'Chronicle',
			original_title: 'Chronicle',
			release_date: '2012-02-01',
			poster_path: '/xENglsVIIWEEhhB5lgpy33tGcKI.jpg',
			overview: 'Three high school students make an incredible discovery.'
		});
	});

	test.each([
		['a movie without an id', { title: 'No id' }],
		['a movie without a title', { id: 5 }],
		['a negative id', { id: -5, title: 'Negative' }]
	])('%s fails the page (it could not be removed or shown)', (_label, movie) => {
		const result = accountMoviesResponseSchema.safeParse({ ...referenceExample, results: [movie] });
		expect(result.success).toBe(false);
	});

	test.each([
		['missing page', { results: [], total_pages: 1, total_results: 0 }],
		['missing results', { page: 1, total_pages: 1, total_results: 0 }],
		['page 0', { page: 0, results: [], total_pages: 1, total_results: 0 }]
	])('an envelope with %s is refused', (_label, body) => {
		expect(accountMoviesResponseSchema.safeParse(body).success).toBe(false);
	});

	test.each([null, 'poster.jpg', '/a/b.jpg', '/"><script>.jpg', `/${'a'.repeat(300)}.jpg`])(
		'poster_path %j becomes null (it ends up in an image URL)',
		(posterPath) => {
			const parsed = accountMovieSchema.parse({ id: 1, title: 'T', poster_path: posterPath });
			expect(parsed.poster_path).toBeNull();
		}
	);

	test.each([
		[{ status_code: 1, status_message: 'Success.' }, true],
		[
			{
				success: true,
				status_code: 12,
				status_message: 'The item/record was updated successfully.'
			},
			true
		],
		[
			{
				success: true,
				status_code: 13,
				status_message: 'The item/record was deleted successfully.'
			},
			true
		],
		[{ success: true, status_code: 3 }, false],
		[{ success: false, status_code: 13 }, false],
		[{ status_message: 'Success.' }, false]
	])('watchlist change %j parses: %s', (body, ok) => {
		expect(watchlistUpdateResponseSchema.safeParse(body).success).toBe(ok);
	});
});
