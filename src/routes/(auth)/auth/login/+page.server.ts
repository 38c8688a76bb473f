import { isLoginErrorCode, LOGIN_ERROR_MESSAGES } from '$lib/server/auth/login-errors';
import { LoginError, startTmdbLogin } from '$lib/server/auth/login';
import { limitSignInAttempts } from '$lib/server/auth/rate-limit-sign-in';
import { loginContextOf } from '$lib/server/auth/request-context';
import { safeReturnPath } from '$lib/server/auth/return-path';
import { authServices } from '$lib/server/auth/services';
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

const TOO_MANY_ATTEMPTS =
	'Too many sign-in attempts from your network. Please wait a minute and try again.';

const STATUS_FOR_ERROR = { rate_limited: 429, unavailable: 503, not_configured: 503 } as const;

export const actions: Actions = {
	default: async (event) => {
		const services = authServices();
		const form = startForm.safeParse(Object.fromEntries(await event.request.formData()));
		const returnTo = form.success ? form.data.returnTo : undefined;
		const verdict = await limitSignInAttempts(services, event, 'sign_in');
		if (!verdict.allowed) {
			return fail(429, {
				returnTo: safeReturnPath(returnTo),
				error: { code: 'too_many_attempts', message: TOO_MANY_ATTEMPTS, errorId: null }
			});
		}
		let approvalUrl: string;
		try {
			approvalUrl = await startTmdbLogin(services, loginContextOf(services, event), returnTo);
		} catch (error) {
			if (!(error instanceof LoginError)) throw error;
			const status = STATUS_FOR_ERROR[error.code as keyof typeof STATUS_FOR_ERROR] ?? 500;
			return fail(status, {
				returnTo: safeReturnPath(returnTo),
				error: {
					code: error.code,
					message: LOGIN_ERROR_MESSAGES[error.code],
					errorId: error.errorId ?? null
				}
			});
		}
		redirect(303, approvalUrl);
	}
};
