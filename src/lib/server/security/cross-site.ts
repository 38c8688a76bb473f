/**
 * Cross-site form posts: SvelteKit's origin check stays on; in addition a state-changing
 * request that the browser itself marks as cross-site is refused before it reaches any action.
 */
import type { Handle } from '@sveltejs/kit';
import { loggablePath } from '../log.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const handleCrossSiteRequests: Handle = async ({ event, resolve }) => {
	if (
		!SAFE_METHODS.has(event.request.method) &&
		event.request.headers.get('sec-fetch-site') === 'cross-site'
	) {
		event.locals.log.warn(
			{
				event: 'cross_site_request_refused',
				method: event.request.method,
				path: loggablePath(event.url.pathname)
			},
			'cross-site request refused'
		);
		return new Response('Cross-site requests are not allowed.', {
			status: 403,
			headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }
		});
	}
	return resolve(event);
};
