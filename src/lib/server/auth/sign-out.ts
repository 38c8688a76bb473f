/**
 * The person's own ways out: sign-out, ending one of their other sessions, and "sign out
 * everywhere else". Each goes through the one door (`endSessions`, session-ends.ts), which also
 * ends the TMDB sessions behind them. Our side first: a TMDB failure never keeps anyone signed in.
 */
import type { RequestEvent } from '@sveltejs/kit';
import { deleteSessionCookie } from './sessions.ts';

type SessionEvent = Pick<RequestEvent, 'cookies' | 'url' | 'locals'>;

export async function signOut(event: SessionEvent): Promise<void> {
	const { session, app } = event.locals;
	deleteSessionCookie(event);
	event.locals.user = null;
	event.locals.session = null;
	if (session) await app.sessions.endSessions({ sessionId: session.id }, 'sign_out');
}

/** Ends one of the person's other sessions. Returns false when it is not theirs (or gone). */
export async function revokeSession(event: SessionEvent, sessionId: string): Promise<boolean> {
	const current = event.locals.session;
	if (!current || sessionId === current.id) return false;
	const which = { sessionId, userId: current.userId };
	return (await event.locals.app.sessions.endSessions(which, 'revoked')) > 0;
}

/** "Sign out everywhere else": every session of the person but this one. */
export async function revokeOtherSessions(event: SessionEvent): Promise<number> {
	const current = event.locals.session;
	if (!current) return 0;
	const which = { userId: current.userId, exceptSessionId: current.id };
	return event.locals.app.sessions.endSessions(which, 'signed_out_elsewhere');
}
