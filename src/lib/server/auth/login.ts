/**
 * The sign-in handshake with TMDB, whole. Start creates a request token and binds it to this
 * browser with a signed pending-login cookie; the callback checks that binding, turns the
 * approved token into a TMDB session, loads the account, and stores the user and the app
 * session together (or nothing at all). Around it: the per-client rate limit, the return path
 * check, and the fixed list of messages a failed sign-in shows.
 */
import { redirect, type RequestEvent } from '@sveltejs/kit';
import ipaddr from 'ipaddr.js';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { countRateLimitHit, upsertTmdbUser } from '../db/auth.ts';
import { isDatabaseOutage } from '../db/outage.ts';
import type { AppContext } from '../context.ts';
import { approvalUrl } from '../tmdb/client.ts';
import { isTmdbError, userMessageFor, type TmdbErrorKind } from '../tmdb/errors.ts';
import { sessionLogId } from './session-ends.ts';
import { cookieNaming, setSessionCookie, type CookieEvent } from './sessions.ts';
import { macOf, signValue, verifySignedValue } from './keys.ts';
import type { AppSession } from './types.ts';

// --- Why a sign-in failed: a short code in the sign-in page's URL. The page shows a message
// from this fixed list; nothing from the URL is ever reflected. TMDB's failures are told in the
// words TMDB errors use everywhere (tmdb/errors.ts). ---

export const LOGIN_ERROR_MESSAGES = {
	denied: 'You chose not to approve Marquee on TMDB, so you are not signed in.',
	expired: userMessageFor('token_invalid'),
	not_approved: userMessageFor('token_not_approved'),
	mismatch:
		'This sign-in was not started in this browser, or it took too long. Please sign in again.',
	invalid_callback: 'TMDB sent back an incomplete answer. Please sign in again.',
	unavailable: userMessageFor('unavailable'),
	rate_limited: userMessageFor('rate_limited'),
	not_configured: userMessageFor('invalid_credential'),
	too_many_attempts:
		'Too many sign-in attempts from your network. Please wait a minute and try again.',
	database_unavailable: 'We cannot reach our database right now. Please try again in a minute.',
	failed: 'Something went wrong while signing you in. Please try again.',
	// TMDB revoked the session while the person was using Marquee (see auth/guards.ts).
	session_ended: userMessageFor('session_invalid')
} as const;

export type LoginErrorCode = keyof typeof LOGIN_ERROR_MESSAGES;

export function isLoginErrorCode(value: unknown): value is LoginErrorCode {
	return typeof value === 'string' && Object.hasOwn(LOGIN_ERROR_MESSAGES, value);
}

const CODE_FOR_TMDB_FAILURE: Record<TmdbErrorKind, LoginErrorCode> = {
	network: 'unavailable',
	timeout: 'unavailable',
	unavailable: 'unavailable',
	bad_response: 'unavailable',
	rate_limited: 'rate_limited',
	invalid_credential: 'not_configured',
	token_invalid: 'expired',
	token_not_approved: 'not_approved',
	session_invalid: 'failed',
	not_found: 'failed',
	unknown: 'failed'
};

export class LoginError extends Error {
	constructor(
		readonly code: LoginErrorCode,
		readonly details: { errorId?: string; retryAfterSeconds?: number } = {}
	) {
		super(`Sign-in failed: ${code}`);
		this.name = 'LoginError';
	}
}

