/**
 * One error type for every way a TMDB call can fail. The rest of the app switches on `kind`;
 * `userMessage` is safe to show a person. Messages never contain keys, tokens, session ids or
 * URLs with query strings: only the endpoint path, HTTP status and TMDB's status_code.
 *
 * A failed answer (HTTP status, TMDB `status_code`, what the body was) becomes a kind here too:
 * TMDB's status code first, read for the kind of call it answers, then the HTTP status and the
 * body (docs/tmdb.md lists each case with its source).
 */

import { FAILURES } from '../../failures.ts';

export type TmdbErrorKind =
	| 'network'
	| 'timeout'
	| 'rate_limited'
	| 'unavailable'
	| 'blocked'
	| 'invalid_credential'
	| 'token_refused'
	| 'session_invalid'
	| 'not_found'
	| 'invalid_request'
	| 'bad_response'
	| 'unknown';

/**
 * Failures where the same request may well succeed a moment later: the client retries these
 * (within its budget).
 */
export const TRANSIENT_KINDS: ReadonlySet<TmdbErrorKind> = new Set([
	'network',
	'timeout',
	'rate_limited',
	'unavailable'
]);

/**
 * Where a page offers a retry (`retryable`): the transient kinds, and an answer we could not
 * read, which may be a one-off (a cut body, a proxy's page) but would likely come back the same
 * if repeated at once, so the client leaves that try to the person (R5.1).
 */
const RETRY_OFFERED: ReadonlySet<TmdbErrorKind> = new Set([...TRANSIENT_KINDS, 'bad_response']);

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
	/** TMDB certainly did not act on the request (see provesRequestWasNotProcessed). */
	notProcessed?: boolean;
};

export class TmdbError extends Error {
	readonly kind: TmdbErrorKind;
	readonly httpStatus?: number;
	/** TMDB's `status_code` from the error body, when there was one. */
	readonly statusCode?: number;
	readonly retryable: boolean;
	readonly retryAfterSeconds?: number;
	/**
	 * TMDB certainly did not act on the request, so repeating it cannot do anything twice: the
	 * client may retry even session/new, and a reload of the callback may exchange its token again.
	 */
	readonly notProcessed: boolean;
	readonly userMessage: string;

	constructor(details: TmdbErrorDetails) {
		super(details.message);
		this.name = 'TmdbError';
		this.kind = details.kind;
		this.httpStatus = details.httpStatus;
		this.statusCode = details.statusCode;
		this.retryAfterSeconds = details.retryAfterSeconds;
		this.notProcessed = details.notProcessed ?? false;
		this.retryable = RETRY_OFFERED.has(details.kind);
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

/**
 * What each TMDB status_code means, by the kind of call it answers (`all`: any call without an
 * entry of its own). Codes not listed are `unknown` (or `unavailable` with a 5xx).
 * - 3 is TMDB's answer to an unknown or revoked session_id; on calls as the person only with
 *   HTTP 401 (below). For DELETE session on a session TMDB no longer knows there is no recording:
 *   3, 6, 34 and 37 are the candidates TMDB's error table offers, so each means "gone".
 * - 7 ("invalid API key") is taken at its word, on DELETE session too, where it is checked
 *   before being believed (client.ts, deleteSession).
 * - 17 is what TMDB answers session/new for a token that is not approved, denied, expired, used
 *   or unknown alike; 33 and 41 are documented for some of these. Only the app can tell which
 *   (auth/login.ts).
 */
const CODE_MEANINGS: Record<number, Partial<Record<TmdbCallScope | 'all', TmdbErrorKind>>> = {
	3: { session: 'session_invalid', account: 'session_invalid' },
	5: { all: 'invalid_request' },
	6: { session: 'session_invalid', account: 'not_found' },
	7: { all: 'invalid_credential' },
	9: { all: 'unavailable' },
	10: { all: 'invalid_credential' },
	17: { all: 'token_refused' },
	18: { all: 'invalid_request' },
	22: { all: 'invalid_request' },
	24: { all: 'unavailable' },
	25: { all: 'rate_limited' },
	33: { all: 'token_refused' },
	34: { session: 'session_invalid', account: 'not_found' },
	37: { session: 'session_invalid' },
	41: { all: 'token_refused' },
	43: { all: 'unavailable' },
	46: { all: 'unavailable' },
	47: { all: 'invalid_request' }
};

/**
 * What the body of a failed answer was: TMDB's error JSON (with a `statusCode`; the default), a
 * validation body `{"errors": [...]}`, or anything else (HTML from the CDN, empty, cut JSON).
 */
export type FailedBody = 'tmdb_error' | 'validation_errors' | 'other';

export function classifyTmdbFailure(input: {
	httpStatus: number;
	statusCode?: number;
	body?: FailedBody;
	scope: TmdbCallScope;
}): TmdbErrorKind {
	const { httpStatus, statusCode, scope, body = 'tmdb_error' } = input;
	// TMDB's rate limiter, or the CDN's in front of it, whatever the body (JSON 25, HTML, empty).
	if (httpStatus === 429) return 'rate_limited';
	const meanings = statusCode === undefined ? undefined : CODE_MEANINGS[statusCode];
	const kind = meanings?.[scope] ?? meanings?.all;
	// Only TMDB's documented answer for a dead session (HTTP 401, code 3) signs the person out.
	if (kind === 'session_invalid' && scope === 'account' && httpStatus !== 401) return 'unknown';
	if (kind) return kind;
	if (httpStatus >= 500) return 'unavailable';
	if (body === 'validation_errors' && httpStatus >= 400) return 'invalid_request';
	// A 403 that is not TMDB's JSON is the CDN refusing this server (a country or firewall block).
	if (body === 'other' && httpStatus === 403) return 'blocked';
	return body === 'tmdb_error' ? 'unknown' : 'bad_response';
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
