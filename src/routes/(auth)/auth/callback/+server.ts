import { setSessionCookie } from '$lib/server/auth/cookies';
import { completeTmdbLogin, LoginError } from '$lib/server/auth/login';
import { LOGIN_ERROR_MESSAGES } from '$lib/server/auth/login-errors';
import { limitSignInAttempts } from '$lib/server/auth/rate-limit';
import { loginContextOf } from '$lib/server/auth/request-context';
import { statusPage } from '$lib/server/status-page';
import { authServices } from '$lib/server/services';
import { databaseUnavailable, isDatabaseOutage } from '$lib/server/db/outage';
import { redirect } from '@sveltejs/kit';
import type { RequestHandler } from './$types';

/** TMDB sends the browser here after approval; there is no page, only redirects (R1.2, R1.3). */
export const GET: RequestHandler = async (event) => {
	const services = authServices();
	const context = loginContextOf(services, event);
	let destination: string;
	try {
		const verdict = await limitSignInAttempts(services, event, 'callback');
		if (!verdict.allowed) {
			return statusPage(429, 'Too many sign-in attempts', LOGIN_ERROR_MESSAGES.too_many_attempts, {
				'retry-after': String(verdict.retryAfterSeconds)
			});
		}
		const outcome = await completeTmdbLogin(services, context, event.url.searchParams);
		if (outcome.kind === 'signed_in') {
			setSessionCookie(event.cookies, context.secure, outcome.token, outcome.session.expiresAt);
		}
		destination = outcome.returnTo;
	} catch (error) {
		if (isDatabaseOutage(error)) return databaseUnavailable(event.locals.log, error);
		if (!(error instanceof LoginError)) throw error;
		const ref = error.errorId ? `&ref=${error.errorId}` : '';
		destination = `/auth/login?error=${error.code}${ref}`;
	}
	redirect(303, destination);
};
