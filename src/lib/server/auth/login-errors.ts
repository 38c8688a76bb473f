/**
 * Why a sign-in attempt failed, as a short code in the sign-in page's URL. The page shows a
 * message from this fixed list; nothing from the URL is ever reflected (R1.3, R5.4).
 */
import { userMessageFor, type TmdbErrorKind } from '../tmdb/errors.ts';

export const LOGIN_ERROR_MESSAGES = {
	denied: 'You chose not to approve Marquee on TMDB, so you are not signed in.',
	expired: 'That sign-in request expired or was already used. Please sign in again.',
	not_approved: 'TMDB has not approved this sign-in. Please sign in again.',
	mismatch:
		'This sign-in was not started in this browser, or it took too long. Please sign in again.',
	invalid_callback: 'TMDB sent back an incomplete answer. Please sign in again.',
	unavailable: 'TMDB is not answering right now. Please try again in a minute.',
	rate_limited: 'TMDB is busy right now. Please wait a few seconds and try again.',
	not_configured: 'Signing in with TMDB is not available right now. Please try again later.',
	failed: 'Something went wrong while signing you in. Please try again.',
	// TMDB revoked the session while the person was using Marquee (see auth/tmdb-as.ts).
	session_ended: userMessageFor('session_invalid')
} as const;

export type LoginErrorCode = keyof typeof LOGIN_ERROR_MESSAGES;

export function isLoginErrorCode(value: unknown): value is LoginErrorCode {
	return typeof value === 'string' && Object.hasOwn(LOGIN_ERROR_MESSAGES, value);
}

export function loginErrorForTmdb(kind: TmdbErrorKind): LoginErrorCode {
	switch (kind) {
		case 'network':
		case 'timeout':
		case 'unavailable':
		case 'bad_response':
			return 'unavailable';
		case 'rate_limited':
			return 'rate_limited';
		case 'invalid_credential':
			return 'not_configured';
		case 'token_invalid':
			return 'expired';
		case 'token_not_approved':
			return 'not_approved';
		case 'session_invalid':
		case 'not_found':
		case 'unknown':
			return 'failed';
	}
}
