/** Sign-out (R3) and ending sessions elsewhere (R6.4). */
import type { Logger } from '../log.ts';
import { deleteSessionCookie, type CookieJar } from './cookies.ts';
import type { AuthServices } from './services.ts';
import { sessionLogId } from './session-token.ts';
import { tmdbSessionIdOf } from './sessions.ts';
import { endTmdbSessionQuietly } from './tmdb-sessions.ts';
import type { AppSession } from './types.ts';

/**
 * Our side first (the row and the cookie), then TMDB: a TMDB failure must never keep the
 * person signed in.
 */
export async function signOut(
	services: AuthServices,
	context: { cookies: CookieJar; secure: boolean; log: Logger },
	session: AppSession | null
): Promise<void> {
	deleteSessionCookie(context.cookies, context.secure);
	if (!session) return;
	await services.sessions.invalidateSession(session.id);
	context.log.info({ event: 'sign_out', session: sessionLogId(session.id) }, 'signed out');
	const tmdbSessionId = tmdbSessionIdOf(session);
	if (tmdbSessionId) await endTmdbSessionQuietly(services, tmdbSessionId, context.log);
}

/** Ends one of the person's other sessions. Returns false when it is not theirs (or gone). */
export async function revokeSession(
	services: AuthServices,
	log: Logger,
	current: AppSession,
	sessionId: string
): Promise<boolean> {
	if (sessionId === current.id) return false;
	const revoked = await services.sessions.revokeSession(current.userId, sessionId);
	if (!revoked) return false;
	log.info({ event: 'session_revoked', session: sessionLogId(sessionId) }, 'session revoked');
	if (revoked.tmdbSessionId) await endTmdbSessionQuietly(services, revoked.tmdbSessionId, log);
	return true;
}

/** "Sign out everywhere else": every session of the person but this one. */
export async function revokeOtherSessions(
	services: AuthServices,
	log: Logger,
	current: AppSession
): Promise<number> {
	const tmdbSessionIds = await services.sessions.revokeOtherSessions(current.userId, current.id);
	log.info({ event: 'sessions_revoked', count: tmdbSessionIds.length }, 'other sessions revoked');
	await Promise.all(tmdbSessionIds.map((id) => endTmdbSessionQuietly(services, id, log)));
	return tmdbSessionIds.length;
}
