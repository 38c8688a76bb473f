import { requireUser } from '$lib/server/auth/guards';
import { imageUrl } from '$lib/server/tmdb/client';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals }) => {
	const { user, session } = requireUser();
	return {
		profile: {
			username: user.username,
			name: user.name,
			tmdbAccountId: user.tmdbAccountId,
			avatarUrl: imageUrl(locals.app.config.tmdb.imageUrl, user.avatarPath),
			language: user.language,
			region: user.region,
			includeAdult: user.includeAdult
		},
		session: { createdAt: session.createdAt, expiresAt: session.expiresAt }
	};
};
