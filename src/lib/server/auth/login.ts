/**
 * The sign-in handshake with TMDB, whole. Start creates a request token and binds it to this
 * browser with a signed pending-login cookie; the callback checks that binding, turns the
 * approved token into a TMDB session, loads the account, stores the user and starts the app
 * session. Its neighbours: the sign-in rate limit (rate-limit.ts), return paths
 * (return-path.ts), the keys that sign the cookie (keys.ts), and the words of each failure
 * (src/lib/failures.ts).
 */
import type { RequestEvent } from '@sveltejs/kit';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { countRateLimitHit, forgetRateLimitHits, upsertTmdbUser } from '../db/auth.ts';
import { isDatabaseOutage } from '../db/outage.ts';
import type { AppContext } from '../context.ts';
import { traceRateLimitCheck } from '../observability.ts';
import { approvalUrl } from '../tmdb/client.ts';
import { isTmdbError } from '../tmdb/errors.ts';
import { FAILURES, type SignInFailure } from '../../failures.ts';
import { sessionLogId } from './session-ends.ts';
import { cookieNaming, setSessionCookie, type CookieEvent } from './sessions.ts';
import { signValue, verifySignedValue } from './keys.ts';
import { countSignInAttempt } from './rate-limit.ts';
import { MAX_RETURN_PATH_LENGTH, safeReturnPath } from './return-path.ts';
import type { AppSession } from './types.ts';

// --- Why a sign-in failed: a short code in the sign-in page's URL (`?error=`). Its status,
// words and log level are in the one table of failures (src/lib/failures.ts); nothing from the
// URL is ever reflected. ---

export class LoginError extends Error {
	constructor(
		readonly code: SignInFailure,
		readonly details: { errorId?: string; retryAfterSeconds?: number } = {}
	) {
		super(`Sign-in failed: ${code}`);
		this.name = 'LoginError';
	}
}

/** Throws when this client has started or finished too many sign-ins this minute. */
async function limitSignInAttempts(
	app: AppContext,
	event: RequestEvent,
	bucket: 'sign_in' | 'callback'
): Promise<void> {
	const retryAfterSeconds = await traceRateLimitCheck(bucket, () =>
		countSignInAttempt(app, event, bucket)
	);
	if (retryAfterSeconds === null) return;
	event.setHeaders({ 'retry-after': String(retryAfterSeconds) });
	throw new LoginError('too_many_attempts', { retryAfterSeconds });
}

// --- The pending-login cookie: `base64url(JSON {h, r, e}).<HMAC>`, a hash of the request token
// (never the token), the return path and the expiry. The MAC key is derived from each
// SESSION_ENCRYPTION_KEYS key with HKDF: the first signs, every one verifies, so rotation works
// as for sealed ids, and knowing a leaked request token is not enough to build the cookie. ---

const LOGIN_COOKIE = 'marquee_login';
/** A cookie larger than this is not ours: refuse it before parsing. */
const MAX_LOGIN_COOKIE_LENGTH = 2048;
/**
 * The cookie outlives its request token by this much, so that a callback after the token's end
 * is told that the sign-in expired, not that this browser never started it.
 */
export const LOGIN_COOKIE_GRACE_MS = 60 * 60_000;
/** TMDB's clock and ours may differ: a refusal this close to the token's end is its expiry. */
const CLOCK_SKEW_MS = 60_000;

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
		expires: new Date(login.expiresAt.getTime() + LOGIN_COOKIE_GRACE_MS)
	});
}

/**
 * The pending login of this browser (its token possibly expired), or null when absent, past the
 * grace, or not signed by us.
 */
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
	if (!parsed.success || parsed.data.e + LOGIN_COOKIE_GRACE_MS <= now.getTime()) return null;
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
	const now = new Date();
	const pending = readPendingLoginCookie(event, keys, now);
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
	if (isDenial) {
		deletePendingLoginCookie(event);
		log.info({ event: 'sign_in_denied' }, 'sign-in denied at TMDB');
		throw new LoginError('denied');
	}

	let tmdbSessionId: string;
	// A token goes to TMDB once. TMDB would answer a second exchange (a reload while the first
	// runs or after it failed, a cookie replayed) with 17, as if it were never approved. The
	// count lives with the sign-in rate limits, until the token's end.
	const exchange = `request_token:${pending.tokenHash}`;
	try {
		if ((await countRateLimitHit(app.sql, exchange, pending.expiresAt)) > 1) {
			log.warn({ event: 'sign_in_failed', reason: 'token_used' }, 'request token used already');
			throw new LoginError('already_used');
		}
		tmdbSessionId = await app.tmdb.createSession(requestToken);
	} catch (error) {
		// Unless TMDB certainly did not act on it (offline, its rate limiter): then the token is
		// still good, and reloading the callback exchanges it again. Should the database fail
		// here, the reload says "used already", as after any other failure.
		if (isTmdbError(error) && error.notProcessed) {
			await forgetRateLimitHits(app.sql, exchange).catch(() => undefined);
		}
		const failure = loginFailure(log, 'TMDB refused to create a session', error);
		// TMDB answers an expired token as it does an unapproved one; the pending login knows.
		const expired = pending.expiresAt.getTime() - CLOCK_SKEW_MS <= now.getTime();
		throw failure.code === 'not_approved' && expired ? new LoginError('expired') : failure;
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
		deletePendingLoginCookie(event);
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
		log[FAILURES.database_unavailable.log]({ event: 'database_unavailable', err: error }, message);
		return new LoginError('database_unavailable');
	}
	if (isTmdbError(error)) {
		log[FAILURES[error.kind].log](
			{
				event: 'sign_in_failed',
				tmdbError: error.kind,
				httpStatus: error.httpStatus,
				tmdbCode: error.statusCode
			},
			message
		);
		return new LoginError(FAILURES[error.kind].signIn);
	}
	const errorId = randomUUID();
	log[FAILURES.failed.log]({ event: 'sign_in_failed', err: error, errorId }, message);
	return new LoginError('failed', { errorId });
}
