import { signOut } from '$lib/server/auth/sign-out';
import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals }) => ({ signedIn: locals.user !== null });

export const actions: Actions = {
	default: async (event) => {
		await signOut(event);
		redirect(303, '/?signed_out=1');
	}
};
