import { requireUser } from '$lib/server/auth/guards';
import { getConfig } from '$lib/server/config';
import { tmdbImageUrl } from '$lib/server/tmdb';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = ({ depends }) => {
	// Re-run with the header's auth check, so a session ended elsewhere redirects to sign-in (R2.4).
	depends('app:auth');
	const { user, session } = requireUser();
	return {
		profile: {
			username: user.username,
			name: user.name,
			tmdbAccountId: user.tmdbAccountId,
			avatarUrl: tmdbImageUrl(getConfig(), user.avatarPath, 'w185'),
			language: user.language,
			region: user.region,
			includeAdult: user.includeAdult
		},
		session: { createdAt: session.createdAt, expiresAt: session.expiresAt }
	};
};
