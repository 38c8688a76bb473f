import { FAILURES } from '$lib/failures';
import { requireUser } from '$lib/server/auth/guards';
import { imageUrl } from '$lib/server/tmdb/client';
import { MAX_TMDB_PAGE, TMDB_PAGE_SIZE } from '$lib/server/tmdb/person-client';
import { isTmdbError, type TmdbError } from '$lib/server/tmdb/errors';
import { error, fail, redirect } from '@sveltejs/kit';
import { z } from 'zod';
import type { Actions, PageServerLoad } from './$types';

/** `?page=` as people and links write it: 1 to 500, digits only. */
const pageParam = z
	.string()
	.regex(/^[1-9]\d{0,2}$/)
	.transform(Number)
	.refine((page) => page <= MAX_TMDB_PAGE);

/** TMDB trouble as the page shows it: TMDB's kind decides the words, never a 5xx page. */
function troubleOf(tmdbError: TmdbError) {
	return { message: tmdbError.userMessage, retryable: tmdbError.retryable };
}

export const load: PageServerLoad = async ({ url, locals }) => {
	const { tmdb } = requireUser();
	const pageText = url.searchParams.get('page');
	const page =
		pageText === null ? { success: true as const, data: 1 } : pageParam.safeParse(pageText);
	if (!page.success) error(400, 'That page number is not valid.');
	try {
		const watchlist = await tmdb.getWatchlistMovies(page.data);
		// Past the end (the last movie of the last page was removed): go back to the last page that
		// has movies, by TMDB's count of them. Never to this page or beyond, even when TMDB's page
		// count is stale, so this redirects at most once; otherwise the empty state shows.
		const lastPage = Math.min(Math.ceil(watchlist.totalResults / TMDB_PAGE_SIZE), MAX_TMDB_PAGE);
		if (watchlist.movies.length === 0 && lastPage >= 1 && lastPage < page.data) {
			redirect(303, lastPage === 1 ? '/watchlist' : `/watchlist?page=${lastPage}`);
		}
		const { config } = locals.app;
		return {
			watchlist: {
				page: watchlist.page,
				totalPages: watchlist.totalPages,
				totalResults: watchlist.totalResults,
				movies: watchlist.movies.map((movie) => ({
					id: movie.id,
					title: movie.title,
					year: movie.year,
					posterUrl: imageUrl(config.tmdb.imageUrl, movie.posterPath)
				}))
			},
			trouble: null
		};
	} catch (caught) {
		if (!isTmdbError(caught)) throw caught;
		return { watchlist: null, trouble: troubleOf(caught) };
	}
};

/** TMDB's movie ids are positive 32-bit integers; anything else never reaches TMDB. */
const removeForm = z.object({
	movieId: z
		.string()
		.regex(/^[1-9]\d{0,9}$/)
		.transform(Number)
		.refine((id) => id <= 2_147_483_647)
});

export const actions: Actions = {
	remove: async ({ request }) => {
		const { tmdb } = requireUser();
		const form = removeForm.safeParse(Object.fromEntries(await request.formData()));
		if (!form.success) {
			return fail(400, { message: 'That movie could not be found on your watchlist.' });
		}
		try {
			await tmdb.removeFromWatchlist(form.data.movieId);
		} catch (caught) {
			if (!isTmdbError(caught)) throw caught;
			return fail(FAILURES[caught.kind].status, troubleOf(caught));
		}
		return { message: 'Removed from your watchlist.' };
	}
};
