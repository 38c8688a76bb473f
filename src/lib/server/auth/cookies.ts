/**
 * The two cookies of sign-in (R6.1): the session cookie and the short-lived pending-login
 * cookie that binds a TMDB request token to the browser that asked for it (R6.5). The pending
 * login is signed with a key only the server has: knowing a leaked request token is not enough
 * to build a cookie that completes its sign-in.
 *
 * Both are HttpOnly, SameSite=Lax, Path=/, host-only (no Domain). Over https they are Secure and
 * carry the `__Host-` prefix, which browsers only accept with exactly those attributes. Plain
 * http (local development, the e2e suite on loopback) cannot set Secure cookies, so there the
 * prefix is dropped too.
 */
import type { Cookies } from '@sveltejs/kit';
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { signValue, verifySignedValue } from './secret-box.ts';
import { MAX_RETURN_PATH_LENGTH } from './return-path.ts';

export type CookieJar = Pick<Cookies, 'get' | 'set' | 'delete'>;

const SESSION_COOKIE = 'marquee_session';
const LOGIN_COOKIE = 'marquee_login';
/** A cookie larger than this is not ours: refuse it before parsing. */
const MAX_LOGIN_COOKIE_LENGTH = 2048;

function cookieName(base: string, secure: boolean): string {
	return secure ? `__Host-${base}` : base;
}

function cookieOptions(secure: boolean) {
	return { path: '/', httpOnly: true, sameSite: 'lax', secure } as const;
}

export function readSessionCookie(cookies: CookieJar, secure: boolean): string | null {
	return cookies.get(cookieName(SESSION_COOKIE, secure)) ?? null;
}

export function setSessionCookie(
	cookies: CookieJar,
	secure: boolean,
	token: string,
	expiresAt: Date
): void {
	cookies.set(cookieName(SESSION_COOKIE, secure), token, {
		...cookieOptions(secure),
		expires: expiresAt
	});
}

export function deleteSessionCookie(cookies: CookieJar, secure: boolean): void {
	cookies.delete(cookieName(SESSION_COOKIE, secure), cookieOptions(secure));
}

/** What the pending-login cookie holds: a hash of the request token, never the token. */
export type PendingLogin = { tokenHash: string; returnTo: string; expiresAt: Date };

const pendingLoginSchema = z.object({
	h: z.string().regex(/^[0-9a-f]{64}$/),
	r: z.string().max(MAX_RETURN_PATH_LENGTH),
	e: z.number().int().positive()
});

export function hashRequestToken(requestToken: string): string {
	return createHash('sha256').update(requestToken).digest('hex');
}

export function setPendingLoginCookie(
	cookies: CookieJar,
	secure: boolean,
	keys: readonly Buffer[],
	login: PendingLogin
): void {
	const payload = Buffer.from(
		JSON.stringify({ h: login.tokenHash, r: login.returnTo, e: login.expiresAt.getTime() })
	).toString('base64url');
	const value = signValue(payload, keys);
	cookies.set(cookieName(LOGIN_COOKIE, secure), value, {
		...cookieOptions(secure),
		expires: login.expiresAt
	});
}

/** The pending login of this browser, or null when absent, expired, or not signed by us. */
export function readPendingLoginCookie(
	cookies: CookieJar,
	secure: boolean,
	keys: readonly Buffer[],
	now: Date
): PendingLogin | null {
	const raw = cookies.get(cookieName(LOGIN_COOKIE, secure));
	if (!raw || raw.length > MAX_LOGIN_COOKIE_LENGTH || !/^[A-Za-z0-9_.-]+$/.test(raw)) return null;
	const payload = verifySignedValue(raw, keys);
	if (payload === null) return null;
	let decoded: unknown;
	try {
		decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
	} catch {
		return null;
	}
	const parsed = pendingLoginSchema.safeParse(decoded);
	if (!parsed.success || parsed.data.e <= now.getTime()) return null;
	return { tokenHash: parsed.data.h, returnTo: parsed.data.r, expiresAt: new Date(parsed.data.e) };
}

export function deletePendingLoginCookie(cookies: CookieJar, secure: boolean): void {
	cookies.delete(cookieName(LOGIN_COOKIE, secure), cookieOptions(secure));
}

/** Constant-time check that the callback's token is the one this browser started with. */
export function pendingLoginMatches(login: PendingLogin, requestToken: string): boolean {
	return timingSafeEqual(
		Buffer.from(login.tokenHash, 'hex'),
		Buffer.from(hashRequestToken(requestToken), 'hex')
	);
}
