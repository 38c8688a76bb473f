/**
 * Session tokens (R6.2): the cookie carries 256 random bits; the database keeps only the
 * SHA-256 hash as the session id, so a leaked table yields no usable cookie.
 */
import { createHash, randomBytes } from 'node:crypto';

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function generateSessionToken(): string {
	return randomBytes(32).toString('base64url');
}

/** Anything else in the cookie is tampering or junk: it is never hashed or looked up. */
export function isWellFormedSessionToken(value: string): boolean {
	return TOKEN_PATTERN.test(value);
}

export function hashSessionToken(token: string): string {
	return createHash('sha256').update(token).digest('hex');
}

/** What logs may show of a session: a prefix of the hashed id, never the token. */
export function sessionLogId(sessionId: string): string {
	return sessionId.slice(0, 12);
}
