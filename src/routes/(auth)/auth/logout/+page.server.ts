import { authServices } from '$lib/server/services';
import { isSecureRequest } from '$lib/server/auth/handle';
import { signOut } from '$lib/server/auth/sign-out';
import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals }) => ({ signedIn: locals.user !== null });

export const actions: Actions = {
	default: async (event) => {
		await signOut(
			authServices(),
			{ cookies: event.cookies, secure: isSecureRequest(event), log: event.locals.log },
			event.locals.session
		);
		event.locals.user = null;
		event.locals.session = null;
		redirect(303, '/?signed_out=1');
	}
};
