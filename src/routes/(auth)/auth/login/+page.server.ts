import { FAILURES, isSignInFailure } from '$lib/failures';
import { LoginError, startTmdbLogin } from '$lib/server/auth/login';
import { safeReturnPath } from '$lib/server/auth/return-path';
import { countSignInFinished, countSignInStarted } from '$lib/server/observability';
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
		error: isSignInFailure(code)
			? {
					code,
					message: FAILURES[code].message,
					errorId: ref && ERROR_ID_PATTERN.test(ref) ? ref : null
				}
			: null
	};
};

const startForm = z.object({ returnTo: z.string().max(2048).optional() });

export const actions: Actions = {
	default: async (event) => {
		const form = startForm.safeParse(Object.fromEntries(await event.request.formData()));
		const returnTo = form.success ? form.data.returnTo : undefined;
		let approvalUrl: string;
		countSignInStarted();
		try {
			approvalUrl = await startTmdbLogin(event, returnTo);
		} catch (error) {
			if (!(error instanceof LoginError)) throw error;
			countSignInFinished(error.code);
			return fail(FAILURES[error.code].status, {
				returnTo: safeReturnPath(returnTo),
				error: {
					code: error.code,
					message: FAILURES[error.code].message,
					errorId: error.details.errorId ?? null
				}
			});
		}
		redirect(303, approvalUrl);
	}
};
