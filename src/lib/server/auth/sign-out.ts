/**
 * Ending sessions: sign-out, ending sessions elsewhere, and the TMDB sessions behind them. TMDB is told best effort and bounded: however many sessions end at once ("sign out
 * everywhere else", the per-person cap), this process keeps at most a few DELETEs in flight with
 * the app's key, and when the wait is over every retry stops with it rather than going on in
 * the background. A TMDB failure never keeps anyone signed in.
 */
import type { RequestEvent } from '@sveltejs/kit';
import pLimit from 'p-limit';
import { deleteOtherUserSessions, deleteUserSession } from '../db/auth.ts';
import type { Logger } from '../log.ts';
import type { AuthServices } from '../services.ts';
import { isTmdbError } from '../tmdb/errors.ts';
import { deleteSessionCookie, sessionLogId, tmdbSessionIdOf } from './sessions.ts';

type SessionEvent = Pick<RequestEvent, 'cookies' | 'url' | 'locals'>;

/**
 * Our side first (the row and the cookie), then TMDB: a TMDB failure must never keep the
 * person signed in.
 */
export async function signOut(services: AuthServices, event: SessionEvent): Promise<void> {
	const { session, log } = event.locals;
	deleteSessionCookie(event);
	event.locals.user = null;
	event.locals.session = null;
	if (!session) return;
	await services.sessions.invalidateSession(session.id);
	log.info({ event: 'sign_out', session: sessionLogId(session.id) }, 'signed out');
	const tmdbSessionId = tmdbSessionIdOf(session);
	if (tmdbSessionId) await endTmdbSessionsQuietly(services, [tmdbSessionId], log);
}

/** Ends one of the person's other sessions. Returns false when it is not theirs (or gone). */
export async function revokeSession(
	services: AuthServices,
	event: SessionEvent,
	sessionId: string
): Promise<boolean> {
	const { session: current, log } = event.locals;
	if (!current || sessionId === current.id) return false;
	const revoked = await deleteUserSession(services.sql, current.userId, sessionId);
	if (!revoked) return false;
	log.info({ event: 'session_revoked', session: sessionLogId(sessionId) }, 'session revoked');
	const tmdbSessionIds = services.sessions.openTmdbSessionIds([revoked.tmdbSessionId]);
	await endTmdbSessionsQuietly(services, tmdbSessionIds, log);
	return true;
}

/** "Sign out everywhere else": every session of the person but this one. */
export async function revokeOtherSessions(
	services: AuthServices,
	event: SessionEvent
): Promise<number> {
	const { session: current, log } = event.locals;
	if (!current) return 0;
	const sealed = await deleteOtherUserSessions(services.sql, current.userId, current.id);
	log.info({ event: 'sessions_revoked', count: sealed.length }, 'other sessions revoked');
	await endTmdbSessionsQuietly(services, services.sessions.openTmdbSessionIds(sealed), log);
	return sealed.length;
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
