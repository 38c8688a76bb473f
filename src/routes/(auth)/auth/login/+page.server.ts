import {
	isLoginErrorCode,
	LOGIN_ERROR_MESSAGES,
	LoginError,
	safeReturnPath,
	startTmdbLogin,
	type LoginErrorCode
} from '$lib/server/auth/login';
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
		const form = startForm.safeParse(Object.fromEntries(await event.request.formData()));
		const returnTo = form.success ? form.data.returnTo : undefined;
		let approvalUrl: string;
		try {
			approvalUrl = await startTmdbLogin(event, returnTo);
		} catch (error) {
			if (!(error instanceof LoginError)) throw error;
			return fail(STATUS_FOR_ERROR[error.code] ?? 500, {
				returnTo: safeReturnPath(returnTo),
				error: {
					code: error.code,
					message: LOGIN_ERROR_MESSAGES[error.code],
					errorId: error.details.errorId ?? null
				}
			});
		}
		redirect(303, approvalUrl);
	}
};
