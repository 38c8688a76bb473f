/**
 * The calls made as one signed-in person: the session id and account id are bound once, so
 * callers never handle the session id. Add account endpoints here (docs/tmdb.md); each goes
 * through the client's own `call`, with its retries, time budget and logging.
 */
import type { Logger } from '../log.ts';
import type { CallSpec } from './client.ts';
import { TmdbError } from './errors.ts';
import {
	accountMoviesResponseSchema,
	accountResponseSchema,
	toTmdbAccount,
	watchlistUpdateResponseSchema,
	type AccountMoviesResponse,
	type TmdbAccount
} from './schemas.ts';

/** A movie as account lists return it, flattened; `year` comes from `release_date`. */
export type TmdbMovie = {
	id: number;
	title: string;
	originalTitle: string | null;
	/** `YYYY-MM-DD`, or null when TMDB has none (unreleased). */
	releaseDate: string | null;
	year: number | null;
	posterPath: string | null;
	overview: string | null;
};

export type TmdbMoviePage = {
	page: number;
	totalPages: number;
	totalResults: number;
	movies: TmdbMovie[];
};

/** TMDB pages account lists by 20. */
export const TMDB_PAGE_SIZE = 20;
/** TMDB's `page` parameter: 1 to 500 (status_code 22 otherwise). */
export const MAX_TMDB_PAGE = 500;

export type TmdbSessionBinding = {
	sessionId: string;
	accountId: number;
	/**
	 * Called when TMDB answers that the session is dead (HTTP 401, code 3) before the error is
	 * thrown; the app ends its own session here and redirects (auth/guards.ts).
	 */
	onSessionInvalid?: (error: TmdbError) => Promise<void> | void;
};

export function createPersonClient(
	call: <T>(spec: CallSpec<T>) => Promise<T>,
	binding: TmdbSessionBinding,
	logger: () => Logger
) {
	async function callAs<T>(spec: Omit<CallSpec<T>, 'scope'>): Promise<T> {
		try {
			return await call({
				...spec,
				scope: 'account',
				pathParams: { account_id: binding.accountId, ...spec.pathParams },
				query: { ...spec.query, session_id: binding.sessionId }
			});
		} catch (error) {
			if (error instanceof TmdbError && error.kind === 'session_invalid') {
				await binding.onSessionInvalid?.(error);
			}
			throw error;
		}
	}
	return {
		async getAccount(): Promise<TmdbAccount> {
			const body = await callAs({
				method: 'GET',
				path: '/3/account/{account_id}',
				retry: 'transient_failures',
				schema: accountResponseSchema
			});
			return toTmdbAccount(body, logger());
		},

		/** One page (1-based) of the person's movie watchlist, oldest addition first. */
		async getWatchlistMovies(page = 1): Promise<TmdbMoviePage> {
			if (!Number.isInteger(page) || page < 1 || page > MAX_TMDB_PAGE) {
				throw new RangeError(`page must be 1 to ${MAX_TMDB_PAGE}`);
			}
			const body = await callAs({
				method: 'GET',
				path: '/3/account/{account_id}/watchlist/movies',
				retry: 'transient_failures',
				query: { page: String(page), sort_by: 'created_at.asc' },
				schema: accountMoviesResponseSchema
			});
			return toTmdbMoviePage(body);
		},

		/** Resolves also when the movie was not on the watchlist (TMDB answers 13 either way). */
		async removeFromWatchlist(movieId: number): Promise<void> {
			if (!Number.isSafeInteger(movieId) || movieId < 1) {
				throw new RangeError('movieId must be a positive integer');
			}
			// Repeating a removal removes nothing twice, so it is retried like a GET.
			await callAs({
				method: 'POST',
				path: '/3/account/{account_id}/watchlist',
				retry: 'transient_failures',
				body: { media_type: 'movie', media_id: movieId, watchlist: false },
				schema: watchlistUpdateResponseSchema
			});
		}
	};
}

export type TmdbSessionClient = ReturnType<typeof createPersonClient>;

/** Flattens TMDB's paged movie list; the year is read from `release_date` without Date.parse. */
export function toTmdbMoviePage(body: AccountMoviesResponse): TmdbMoviePage {
	return {
		page: body.page,
		totalPages: body.total_pages,
		totalResults: body.total_results,
		movies: body.results.map((movie) => {
			const date = movie.release_date ?? '';
			const releaseDate = /^\d{4}-\d{2}-\d{2}$/.test(date) ? date : null;
			return {
				id: movie.id,
				title: movie.title,
				originalTitle: movie.original_title ?? null,
				releaseDate,
				year: releaseDate ? Number(releaseDate.slice(0, 4)) : null,
				posterPath: movie.poster_path ?? null,
				overview: movie.overview || null
			};
		})
	};
}
