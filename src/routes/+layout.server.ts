import { getConfig } from '$lib/server/config';
import { avatarUrl } from '$lib/server/tmdb';
import type { LayoutServerLoad } from './$types';

/** Only what the header shows goes to the browser, never the whole user or session. */
export const load: LayoutServerLoad = ({ locals, depends }) => {
	depends('app:auth');
	const config = getConfig();
	const user = locals.user;
	return {
		sandbox: config.tmdb.sandbox,
		user: user && {
			username: user.username,
			displayName: user.name || user.username,
			avatarUrl: avatarUrl(config, user.avatarPath, 'w45_and_h45_face')
		}
	};
};
