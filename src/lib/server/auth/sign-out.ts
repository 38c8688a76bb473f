/**
 * Ending sessions: sign-out, ending sessions elsewhere, and the TMDB sessions behind them, which
 * TMDB never expires by itself. TMDB is told at once, bounded: however many sessions end
 * together ("sign out everywhere else", the per-person cap), this process keeps at most a few
 * DELETEs in flight with the app's key, and when the wait is over every retry stops with it.
 * What TMDB did not confirm by then is queued in the database and ended later by the cleanup
 * job. A TMDB failure never keeps anyone signed in.
 */
import type { RequestEvent } from '@sveltejs/kit';
import pLimit from 'p-limit';
import {
	claimDueTmdbSessionEnd,
	countTmdbSessionEnds,
	deleteOtherUserSessions,
	deleteTmdbSessionEnd,
	deleteUserSession,
	queueTmdbSessionEnds
} from '../db/auth.ts';
import type { Logger } from '../log.ts';
import type { AuthServices } from '../services.ts';
import { isTmdbError } from '../tmdb/errors.ts';
import { deleteSessionCookie, encryptSecret, sessionLogId, tmdbSessionIdOf } from './sessions.ts';

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

/**
 * Ends these TMDB sessions now, within the wait; those TMDB did not confirm are queued, and the
 * cleanup job ends them later (`endQueuedTmdbSessions`). Returns how many TMDB confirmed now.
 */
export async function endTmdbSessionsQuietly(
	services: Pick<AuthServices, 'sql' | 'tmdb' | 'config'>,
	tmdbSessionIds: readonly string[],
	log: Logger
): Promise<number> {
	if (tmdbSessionIds.length === 0) return 0;
	const signal = AbortSignal.timeout(TMDB_DELETE_WAIT_MS);
	const confirmed = await Promise.all(
		tmdbSessionIds.map((id) => deleteSlots(() => endTmdbSession(services, id, signal, log)))
	);
	const left = tmdbSessionIds.filter((_, index) => !confirmed[index]);
	if (left.length > 0) {
		const keys = services.config.session.encryptionKeys;
		try {
			const sealed = left.map((id) => encryptSecret(id, keys));
			await queueTmdbSessionEnds(services.sql, sealed, new Date());
			log.info({ event: 'tmdb_sessions_queued', count: left.length }, 'TMDB sessions queued');
		} catch (error) {
			// The database failed too (a sign-in that failed on it ends up here): nowhere to keep them.
			log.error(
				{ event: 'tmdb_sessions_not_queued', count: left.length, err: error },
				'TMDB sessions could not be queued; they stay valid at TMDB'
			);
		}
	}
	return confirmed.filter(Boolean).length;
}

/** After this many attempts (about 13 days at the default interval) a TMDB session is given up. */
const MAX_END_ATTEMPTS = 20;
const MAX_RETRY_DELAY_MS = 24 * 60 * 60_000;
/** Per round, so that a backlog (TMDB back after an outage) never holds up the next rounds. */
export const MAX_TMDB_ENDS_PER_ROUND = 500;

/**
 * Ends the queued TMDB sessions that are due, one at a time and at most 500 a round: no person
 * waits, and it is gentlest on TMDB's rate limit. Each claim schedules the next attempt, twice as far off each
 * time from `SESSION_CLEANUP_MINUTES` up to a day, so a failure needs no bookkeeping, and the
 * first one ends the round: TMDB is down or rate-limiting, and more calls would only retry into
 * the same trouble (the client logs why). `signal` (the server stopping) ends the calls at once.
 */
export async function endQueuedTmdbSessions(
	services: Pick<AuthServices, 'sql' | 'sessions' | 'tmdb' | 'config'>,
	log: Logger,
	options: { now?: Date; signal?: AbortSignal } = {}
): Promise<{ ended: number; waiting: number }> {
	const { now = new Date(), signal } = options;
	const retryDelayMs = {
		baseMs: services.config.session.cleanupMinutes * 60_000,
		maxMs: MAX_RETRY_DELAY_MS
	};
	let ended = 0;
	for (let claimed = 0; claimed < MAX_TMDB_ENDS_PER_ROUND && !signal?.aborted; claimed++) {
		const queued = await claimDueTmdbSessionEnd(services.sql, now, retryDelayMs);
		if (!queued) break;
		const [tmdbSessionId] = services.sessions.openTmdbSessionIds([queued.tmdbSessionId]);
		if (tmdbSessionId === undefined || queued.attempts > MAX_END_ATTEMPTS) {
			await deleteTmdbSessionEnd(services.sql, queued.id);
			log.warn(
				{
					event: 'tmdb_session_abandoned',
					reason: tmdbSessionId === undefined ? 'no_key_opens_it' : 'too_many_attempts'
				},
				'TMDB session given up; it stays valid at TMDB'
			);
			continue;
		}
		try {
			await services.tmdb.deleteSession(tmdbSessionId, { signal });
		} catch {
			break;
		}
		await deleteTmdbSessionEnd(services.sql, queued.id);
		ended++;
	}
	return { ended, waiting: await countTmdbSessionEnds(services.sql) };
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
