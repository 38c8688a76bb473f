/**
 * zod schemas for every TMDB response the app reads. They accept TMDB's real, sometimes odd,
 * shapes (see ../../../../docs/tmdb.md): `expires_at` as `YYYY-MM-DD HH:MM:SS UTC`, error bodies
 * with `failure: true` or without `success`, accounts with a null avatar path, an empty name or
 * no `avatar.tmdb` at all. The sandbox's contract test parses its answers with these same schemas.
 */
import { z } from 'zod';
import type { Logger } from '../log.ts';

const TMDB_DATE = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) UTC$/;

/**
 * Parses TMDB's `2016-08-26 17:04:39 UTC` into a Date. Rewritten to ISO 8601 first because
 * `new Date('2016-08-26 17:04:39 UTC')` is an Invalid Date in some engines (Safari).
 */
export function parseTmdbDate(value: string): Date | null {
	const match = TMDB_DATE.exec(value);
	if (!match) return null;
	const date = new Date(`${match[1]}T${match[2]}Z`);
	// Date rolls 2024-02-31 over into March; reject instead of silently moving the date.
	if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== match[1]) return null;
	return date;
}

/** Formats a Date the way TMDB does, for the sandbox. */
export function formatTmdbDate(date: Date): string {
	return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export const tmdbDateSchema = z.string().transform((value, ctx) => {
	const date = parseTmdbDate(value);
	if (!date) {
		ctx.addIssue({ code: 'custom', message: 'expected a date like 2016-08-26 17:04:39 UTC' });
		return z.NEVER;
	}
	return date;
});

/**
 * Request tokens and session ids are 40 hex characters today. The schema is looser on purpose
 * (TMDB could lengthen them) but still restricted to URL-safe characters, because request tokens
 * end up in the approval URL's path.
 */
const opaqueIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'expected an opaque id');

export const requestTokenResponseSchema = z.object({
	success: z.literal(true),
	expires_at: tmdbDateSchema,
	request_token: opaqueIdSchema
});

export const sessionResponseSchema = z.object({
	success: z.literal(true),
	session_id: opaqueIdSchema
});

export const deleteSessionResponseSchema = z.object({
	success: z.literal(true)
});

export const authenticationResponseSchema = z.object({
	success: z.literal(true),
	status_code: z.number().int().optional(),
	status_message: z.string().optional()
});

export const accountResponseSchema = z.object({
	id: z.number().int().nonnegative(),
	username: z.string().min(1),
	name: z.string().nullish(),
	iso_639_1: z.string().nullish(),
	iso_3166_1: z.string().nullish(),
	include_adult: z.boolean().nullish(),
	avatar: z
		.object({
			gravatar: z.object({ hash: z.string().nullish() }).nullish(),
			tmdb: z.object({ avatar_path: z.string().nullish() }).nullish()
		})
		.nullish()
});

/** A TMDB image path such as `/xENglsVIIWEEhhB5lgpy33tGcKI.jpg`; it ends up inside an image URL. */
const SAFE_IMAGE_PATH = /^\/[A-Za-z0-9._-]{1,200}$/;

/**
 * One movie of a paged account list (`/3/account/{account_id}/watchlist/movies`, and the same shape
 * for favourites and ratings). Only `id` and `title` are required: the rest is cosmetic, so an odd
 * value there becomes null instead of failing the whole page. TMDB sends `poster_path: null` for
 * movies without a poster and `release_date: ""` for unreleased ones.
 */
export const accountMovieSchema = z.object({
	id: z.number().int().positive(),
	title: z.string(),
	original_title: z.string().nullish().catch(null),
	release_date: z.string().nullish().catch(null),
	poster_path: z.string().regex(SAFE_IMAGE_PATH).nullish().catch(null),
	overview: z.string().nullish().catch(null)
});

/** TMDB's paged list envelope: `page` is 1-based, at most 500. */
export const accountMoviesResponseSchema = z.object({
	page: z.number().int().positive(),
	results: z.array(accountMovieSchema),
	total_pages: z.number().int().nonnegative(),
	total_results: z.number().int().nonnegative()
});

/**
 * POST /3/account/{account_id}/watchlist: 1 (added), 12 (already there, updated) or 13 (removed).
 * TMDB's reference shows `{status_code, status_message}`; `success` appears in real answers too.
 */
export const watchlistUpdateResponseSchema = z.object({
	success: z.literal(true).optional(),
	status_code: z.union([z.literal(1), z.literal(12), z.literal(13)]),
	status_message: z.string().optional()
});

/**
 * TMDB's error bodies: usually `{success:false,status_code,status_message}`, but session/new has
 * answered `{failure:true,...}` and some errors carry no `success` at all.
 */
export const errorResponseSchema = z.object({
	success: z.literal(false).optional(),
	failure: z.literal(true).optional(),
	status_code: z.number().int(),
	status_message: z.string().optional()
});

/** TMDB's validation answers (HTTP 422) carry a list of messages and no status_code. */
export const validationErrorsSchema = z.object({ errors: z.array(z.string()).min(1) });

export type AccountResponse = z.output<typeof accountResponseSchema>;
export type AccountMoviesResponse = z.output<typeof accountMoviesResponseSchema>;
export type ErrorResponse = z.output<typeof errorResponseSchema>;

// --- The account as the app keeps it ---

export type TmdbAccount = {
	id: number;
	username: string;
	name: string;
	avatarPath: string | null;
	gravatarHash: string | null;
	language: string | null;
	region: string | null;
	includeAdult: boolean;
};

const SAFE_AVATAR_PATH = /^\/[A-Za-z0-9._-]{1,200}$/;
const SAFE_GRAVATAR_HASH = /^[a-f0-9]{32,64}$/i;

/**
 * TMDB usernames are short and names are people's names; anything much longer is stored and shown
 * cut to these generous bounds (in characters), so one odd account cannot make every page huge.
 */
export const MAX_USERNAME_LENGTH = 64;
export const MAX_NAME_LENGTH = 128;

function bounded(value: string, max: number, field: string, log?: Logger): string {
	const characters = Array.from(value);
	if (characters.length <= max) return value;
	log?.warn(
		{ event: 'tmdb_account_field_truncated', field, length: characters.length, max },
		'TMDB sent an account field longer than we keep; it is cut'
	);
	return characters.slice(0, max).join('');
}

/**
 * Flattens TMDB's account shape. Avatar fields are cosmetic, so an odd value there becomes null
 * instead of failing sign-in; they are restricted because they end up inside image URLs.
 */
export function toTmdbAccount(body: AccountResponse, log?: Logger): TmdbAccount {
	const avatarPath = body.avatar?.tmdb?.avatar_path ?? null;
	const gravatarHash = body.avatar?.gravatar?.hash ?? null;
	return {
		id: body.id,
		username: bounded(body.username, MAX_USERNAME_LENGTH, 'username', log),
		name: bounded(body.name ?? '', MAX_NAME_LENGTH, 'name', log),
		avatarPath: avatarPath !== null && SAFE_AVATAR_PATH.test(avatarPath) ? avatarPath : null,
		gravatarHash:
			gravatarHash !== null && SAFE_GRAVATAR_HASH.test(gravatarHash) ? gravatarHash : null,
		language: body.iso_639_1 || null,
		region: body.iso_3166_1 || null,
		includeAdult: body.include_adult ?? false
	};
}
