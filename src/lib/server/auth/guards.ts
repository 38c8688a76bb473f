import { getRequestEvent } from '$app/server';
import type { TmdbSessionClient } from '../tmdb/person-client.ts';
import { redirectToSignIn } from './return-path.ts';
import { sessionLogId } from './session-ends.ts';
import { deleteSessionCookie, tmdbSessionIdOf } from './sessions.ts';
import type { AppSession, AppUser } from './types.ts';

/**
 * For protected loads and actions: the signed-in person, their session and TMDB as that person,
 * or a redirect to sign-in that comes back to the current page afterwards. Guard every load and
 * action, not only a layout.
 *
 * `tmdb` adds the TMDB session id itself, so the id never passes through a page's code. When
 * TMDB answers that the session is dead (HTTP 401, code 3), our session ends then and there (row,
 * cookie, and its TMDB session queued like any other) and the person is sent to sign in again,
 * back to where they were afterwards.
 */
export function requireUser(): { user: AppUser; session: AppSession; tmdb: TmdbSessionClient } {
	const event = getRequestEvent();
	const { user, session, log, app } = event.locals;
	const tmdbSessionId = session && tmdbSessionIdOf(session);
	if (!user || !session || !tmdbSessionId) redirectToSignIn(event.url);
	const tmdb = app.tmdb.forSession({
		sessionId: tmdbSessionId,
		accountId: user.tmdbAccountId,
		onSessionInvalid: async (error) => {
			await app.sessions.endSessions({ sessionId: session.id }, 'revoked_at_tmdb');
			deleteSessionCookie(event);
			log.info(
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
	return { user, session, tmdb };
}
