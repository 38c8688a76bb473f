import { getRequestEvent } from '$app/server';
import { redirect } from '@sveltejs/kit';
import { safeReturnPath } from './login.ts';
import type { AppSession, AppUser } from './types.ts';

/**
 * For protected loads and actions: the signed-in person, or a redirect to sign-in that comes
 * back to the current page afterwards. Guard every load and action, not only a layout.
 */
export function requireUser(): { user: AppUser; session: AppSession } {
	const event = getRequestEvent();
	const { user, session } = event.locals;
	if (!user || !session) {
		const returnTo = safeReturnPath(event.url.pathname + event.url.search);
		redirect(303, `/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
	}
	return { user, session };
}
