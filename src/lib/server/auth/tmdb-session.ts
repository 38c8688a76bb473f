/**
 * The TMDB session behind an app session, while the person uses Marquee.
 *
 * - Acting as the person: the auth hook binds a TMDB client to the request's session
 *   (`locals.tmdb`, also returned by `requireUser()`). It adds the TMDB session id itself, so the
 *   id never passes through a page's code. When TMDB answers that the session is dead (HTTP 401,
 *   code 3), our session ends then and there (row and cookie) and the person is sent to sign in
 *   again, back to where they were afterwards.
 * - Checking it: at most once per period per session across all instances (the claim is an
 *   UPDATE), off the request's critical path, the account is fetched again. TMDB saying the
 *   session is gone ends ours; TMDB merely in trouble keeps the person signed in; the stored
 *   profile is refreshed.
 */
import type { RequestEvent } from '@sveltejs/kit';
import { claimTmdbCheck, deleteSessionById, refreshTmdbProfile } from '../db/auth.ts';
import type { Logger } from '../log.ts';
import type { AuthServices } from '../services.ts';
import type { TmdbSessionClient } from '../tmdb/client.ts';
import { isTmdbError } from '../tmdb/errors.ts';
import { redirectToSignIn } from './login.ts';
import { deleteSessionCookie, sessionLogId, tmdbSessionIdOf } from './sessions.ts';
import type { AppSession } from './types.ts';

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
