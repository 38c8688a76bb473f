/**
 * The sign-in handshake with TMDB (R1): start creates a request token and binds it to this
 * browser; the callback checks that binding, turns the approved token into a TMDB session,
 * loads the account, and stores the user and the app session together (or nothing at all).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.ts';
import { isDatabaseOutage } from '../db/outage.ts';
import { deleteSessionById } from '../db/sessions.ts';
import { upsertTmdbUser } from '../db/users.ts';
import type { Sql } from '../db/client.ts';
import { approvalUrl } from '../tmdb/client.ts';
import { isTmdbError } from '../tmdb/errors.ts';
import {
	deletePendingLoginCookie,
	hashRequestToken,
	pendingLoginMatches,
	readPendingLoginCookie,
	setPendingLoginCookie,
	type CookieJar
} from './cookies.ts';
import { loginErrorForTmdb, type LoginErrorCode } from './login-errors.ts';
import { safeReturnPath } from './return-path.ts';
import type { AuthServices } from '../services.ts';
import { sessionLogId } from './session-token.ts';
import { tmdbSessionIdOf } from './sessions.ts';
import { endTmdbSessionsQuietly } from './sign-out.ts';
import type { AppSession } from './types.ts';

export type LoginContext = {
	cookies: CookieJar;
	/** Whether cookies must be Secure: the request came over https. */
	secure: boolean;
	/** The app's public origin, for TMDB's redirect back to /auth/callback. */
	origin: string;
	userAgent: string | null;
	log: Logger;
	/** The session this browser already has, replaced on sign-in (no session fixation). */
	currentSession: AppSession | null;
};

export class LoginError extends Error {
	constructor(
		readonly code: LoginErrorCode,
		readonly errorId?: string
	) {
		super(`Sign-in failed: ${code}`);
		this.name = 'LoginError';
	}
}

/** TMDB request tokens are 40 hex characters; allow some room, but nothing odd. */
const REQUEST_TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/** Starts sign-in (R1.1): returns the URL of TMDB's approval page to send the browser to. */
export async function startTmdbLogin(
	services: AuthServices,
	context: LoginContext,
	requestedReturnPath: unknown
): Promise<string> {
	const returnTo = safeReturnPath(requestedReturnPath);
	let token: { requestToken: string; expiresAt: Date };
	try {
		token = await services.tmdb.createRequestToken();
	} catch (error) {
		throw loginFailure(context.log, 'sign-in could not start', error);
	}
	setPendingLoginCookie(context.cookies, context.secure, services.config.session.encryptionKeys, {
		tokenHash: hashRequestToken(token.requestToken),
		returnTo,
		expiresAt: token.expiresAt
	});
	context.log.info({ event: 'sign_in_started' }, 'sign-in started');
	return approvalUrl(
		services.config.tmdb.webUrl,
		token.requestToken,
		`${context.origin}/auth/callback`
	);
}

export type CompletedLogin =
	| { kind: 'signed_in'; token: string; session: AppSession; returnTo: string }
	/** A reload of a used callback URL by someone who is signed in already: just go on. */
	| { kind: 'already_signed_in'; returnTo: string };

/** Finishes sign-in at /auth/callback (R1.2, R1.3, R6.5). Throws LoginError on any failure. */
export async function completeTmdbLogin(
	services: AuthServices,
	context: LoginContext,
	params: URLSearchParams
): Promise<CompletedLogin> {
	const { log } = context;
	const pending = readPendingLoginCookie(
		context.cookies,
		context.secure,
		services.config.session.encryptionKeys,
		new Date()
	);
	if (!pending && context.currentSession) return { kind: 'already_signed_in', returnTo: '/' };

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
	deletePendingLoginCookie(context.cookies, context.secure);
	if (isDenial) {
		log.info({ event: 'sign_in_denied' }, 'sign-in denied at TMDB');
		throw new LoginError('denied');
	}

	let tmdbSessionId: string;
	try {
		tmdbSessionId = await services.tmdb.createSession(requestToken);
	} catch (error) {
		throw loginFailure(log, 'TMDB refused to create a session', error);
	}

	try {
		const account = await services.tmdb.getAccount(tmdbSessionId);
		const { token, session, ended } = await services.sql.begin(async (tx) => {
			// A transaction runs queries like the pool; postgres.js only types it without pool methods.
			const sql = tx as unknown as Sql;
			const userId = await upsertTmdbUser(sql, account, new Date());
			if (context.currentSession) await deleteSessionById(sql, context.currentSession.id);
			const created = await services.sessions.createSession(
				sql,
				userId,
				tmdbSessionId,
				context.userAgent
			);
			return { ...created, ended: await services.sessions.endSessionsBeyondCap(sql, userId) };
		});
		const replaced = context.currentSession && tmdbSessionIdOf(context.currentSession);
		if (replaced) ended.push(replaced);
		if (ended.length > 0) {
			log.info({ event: 'sessions_ended_on_sign_in', count: ended.length }, 'older sessions ended');
			await endTmdbSessionsQuietly(services, ended, log);
		}
		log.info(
			{ event: 'sign_in_completed', session: sessionLogId(session.id), tmdbAccountId: account.id },
			'signed in'
		);
		return { kind: 'signed_in', token, session, returnTo: safeReturnPath(pending.returnTo) };
	} catch (error) {
		// Our side failed after TMDB made a session: end it there, so nothing is left behind.
		await endTmdbSessionsQuietly(services, [tmdbSessionId], log);
		throw loginFailure(log, 'sign-in could not be completed', error);
	}
}

/** A LoginError for the person; a database outage passes through for the caller's 503. */
function loginFailure(log: Logger, message: string, error: unknown): unknown {
	if (error instanceof LoginError || isDatabaseOutage(error)) return error;
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
		return new LoginError(loginErrorForTmdb(error.kind));
	}
	const errorId = randomUUID();
	log.error({ event: 'sign_in_failed', err: error, errorId }, message);
	return new LoginError('failed', errorId);
}
