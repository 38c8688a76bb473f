/**
 * Ending sessions: sign-out (R3), ending sessions elsewhere (R6.4), and the TMDB sessions behind
 * them. TMDB is told best effort and bounded: however many sessions end at once ("sign out
 * everywhere else", the per-person cap), this process keeps at most a few DELETEs in flight with
 * the app's key, and when the wait is over every retry stops with it rather than going on in
 * the background. A TMDB failure never keeps anyone signed in (R3.1).
 */
import pLimit from 'p-limit';
import type { Logger } from '../log.ts';
import { isTmdbError } from '../tmdb/errors.ts';
import { deleteSessionCookie, type CookieJar } from './cookies.ts';
import type { AuthServices } from '../services.ts';
import { sessionLogId } from './session-token.ts';
import { tmdbSessionIdOf } from './sessions.ts';
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
	if (tmdbSessionId) await endTmdbSessionsQuietly(services, [tmdbSessionId], context.log);
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
	if (revoked.tmdbSessionId) await endTmdbSessionsQuietly(services, [revoked.tmdbSessionId], log);
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
	await endTmdbSessionsQuietly(services, tmdbSessionIds, log);
	return tmdbSessionIds.length;
}

/** Sign-out waits at most this long for TMDB before it carries on regardless. */
const TMDB_DELETE_WAIT_MS = 3_000;
const deleteSlots = pLimit(4);

/** Ends these TMDB sessions; returns how many TMDB confirmed within the wait. */
export async function endTmdbSessionsQuietly(
	services: Pick<AuthServices, 'tmdb'>,
	tmdbSessionIds: readonly string[],
	log: Logger
): Promise<number> {
	if (tmdbSessionIds.length === 0) return 0;
	const signal = AbortSignal.timeout(TMDB_DELETE_WAIT_MS);
	const outcomes = await Promise.all(
		tmdbSessionIds.map((id) => deleteSlots(() => endTmdbSession(services, id, signal, log)))
	);
	return outcomes.filter(Boolean).length;
}

async function endTmdbSession(
	services: Pick<AuthServices, 'tmdb'>,
	tmdbSessionId: string,
	signal: AbortSignal,
	log: Logger
): Promise<boolean> {
	try {
		if (signal.aborted) throw signal.reason;
		await services.tmdb.deleteSession(tmdbSessionId, { signal });
		log.info({ event: 'tmdb_session_deleted' }, 'TMDB session deleted');
		return true;
	} catch (error) {
		log.warn(
			{
				event: 'tmdb_session_delete_failed',
				reason: signal.aborted ? 'timeout' : 'tmdb_error',
				tmdbError: isTmdbError(error) ? error.kind : undefined
			},
			'TMDB session could not be deleted'
		);
		return false;
	}
}
