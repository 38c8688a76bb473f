import { getRequestEvent } from '$app/server';
import type { TmdbSessionClient } from '../tmdb/client.ts';
import { redirectToSignIn } from './login.ts';
import type { AppSession, AppUser } from './types.ts';

/**
 * For protected loads and actions: the signed-in person, their session and their TMDB client,
 * or a redirect to sign-in that comes back to the current page afterwards. Guard every load and
 * action, not only a layout.
 */
export function requireUser(): { user: AppUser; session: AppSession; tmdb: TmdbSessionClient } {
	const event = getRequestEvent();
	const { user, session, tmdb } = event.locals;
	if (!user || !session || !tmdb) redirectToSignIn(event.url);
	return { user, session, tmdb };
}
