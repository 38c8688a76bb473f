/**
 * Periodic check that TMDB still accepts a session's TMDB session (R4.4). It runs off the
 * request's critical path, at most once per period per session across all instances (the
 * claim is an UPDATE), ends the app session when TMDB says the session is gone, keeps the
 * person signed in when TMDB is merely in trouble, and refreshes the stored profile.
 */
import { claimTmdbCheck, deleteSessionById } from '../db/sessions.ts';
import { refreshTmdbProfile } from '../db/users.ts';
import type { Logger } from '../log.ts';
import { isTmdbError } from '../tmdb/errors.ts';
import type { AuthServices } from '../services.ts';
import { sessionLogId } from './session-token.ts';
import { tmdbSessionIdOf } from './sessions.ts';
import type { AppSession } from './types.ts';

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
