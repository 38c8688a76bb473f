/**
 * Periodic check that TMDB still accepts a session's TMDB session. It runs off the
 * request's critical path, at most once per period per session across all instances (the
 * claim is an UPDATE), ends the app session when TMDB says the session is gone, keeps the
 * person signed in when TMDB is merely in trouble, and refreshes the stored profile.
 */
import type { RequestEvent } from '@sveltejs/kit';
import { claimTmdbCheck, deleteSessionById, refreshTmdbProfile } from '../db/auth.ts';
import type { Logger } from '../log.ts';
import { isTmdbError } from '../tmdb/errors.ts';
import type { AuthServices } from '../services.ts';
import { sessionLogId, tmdbSessionIdOf } from './sessions.ts';
import type { AppSession } from './types.ts';

/** Checks the request's session when due, off the critical path: the page does not wait. */
export function scheduleTmdbCheck(services: AuthServices, event: RequestEvent): void {
	const { session, log } = event.locals;
	if (!session || !isTmdbCheckDue(session, services.config.tmdb.revalidateMinutes, new Date())) {
		return;
	}
	void revalidateTmdbSession(services, session, log).catch((error: unknown) =>
		log.warn({ event: 'tmdb_session_check_failed', err: error }, 'TMDB session check crashed')
	);
}

export function isTmdbCheckDue(session: AppSession, revalidateMinutes: number, now: Date): boolean {
	return now.getTime() - session.tmdbCheckedAt.getTime() >= revalidateMinutes * 60_000;
}

/** Returns whether the session is still valid at TMDB (true when TMDB could not tell). */
export async function revalidateTmdbSession(
	services: AuthServices,
	session: AppSession,
	log: Logger
): Promise<boolean> {
	const now = new Date();
	const dueBefore = new Date(now.getTime() - services.config.tmdb.revalidateMinutes * 60_000);
	const tmdbSessionId = tmdbSessionIdOf(session);
	if (!tmdbSessionId || !(await claimTmdbCheck(services.sql, session.id, dueBefore, now))) {
		return true;
	}
	try {
		const account = await services.tmdb.getAccount(tmdbSessionId);
		await refreshTmdbProfile(services.sql, session.userId, account, now);
		log.debug(
			{ event: 'tmdb_session_checked', session: sessionLogId(session.id) },
			'TMDB session valid'
		);
		return true;
	} catch (error) {
		if (isTmdbError(error) && error.kind === 'session_invalid') {
			await deleteSessionById(services.sql, session.id);
			log.info(
				{ event: 'session_revoked_at_tmdb', session: sessionLogId(session.id) },
				'TMDB revoked the session; signed out'
			);
			return false;
		}
		log.warn(
			{
				event: 'tmdb_session_check_failed',
				tmdbError: isTmdbError(error) ? error.kind : 'unknown'
			},
			'could not check the TMDB session; keeping the person signed in'
		);
		return true;
	}
}
