/**
 * Return paths after sign-in (R1.5, R6.5): only a same-origin path that starts with exactly one
 * `/`. Everything else, including encoded and control-character variants, becomes `/`. Also the
 * redirect to sign-in that carries one.
 */
import { redirect } from '@sveltejs/kit';
import type { LoginErrorCode } from './login-errors.ts';

const MAX_RETURN_PATH_LENGTH = 1024;
const SAFE_BASE = 'http://marquee.invalid';

export function safeReturnPath(candidate: unknown): string {
	if (typeof candidate !== 'string' || candidate.length === 0) return '/';
	if (candidate.length > MAX_RETURN_PATH_LENGTH) return '/';
	// Control characters (tabs and newlines are dropped by URL parsers), backslashes (read as `/`)
	// and any `%` encoding of them are refused outright rather than cleaned up.
	// eslint-disable-next-line no-control-regex -- matching control characters is the point
	if (/[\u0000-\u001f\u007f\\]/.test(candidate)) return '/';
	if (/%(0[0-9a-f]|1[0-9a-f]|7f|5c)/i.test(candidate)) return '/';
	if (!candidate.startsWith('/') || candidate.startsWith('//')) return '/';
	if (/^\/%2f/i.test(candidate)) return '/';
	let parsed: URL;
	try {
		parsed = new URL(candidate, SAFE_BASE);
	} catch {
		return '/';
	}
	if (parsed.origin !== SAFE_BASE) return '/';
	const path = parsed.pathname + parsed.search + parsed.hash;
	// Dot segments can normalise into a protocol-relative path: `/.//evil.example` → `//evil.example`.
	if (path.startsWith('//')) return '/';
	// Never send someone back into the sign-in handshake itself.
	if (/^\/auth\/(callback|login|logout)(\/|$|\?)/.test(path)) return '/';
	return path;
}

/**
 * 303 to the sign-in page, with a message code and a return path to `url`. A form action's name
 * (`?/remove`) is dropped from the return path: coming back means seeing the page, not posting.
 */
export function redirectToSignIn(url: URL, error?: LoginErrorCode): never {
	const query = new URLSearchParams(url.search);
	for (const key of [...query.keys()]) if (key.startsWith('/')) query.delete(key);
	const search = query.size > 0 ? `?${query}` : '';
	const returnTo = encodeURIComponent(safeReturnPath(url.pathname + search));
	redirect(303, `/auth/login?${error ? `error=${error}&` : ''}returnTo=${returnTo}`);
}
