import { requireUser } from '$lib/server/auth/guards';
import { getConfig } from '$lib/server/config';
import { imageUrl } from '$lib/server/tmdb/client';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = () => {
	const { user, session } = requireUser();
	return {
		profile: {
			username: user.username,
			name: user.name,
			tmdbAccountId: user.tmdbAccountId,
			avatarUrl: imageUrl(getConfig().tmdb.imageUrl, user.avatarPath),
			language: user.language,
			region: user.region,
			includeAdult: user.includeAdult
		},
		session: { createdAt: session.createdAt, expiresAt: session.expiresAt }
	};
};