// --- Return paths: only a same-origin path that starts with exactly one `/`. Everything else,
// including encoded and control-character variants, becomes `/`. ---

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
export function redirectToSignIn(url: URL, error?: LoginErrorCode): never {
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

// --- The rate limit of sign-in starts and callbacks, per client, in PostgreSQL so it holds
// across instances. A fixed one-minute window keeps it to one statement a hit. Clients are
// stored as a MAC: the limiter needs to tell them apart, not to know them. ---

export const RATE_LIMIT_WINDOW_MS = 60_000;

async function limitSignInAttempts(
	app: AppContext,
	event: RequestEvent,
	bucket: 'sign_in' | 'callback',
	now = new Date()
): Promise<void> {
	const windowStart = Math.floor(now.getTime() / RATE_LIMIT_WINDOW_MS) * RATE_LIMIT_WINDOW_MS;
	// Keyed: with a plain hash, every IPv4 address behind a row could be found by trying all 2^32.
	const keys = app.config.session.encryptionKeys;
	const client = macOf(clientOf(event), keys[0]!, 'client address').slice(0, 22);
	const hits = await countRateLimitHit(app.sql, `${bucket}:${client}`, new Date(windowStart));
	if (hits <= app.config.session.signInRateLimitPerMinute) return;
	const retryAfterSeconds = Math.max(
		1,
		Math.ceil((windowStart + RATE_LIMIT_WINDOW_MS - now.getTime()) / 1000)
	);
	event.locals.log.warn({ event: 'sign_in_rate_limited', bucket }, 'too many sign-in attempts');
	event.setHeaders({ 'retry-after': String(retryAfterSeconds) });
	throw new LoginError('too_many_attempts', { retryAfterSeconds });
}

/**
 * Who counts as one client: an IPv4 address, or an IPv6 /64 (what one subscriber is given). The
 * address comes from adapter-node (`ADDRESS_HEADER`/`XFF_DEPTH` behind a proxy), never from a
 * raw header. When that header is missing or short, the request did not come through the proxy
 * as configured: such requests share one bucket rather than fail.
 */
function clientOf(event: RequestEvent): string {
	try {
		return clientKey(event.getClientAddress());
	} catch {
		event.locals.log.warn(
			{ event: 'client_address_unknown' },
			'the client address header is missing or short; check ADDRESS_HEADER and XFF_DEPTH'
		);
		return 'unknown';
	}
}

export function clientKey(address: string): string {
	if (!ipaddr.isValid(address)) return address;
	const parsed = ipaddr.process(address);
	if (parsed.kind() === 'ipv4') return parsed.toString();
	const prefix = (parsed as ipaddr.IPv6).parts.slice(0, 4);
	return `${prefix.map((part) => part.toString(16)).join(':')}::/64`;
}

// --- The pending-login cookie: `base64url(JSON {h, r, e}).<HMAC>`, a hash of the request token
// (never the token), the return path and the expiry. The MAC key is derived from each
// SESSION_ENCRYPTION_KEYS key with HKDF: the first signs, every one verifies, so rotation works
// as for sealed ids, and knowing a leaked request token is not enough to build the cookie. ---

const LOGIN_COOKIE = 'marquee_login';
/** A cookie larger than this is not ours: refuse it before parsing. */
const MAX_LOGIN_COOKIE_LENGTH = 2048;

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
	event: CookieEvent,
	keys: readonly Buffer[],
	login: PendingLogin
): void {
	const payload = Buffer.from(
		JSON.stringify({ h: login.tokenHash, r: login.returnTo, e: login.expiresAt.getTime() })
	).toString('base64url');
	const { name, options } = cookieNaming(event, LOGIN_COOKIE);
	event.cookies.set(name, signValue(payload, keys), {
		...options,
		expires: login.expiresAt
	});
}

