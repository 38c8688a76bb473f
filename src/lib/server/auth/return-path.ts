/**
 * Return paths after sign-in (R1.5, R6.5): only a same-origin path that starts with exactly one
 * `/`. Everything else, including encoded and control-character variants, becomes `/`.
 */
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
