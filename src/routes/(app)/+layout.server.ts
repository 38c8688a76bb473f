import { requireUser } from '$lib/server/auth/guards';
import type { LayoutServerLoad } from './$types';

/**
 * Every page here needs a signed-in person. This load re-runs with the header's auth check
 * (`app:auth`, invalidated when the tab regains focus), so a session ended elsewhere sends the
 * person to sign in at once. Each page's load and action still calls `requireUser()` itself: a
 * layout does not protect its children's actions, nor loads that run without it.
 */
export const load: LayoutServerLoad = ({ depends }) => {
	depends('app:auth');
	requireUser();
};
