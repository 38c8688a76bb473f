import { getConfig } from '$lib/server/config';
import { tmdbImageUrl } from '$lib/server/tmdb';
import type { LayoutServerLoad } from './$types';

/** Only what the header shows goes to the browser, never the whole user or session. */
export const load: LayoutServerLoad = ({ locals, depends, url }) => {
	// Runs again when the tab regains focus (the layout invalidates 'app:auth') and, because it
	// reads the URL, on every navigation: the header never shows a session that has ended (R2.4).
	depends('app:auth');
	void url.pathname;
	const config = getConfig();
	const user = locals.user;
	return {
		sandbox: config.tmdb.sandbox,
		user: user && {
			username: user.username,
			displayName: user.name || user.username,
			avatarUrl: tmdbImageUrl(config, user.avatarPath, 'w185')
		}
	};
};
