/**
 * Security headers (issues 6 and 21). The fixed set and HSTS go on every response of the built
 * server, static files and SvelteKit's own refusals included: `http-server.ts` sets them before
 * anything answers, and a response's own value of a header wins. The hook adds what depends on
 * the page: the CSP's origins only known from the configuration (TMDB's images, and TMDB's
 * approval page, which sign-in's form POST redirects to: Chrome applies `form-action` to that
 * redirect; the script rules come from SvelteKit's `kit.csp`), and `cache-control`.
 */
import type { Handle } from '@sveltejs/kit';

const FIXED_HEADERS: Record<string, string> = {
	'x-content-type-options': 'nosniff',
	'x-frame-options': 'DENY',
	// Not `no-referrer`: SvelteKit's origin check and TMDB's redirect both rely on the origin.
	'referrer-policy': 'strict-origin-when-cross-origin',
	'permissions-policy':
		'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()',
	'cross-origin-opener-policy': 'same-origin'
};

/** The headers of every response; HSTS only in production over https. */
export function securityHeaders(hsts: boolean): Record<string, string> {
	return hsts
		? { ...FIXED_HEADERS, 'strict-transport-security': 'max-age=31536000; includeSubDomains' }
		: FIXED_HEADERS;
}

export function extendCspDirective(policy: string, directive: string, sources: string[]): string {
	if (sources.length === 0) return policy;
	const parts = policy.split(';').map((part) => part.trim());
	const index = parts.findIndex((part) => part.split(/\s+/)[0] === directive);
	if (index === -1) return [...parts, `${directive} ${sources.join(' ')}`].join('; ');
	parts[index] = `${parts[index]} ${sources.join(' ')}`;
	return parts.join('; ');
}

function originOf(url: string): string | null {
	return url.startsWith('http') ? new URL(url).origin : null;
}

export const handlePageHeaders: Handle = async ({ event, resolve }) => {
	const response = await resolve(event);
	const { config } = event.locals.app;
	try {
		const csp = response.headers.get('content-security-policy');
		if (csp && !config.tmdb.sandbox) {
			const tmdbImages = originOf(config.tmdb.imageUrl);
			const tmdbWeb = originOf(config.tmdb.webUrl);
			let policy = extendCspDirective(csp, 'img-src', tmdbImages ? [tmdbImages] : []);
			policy = extendCspDirective(policy, 'form-action', tmdbWeb ? [tmdbWeb] : []);
			response.headers.set('content-security-policy', policy);
		}
		// Nothing personal or cookie-setting may be stored by a shared cache.
		if (event.locals.user || response.headers.has('set-cookie')) {
			response.headers.set('cache-control', 'private, no-store');
		}
	} catch {
		// Some responses (a proxied fetch, a redirect) have immutable headers; they are left as is.
	}
	return response;
};