/** The pending login of this browser, or null when absent, expired, or not signed by us. */
export function readPendingLoginCookie(
	event: CookieEvent,
	keys: readonly Buffer[],
	now: Date
): PendingLogin | null {
	const raw = event.cookies.get(cookieNaming(event, LOGIN_COOKIE).name);
	if (!raw || raw.length > MAX_LOGIN_COOKIE_LENGTH) return null;
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

function deletePendingLoginCookie(event: CookieEvent): void {
	const { name, options } = cookieNaming(event, LOGIN_COOKIE);
	event.cookies.delete(name, options);
}

/** Constant-time check that the callback's token is the one this browser started with. */
function pendingLoginMatches(login: PendingLogin, requestToken: string): boolean {
	return timingSafeEqual(
		Buffer.from(login.tokenHash, 'hex'),
		Buffer.from(hashRequestToken(requestToken), 'hex')
	);
}

// --- The handshake ---

/** TMDB request tokens are 40 hex characters; allow some room, but nothing odd. */
const REQUEST_TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/** Starts sign-in: returns the URL of TMDB's approval page to send the browser to. */
export async function startTmdbLogin(
	event: RequestEvent,
	requestedReturnPath: unknown
): Promise<string> {
	const { log, app } = event.locals;
	try {
		await limitSignInAttempts(app, event, 'sign_in');
		const returnTo = safeReturnPath(requestedReturnPath);
		const token = await app.tmdb.createRequestToken();
		setPendingLoginCookie(event, app.config.session.encryptionKeys, {
			tokenHash: hashRequestToken(token.requestToken),
			returnTo,
			expiresAt: token.expiresAt
		});
		log.info({ event: 'sign_in_started' }, 'sign-in started');
		const origin = app.config.origin ?? event.url.origin;
		return approvalUrl(app.config.tmdb.webUrl, token.requestToken, `${origin}/auth/callback`);
	} catch (error) {
		throw loginFailure(log, 'sign-in could not start', error);
	}
}

export type CompletedLogin =
	| { kind: 'signed_in'; session: AppSession; returnTo: string }
	/** A reload of a used callback URL by someone who is signed in already: just go on. */
	| { kind: 'already_signed_in'; returnTo: string };

/**
 * Finishes sign-in at /auth/callback: on success the session cookie is set and the answer says
 * where to send the browser. Throws LoginError on any failure.
 */
export async function completeTmdbLogin(event: RequestEvent): Promise<CompletedLogin> {
	const { log, session: currentSession, app } = event.locals;
	try {
		await limitSignInAttempts(app, event, 'callback');
	} catch (error) {
		throw loginFailure(log, 'sign-in could not be checked', error);
	}
	const keys = app.config.session.encryptionKeys;
	const pending = readPendingLoginCookie(event, keys, new Date());
	if (!pending && currentSession) return { kind: 'already_signed_in', returnTo: '/' };

	const params = event.url.searchParams;
	const tokens = params.getAll('request_token');
	const denied = params.getAll('denied');
	const approved = params.getAll('approved');
	const requestToken =
		tokens.length === 1 && REQUEST_TOKEN_PATTERN.test(tokens[0]!) ? tokens[0]! : null;
	// TMDB's denial also carries the token, so look at the verdict first.
	const isDenial = denied.length > 0 && approved.length === 0;
	if (
		!isDenial &&
		(!requestToken || approved.length !== 1 || approved[0] !== 'true' || denied.length > 0)
	) {
		log.warn({ event: 'sign_in_failed', reason: 'malformed_callback' }, 'malformed callback');
		throw new LoginError('invalid_callback');
	}
	// Only a callback naming this browser's pending token may approve or cancel it: anyone can
	// send a browser to /auth/callback. Anything else leaves a real pending sign-in intact.
	if (!pending || !requestToken || !pendingLoginMatches(pending, requestToken)) {
		log.warn(
			{ event: 'sign_in_failed', reason: pending ? 'token_mismatch' : 'no_pending_login' },
			'callback not bound to this browser'
		);
		throw new LoginError('mismatch');
	}
	// The token is spent from here on, whatever happens next.
	deletePendingLoginCookie(event);
	if (isDenial) {
		log.info({ event: 'sign_in_denied' }, 'sign-in denied at TMDB');
		throw new LoginError('denied');
	}

	let tmdbSessionId: string;
	try {
		tmdbSessionId = await app.tmdb.createSession(requestToken);
	} catch (error) {
		throw loginFailure(log, 'TMDB refused to create a session', error);
	}

	try {
		const account = await app.tmdb.getAccount(tmdbSessionId);
		const userId = await upsertTmdbUser(app.sql, account, new Date());
		// Before the new session exists, so that a failure here leaves nothing half made: no
		// session fixation (the browser's session is replaced), and the cap counts the new one.
		await Promise.all([
			currentSession && app.sessions.endSessions({ sessionId: currentSession.id }, 'replaced'),
			app.sessions.endSessions(
				{ userId, keepNewest: app.config.session.maxPerUser - 1 },
				'over_cap'
			)
		]);
		const userAgent = event.request.headers.get('user-agent');
		const { token, session } = await app.sessions.createSession(userId, tmdbSessionId, userAgent);
		setSessionCookie(event, token, session.expiresAt);
		log.info(
			{ event: 'sign_in_completed', session: sessionLogId(session.id), tmdbAccountId: account.id },
			'signed in'
		);
		return { kind: 'signed_in', session, returnTo: safeReturnPath(pending.returnTo) };
	} catch (error) {
		// Our side failed after TMDB made a session: end it there, so nothing is left behind.
		await app.sessions.endUnusedTmdbSession(tmdbSessionId);
		throw loginFailure(log, 'sign-in could not be completed', error);
	}
}

function loginFailure(log: RequestEvent['locals']['log'], message: string, error: unknown) {
	if (error instanceof LoginError) return error;
	if (isDatabaseOutage(error)) {
		log.error({ event: 'database_unavailable', err: error }, message);
		return new LoginError('database_unavailable');
	}
	if (isTmdbError(error)) {
		log.warn(
			{
				event: 'sign_in_failed',
				tmdbError: error.kind,
				httpStatus: error.httpStatus,
				tmdbCode: error.statusCode
			},
			message
		);
		return new LoginError(CODE_FOR_TMDB_FAILURE[error.kind]);
	}
	const errorId = randomUUID();
	log.error({ event: 'sign_in_failed', err: error, errorId }, message);
	return new LoginError('failed', { errorId });
}
