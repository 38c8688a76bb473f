/**
 * One error type for every way a TMDB call can fail. The rest of the app switches on `kind`;
 * `userMessage` is safe to show a person. Messages never contain keys, tokens, session ids or
 * URLs with query strings: only the endpoint path, HTTP status and TMDB's status_code.
 *
 * A failed answer (HTTP status + TMDB `status_code`) becomes a kind here too. TMDB's status
 * codes are keyed on first because they are more specific than the HTTP status (see
 * docs/tmdb.md and TMDB's error table).
 */

import { FAILURES } from '../../failures.ts';

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

/**
 * Failures where the same request may well succeed a moment later: the client retries these
 * (within its budget), and `retryable` tells a page to offer a retry.
 */
export const TRANSIENT_KINDS: ReadonlySet<TmdbErrorKind> = new Set([
	'network',
	'timeout',
	'rate_limited',
	'unavailable'
]);

/** What a person is told, per kind (src/lib/failures.ts), with the wait when TMDB named one. */
export function userMessageFor(kind: TmdbErrorKind, retryAfterSeconds?: number): string {
	if (kind === 'rate_limited' && retryAfterSeconds !== undefined && retryAfterSeconds > 0) {
		return `TMDB is busy. Try again in ${retryAfterSeconds} ${retryAfterSeconds === 1 ? 'second' : 'seconds'}.`;
	}
	return FAILURES[kind].message;
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
		this.retryable = TRANSIENT_KINDS.has(details.kind);
		this.userMessage = userMessageFor(details.kind, details.retryAfterSeconds);
	}
}

export function isTmdbError(value: unknown): value is TmdbError {
	return value instanceof TmdbError;
}

/**
 * What the failed call was about: code 3 means "session revoked" only on calls that carry one.
 * 'session' is the handshake's own session calls; 'account' is acting as the person on their
 * account (watchlist, favourites, ...), where 6 and 34 name a missing item, not a dead session.
 */
export type TmdbCallScope = 'app' | 'session' | 'account';

const RATE_LIMITED_CODES = new Set([25]);
const UNAVAILABLE_CODES = new Set([9, 24, 43, 46]);
const INVALID_CREDENTIAL_CODES = new Set([7, 10]);
const TOKEN_INVALID_CODES = new Set([33]);
const TOKEN_NOT_APPROVED_CODES = new Set([17, 41]);
/**
 * 3 is what TMDB answers for an unknown or revoked session_id (HTTP 401). For DELETE session
 * with an id TMDB no longer knows, TMDB documents no answer: 6 (invalid id), 34 (not found) and
 * 37 (session not found) are the candidates its error table offers, so each means "gone".
 */
const SESSION_INVALID_CODES = new Set([3, 6, 34, 37]);
/** 34: resource not found; 6: invalid id (e.g. a media_id TMDB does not know). */
const NOT_FOUND_CODES = new Set([6, 34]);

export function classifyTmdbFailure(input: {
	httpStatus: number;
	statusCode?: number;
	scope: TmdbCallScope;
}): TmdbErrorKind {
	const { httpStatus, statusCode, scope } = input;
	if (httpStatus === 429 || (statusCode !== undefined && RATE_LIMITED_CODES.has(statusCode))) {
		return 'rate_limited';
	}
	if (statusCode !== undefined) {
		if (INVALID_CREDENTIAL_CODES.has(statusCode)) return 'invalid_credential';
		if (TOKEN_INVALID_CODES.has(statusCode)) return 'token_invalid';
		if (TOKEN_NOT_APPROVED_CODES.has(statusCode)) return 'token_not_approved';
		if (scope === 'session' && SESSION_INVALID_CODES.has(statusCode)) return 'session_invalid';
		// Only TMDB's documented answer for a dead session (HTTP 401, code 3) signs the person out.
		if (scope === 'account' && statusCode === 3 && httpStatus === 401) return 'session_invalid';
		if (scope === 'account' && NOT_FOUND_CODES.has(statusCode)) return 'not_found';
		if (UNAVAILABLE_CODES.has(statusCode)) return 'unavailable';
	}
	if (httpStatus >= 500) return 'unavailable';
	return 'unknown';
}

/**
 * True when TMDB certainly rejected the request before acting on it, so repeating a
 * non-idempotent call (session/new consumes its request token) cannot do anything twice.
 * 429 comes from TMDB's rate limiter in front of the API; 503 with 9 (service offline) or
 * 46 (maintenance) means the API is switched off. Other 5xx may come after processing.
 */
export function provesRequestWasNotProcessed(input: {
	httpStatus: number;
	statusCode?: number;
}): boolean {
	if (input.httpStatus === 429) return true;
	return input.httpStatus === 503 && (input.statusCode === 9 || input.statusCode === 46);
}
