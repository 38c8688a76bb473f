import { imageUrl } from '$lib/server/tmdb/client';
import type { LayoutServerLoad } from './$types';

/** Only what the header shows goes to the browser, never the whole user or session. */
export const load: LayoutServerLoad = ({ locals, depends, url }) => {
	// Runs again when the tab regains focus (the layout invalidates 'app:auth') and, because it
	// reads the URL, on every navigation: the header never shows a session that has ended.
	depends('app:auth');
	void url.pathname;
	const { config } = locals.app;
	const user = locals.user;
	return {
		sandbox: config.tmdb.sandbox,
		user: user && {
			username: user.username,
			displayName: user.name || user.username,
			avatarUrl: imageUrl(config.tmdb.imageUrl, user.avatarPath)
		}
	};
};
