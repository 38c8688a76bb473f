import { FAILURES } from '$lib/failures';
import { completeTmdbLogin, LoginError } from '$lib/server/auth/login';
import { countSignInFinished } from '$lib/server/observability';
import { error, redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';

/**
 * TMDB sends the browser here after approval. There is nothing to show: the answer is a
 * redirect, to where the person was going or to the sign-in page with the reason, except when
 * there is no point trying again at once (429 with Retry-After, 503).
 */
export const load: PageServerLoad = async (event) => {
	let destination: string;
	try {
		const completed = await completeTmdbLogin(event);
		countSignInFinished(completed.kind);
		destination = completed.returnTo;
	} catch (caught) {
		if (!(caught instanceof LoginError)) throw caught;
		countSignInFinished(caught.code);
		// Failures of ours, not of this sign-in: another try at once would meet them too.
		if (caught.code === 'too_many_attempts') {
			error(FAILURES.too_many_attempts.status, FAILURES.too_many_attempts.message);
		}
		if (caught.code === 'database_unavailable') {
			event.setHeaders({ 'retry-after': '30' });
			error(FAILURES.database_unavailable.status, FAILURES.database_unavailable.message);
		}
		const ref = caught.details.errorId ? `&ref=${caught.details.errorId}` : '';
		destination = `/auth/login?error=${caught.code}${ref}`;
	}
	redirect(303, destination);
};
