import {
	isLoginErrorCode,
	LOGIN_ERROR_MESSAGES,
	type LoginErrorCode
} from '$lib/server/auth/login-errors';
import { LoginError, startTmdbLogin } from '$lib/server/auth/login';
import { limitSignInAttempts } from '$lib/server/auth/rate-limit';
import { isDatabaseOutage } from '$lib/server/db/outage';
import { loginContextOf } from '$lib/server/auth/request-context';
import { safeReturnPath } from '$lib/server/auth/return-path';
import { authServices } from '$lib/server/services';
import { fail, redirect } from '@sveltejs/kit';
import { z } from 'zod';
import type { Actions, PageServerLoad } from './$types';

const ERROR_ID_PATTERN = /^[0-9a-f-]{36}$/;

export const load: PageServerLoad = ({ locals, url }) => {
	const returnTo = safeReturnPath(url.searchParams.get('returnTo'));
	if (locals.user) redirect(303, returnTo);
	const code = url.searchParams.get('error');
	const ref = url.searchParams.get('ref');
	return {
		returnTo,
		// Only messages from the fixed list; nothing from the URL is shown as text.
		error: isLoginErrorCode(code)
			? {
					code,
					message: LOGIN_ERROR_MESSAGES[code],
					errorId: ref && ERROR_ID_PATTERN.test(ref) ? ref : null
				}
			: null
	};
};

const startForm = z.object({ returnTo: z.string().max(2048).optional() });

const STATUS_FOR_ERROR: Partial<Record<LoginErrorCode, number>> = {
	too_many_attempts: 429,
	rate_limited: 429,
	unavailable: 503,
	not_configured: 503,
	database_unavailable: 503
};

export const actions: Actions = {
	default: async (event) => {
		const services = authServices();
		const form = startForm.safeParse(Object.fromEntries(await event.request.formData()));
		const returnTo = form.success ? form.data.returnTo : undefined;
		let approvalUrl: string;
		try {
			const verdict = await limitSignInAttempts(services, event, 'sign_in');
			if (!verdict.allowed) throw new LoginError('too_many_attempts');
			approvalUrl = await startTmdbLogin(services, loginContextOf(services, event), returnTo);
		} catch (error) {
			if (isDatabaseOutage(error)) {
				event.locals.log.error(
					{ event: 'database_unavailable', err: error },
					'database unavailable'
				);
			}
			const failure = isDatabaseOutage(error) ? new LoginError('database_unavailable') : error;
			if (!(failure instanceof LoginError)) throw error;
			return fail(STATUS_FOR_ERROR[failure.code] ?? 500, {
				returnTo: safeReturnPath(returnTo),
				error: {
					code: failure.code,
					message: LOGIN_ERROR_MESSAGES[failure.code],
					errorId: failure.errorId ?? null
				}
			});
		}
		redirect(303, approvalUrl);
	}
};
