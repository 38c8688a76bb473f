/**
 * The per-request session check (R4): always sets `locals.user` and `locals.session`, sends the
 * cookie again when the expiry slid, and clears a cookie that no longer names a valid session.
 */
import type { Handle, RequestEvent } from '@sveltejs/kit';
import { deleteSessionCookie, readSessionCookie, setSessionCookie } from './cookies.ts';
import { isTmdbCheckDue, revalidateTmdbSession } from './revalidation.ts';
import { tmdbAs } from './tmdb-as.ts';
import { authServices } from './services.ts';
import type { AuthServices } from './services.ts';
import { isDatabaseOutage } from '../db/outage.ts';
import { statusPage } from '../status-page.ts';

export function databaseUnavailablePage(): Response {
	return statusPage(
		503,
		'Marquee is unavailable',
		'We cannot reach our database right now. Please try again in a minute.',
		{ 'retry-after': '30' }
	);
}

export function isSecureRequest(event: Pick<RequestEvent, 'url'>): boolean {
	return event.url.protocol === 'https:';
}

export const handleAuth: Handle = async ({ event, resolve }) => {
	const services = authServices();
	const secure = isSecureRequest(event);
	const token = readSessionCookie(event.cookies, secure);
	if (token) {
		let validated: Awaited<ReturnType<typeof services.sessions.validateSessionToken>>;
		try {
			validated = await services.sessions.validateSessionToken(token);
		} catch (error) {
			if (!isDatabaseOutage(error)) throw error;
			event.locals.log.error({ event: 'database_unavailable', err: error }, 'database unavailable');
			return databaseUnavailablePage();
		}
		const { session, user } = validated;
		if (session) {
			if (session.fresh) setSessionCookie(event.cookies, secure, token, session.expiresAt);
			event.locals.session = session;
			event.locals.user = user;
			event.locals.tmdb = tmdbAs(services, event);
			scheduleTmdbCheck(services, event);
		} else {
			event.locals.log.info(
				{ event: 'session_invalid' },
				'invalid or expired session cookie cleared'
			);
			deleteSessionCookie(event.cookies, secure);
		}
	}
	return resolve(event);
};

/** Off the critical path: the page does not wait for TMDB. */
function scheduleTmdbCheck(services: AuthServices, event: RequestEvent): void {
	const { session, log } = event.locals;
	if (!session || !isTmdbCheckDue(session, services.config.tmdb.revalidateMinutes, new Date()))
		return;
	void revalidateTmdbSession(services, session, log).catch((error: unknown) =>
		log.warn({ event: 'tmdb_session_check_failed', err: error }, 'TMDB session check crashed')
	);
}
