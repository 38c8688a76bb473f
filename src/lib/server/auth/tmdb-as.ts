/**
 * TMDB as the signed-in person. The auth hook binds a TMDB client to the request's
 * session (`locals.tmdb`, also returned by `requireUser()`): it adds the TMDB session id itself,
 * so the id never passes through a page's code, and it notices revocation at once. When TMDB
 * answers that the session is dead (HTTP 401, code 3), our session ends then and there (row and
 * cookie) and the person is sent to sign in again, back to where they were afterwards.
 */
import type { RequestEvent } from '@sveltejs/kit';
import type { TmdbSessionClient } from '../tmdb/client.ts';
import type { AuthServices } from '../services.ts';
import { redirectToSignIn } from './login.ts';
import { deleteSessionCookie, sessionLogId, tmdbSessionIdOf } from './sessions.ts';

/** The person's TMDB client, or null when the request has no session. */
export function tmdbAs(services: AuthServices, event: RequestEvent): TmdbSessionClient | null {
	const { session, user } = event.locals;
	const tmdbSessionId = session && tmdbSessionIdOf(session);
	if (!session || !user || !tmdbSessionId) return null;
	return services.tmdb.forSession({
		sessionId: tmdbSessionId,
		accountId: user.tmdbAccountId,
		onSessionInvalid: async (error) => {
			await services.sessions.invalidateSession(session.id);
			deleteSessionCookie(event);
			event.locals.log.info(
				{
					event: 'session_revoked_at_tmdb_during_call',
					session: sessionLogId(session.id),
					tmdb: { status: error.httpStatus, statusCode: error.statusCode }
				},
				'TMDB refused the session during a call; signed out'
			);
			redirectToSignIn(event.url, 'session_ended');
		}
	});
}
