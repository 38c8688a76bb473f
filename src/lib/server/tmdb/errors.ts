/**
 * One error type for every way a TMDB call can fail. The rest of the app switches on `kind`;
 * `userMessage` is safe to show a person. Messages never contain keys, tokens, session ids or
 * URLs with query strings (R6.7): only the endpoint path, HTTP status and TMDB's status_code.
 */

export type TmdbErrorKind =
	| 'network'
	| 'timeout'
	| 'rate_limited'
	| 'unavailable'
	| 'invalid_credential'
	| 'token_invalid'
	| 'token_not_approved'
	| 'session_invalid'
	| 'not_found'
	| 'bad_response'
	| 'unknown';

/** Kinds where the same request may well succeed later, so the interface should offer a retry. */
const RETRYABLE_KINDS: ReadonlySet<TmdbErrorKind> = new Set([
	'network',
	'timeout',
	'rate_limited',
	'unavailable',
	'bad_response'
]);

export function isRetryableKind(kind: TmdbErrorKind): boolean {
	return RETRYABLE_KINDS.has(kind);
}

export function userMessageFor(kind: TmdbErrorKind, retryAfterSeconds?: number): string {
	switch (kind) {
		case 'network':
			return 'Could not reach TMDB. Check the connection and try again.';
		case 'timeout':
			return 'TMDB did not answer. Try again in a minute.';
		case 'rate_limited':
			return retryAfterSeconds !== undefined && retryAfterSeconds > 0
				? `TMDB is busy. Try again in ${retryAfterSeconds} ${retryAfterSeconds === 1 ? 'second' : 'seconds'}.`
				: 'TMDB is busy. Try again in a few seconds.';
		case 'unavailable':
			return 'TMDB is unavailable right now. Try again in a few minutes.';
		case 'invalid_credential':
			// The app's own key is at fault; the person can do nothing about it, so do not blame them.
			return 'Signing in with TMDB is not available right now. Please try again later.';
		case 'token_invalid':
			return 'That TMDB sign-in request expired or was already used. Please sign in again.';
		case 'token_not_approved':
			return 'TMDB sign-in was not approved. Please sign in again if you meant to.';
		case 'session_invalid':
			return 'Your TMDB session has ended. Please sign in again.';
		case 'not_found':
			return 'TMDB could not find that item. It may have been removed already.';
		case 'bad_response':
			return 'TMDB sent an answer we could not read. Try again in a minute.';
		case 'unknown':
			return 'Something went wrong while talking to TMDB. Please try again.';
	}
}

export type TmdbErrorDetails = {
	kind: TmdbErrorKind;
	/** For developers and logs: endpoint path and codes only, never secrets. */
	message: string;
	httpStatus?: number;
	statusCode?: number;
	retryAfterSeconds?: number;
};

export class TmdbError extends Error {
	readonly kind: TmdbErrorKind;
	readonly httpStatus?: number;
	/** TMDB's `status_code` from the error body, when there was one. */
	readonly statusCode?: number;
	readonly retryable: boolean;
	readonly retryAfterSeconds?: number;
	readonly userMessage: string;

	constructor(details: TmdbErrorDetails) {
		super(details.message);
		this.name = 'TmdbError';
		this.kind = details.kind;
		this.httpStatus = details.httpStatus;
		this.statusCode = details.statusCode;
		this.retryAfterSeconds = details.retryAfterSeconds;
		this.retryable = isRetryableKind(details.kind);
		this.userMessage = userMessageFor(details.kind, details.retryAfterSeconds);
	}
}

export function isTmdbError(value: unknown): value is TmdbError {
	return value instanceof TmdbError;
}
