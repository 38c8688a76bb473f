/**
 * Where a person goes after signing in: only a same-origin path that starts with exactly one
 * `/`. Everything else, including encoded and control-character variants, becomes `/`.
 */
import { redirect } from '@sveltejs/kit';
import type { SignInFailure } from '../../failures.ts';

/** Of the normalised path: what the pending-login cookie carries and its reader accepts. */
export const MAX_RETURN_PATH_LENGTH = 1024;
/** Of the raw input, only to bound the work; normalising can grow a path up to 9 times. */
const MAX_CANDIDATE_LENGTH = 8 * MAX_RETURN_PATH_LENGTH;
const SAFE_BASE = 'http://marquee.invalid';
const HANDSHAKE_PATH = /^\/auth\/(callback|login|logout)(\/|$)/;

export function safeReturnPath(candidate: unknown): string {
	if (typeof candidate !== 'string' || candidate.length === 0) return '/';
	if (candidate.length > MAX_CANDIDATE_LENGTH) return '/';
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
	if (path.length > MAX_RETURN_PATH_LENGTH) return '/';
	// Never send someone back into the sign-in handshake itself, however its path is spelt.
	if (HANDSHAKE_PATH.test(decodedPath(parsed.pathname))) return '/';
	return path;
}

/**
 * 303 to the sign-in page, with a message code and a return path to `url`. A form action's name
 * (`?/remove`) is dropped from the return path: coming back means seeing the page, not posting.
 */
export function redirectToSignIn(url: URL, error?: SignInFailure): never {
	const query = new URLSearchParams(url.search);
	for (const key of [...query.keys()]) if (key.startsWith('/')) query.delete(key);
	const search = query.size > 0 ? `?${query}` : '';
	const returnTo = encodeURIComponent(safeReturnPath(url.pathname + search));
	redirect(303, `/auth/login?${error ? `error=${error}&` : ''}returnTo=${returnTo}`);
}

function decodedPath(pathname: string): string {
	try {
		return decodeURIComponent(pathname);
	} catch {
		return pathname;
	}
}
