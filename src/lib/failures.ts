/**
 * Every failure a person can meet, once: the HTTP status it answers with, the words they are
 * shown, and the level it is logged at. Routes, the sign-in code, TMDB's error type and the
 * error page (+error.svelte) all read this table. The words are fixed text: nothing from a URL
 * or an error is ever shown, and none of it is secret, so the browser may have it too.
 */
export type LogLevel = 'info' | 'warn' | 'error';
export type Failure = {
	status: number;
	message: string;
	log: LogLevel;
	/** For a TMDB kind: the sign-in code it becomes when a sign-in meets it. */
	signIn?: SignInFailure;
};

// Words that two kinds share: a TMDB kind and the sign-in code it becomes.
const TMDB_UNAVAILABLE = 'TMDB is unavailable right now. Try again in a few minutes.';
const SIGN_IN_UNAVAILABLE =
	'Signing in with TMDB is not available right now. Please try again later.';
// TMDB answers a token that is not approved, denied, expired or used alike (code 17): the words
// say so unless the sign-in code could tell which (auth/login.ts).
const TOKEN_REFUSED =
	'TMDB turned down that sign-in request: not approved, or used already. Please sign in again.';
const SESSION_ENDED = 'Your TMDB session has ended. Please sign in again.';

/** The kinds a sign-in can fail with, as its `?error=` code: each is a kind of the table below. */
export const SIGN_IN_FAILURES = [
	'denied',
	'expired',
	'already_used',
	'not_approved',
	'mismatch',
	'invalid_callback',
	'unavailable',
	'rate_limited',
	'not_configured',
	'too_many_attempts',
	'database_unavailable',
	'failed',
	'session_ended'
] as const;

export type SignInFailure = (typeof SIGN_IN_FAILURES)[number];

export const FAILURES = {
	// What a TMDB call can end in (the kinds of tmdb/errors.ts), each with the sign-in code it
	// becomes (auth/login.ts may tell 'expired' or 'already_used' from 'not_approved').
	network: {
		status: 503,
		message: 'Could not reach TMDB. Check the connection and try again.',
		log: 'warn',
		signIn: 'unavailable'
	},
	timeout: {
		status: 503,
		message: 'TMDB did not answer. Try again in a minute.',
		log: 'warn',
		signIn: 'unavailable'
	},
	rate_limited: {
		status: 429,
		message: 'TMDB is busy. Try again in a few seconds.',
		log: 'warn',
		signIn: 'rate_limited'
	},
	unavailable: { status: 503, message: TMDB_UNAVAILABLE, log: 'warn', signIn: 'unavailable' },
	// TMDB's CDN refuses this server (a country or firewall block): it lasts, and people cannot
	// fix it, so the operators must hear of it.
	blocked: {
		status: 502,
		message: 'TMDB is refusing requests from Marquee right now. Please try again later.',
		log: 'error',
		signIn: 'unavailable'
	},
	// The app's own key is at fault; the person can do nothing about it, so do not blame them.
	invalid_credential: {
		status: 502,
		message: SIGN_IN_UNAVAILABLE,
		log: 'error',
		signIn: 'not_configured'
	},
	token_refused: {
		status: 400,
		message: TOKEN_REFUSED,
		log: 'warn',
		signIn: 'not_approved'
	},
	session_invalid: {
		status: 401,
		message: SESSION_ENDED,
		log: 'info',
		signIn: 'failed'
	},
	not_found: {
		status: 404,
		message: 'TMDB could not find that item. It may have been removed already.',
		log: 'info',
		signIn: 'failed'
	},
	// TMDB found the request Marquee sent invalid: a fault of ours.
	invalid_request: {
		status: 502,
		message: 'TMDB could not process the request Marquee sent. Please try again later.',
		log: 'error',
		signIn: 'failed'
	},
	bad_response: {
		status: 502,
		message: 'TMDB sent an answer we could not read. Try again in a minute.',
		log: 'warn',
		signIn: 'unavailable'
	},
	unknown: {
		status: 502,
		message: 'Something went wrong while talking to TMDB. Please try again.',
		log: 'warn',
		signIn: 'failed'
	},

	// Why a sign-in failed: the code travels to the sign-in page as `?error=<code>`.
	denied: {
		status: 400,
		message: 'You chose not to approve Marquee on TMDB, so you are not signed in.',
		log: 'info'
	},
	expired: {
		status: 400,
		message: 'That TMDB sign-in request expired: they last 60 minutes. Please sign in again.',
		log: 'warn'
	},
	already_used: {
		status: 400,
		message: 'That TMDB sign-in request was used already. Please sign in again.',
		log: 'warn'
	},
	not_approved: {
		status: 400,
		message: TOKEN_REFUSED,
		log: 'warn'
	},
	mismatch: {
		status: 400,
		message:
			'This sign-in was not started in this browser, or it took too long. Please sign in again.',
		log: 'warn'
	},
	invalid_callback: {
		status: 400,
		message: 'TMDB sent back an incomplete answer. Please sign in again.',
		log: 'warn'
	},
	not_configured: {
		status: 503,
		message: SIGN_IN_UNAVAILABLE,
		log: 'error'
	},
	too_many_attempts: {
		status: 429,
		message: 'Too many sign-in attempts from your network. Please wait a minute and try again.',
		log: 'warn'
	},
	database_unavailable: {
		status: 503,
		message: 'We cannot reach our database right now. Please try again in a minute.',
		log: 'error'
	},
	failed: {
		status: 500,
		message: 'Something went wrong while signing you in. Please try again.',
		log: 'error'
	},
	// TMDB revoked the session while the person was using Marquee (auth/guards.ts).
	session_ended: {
		status: 401,
		message: SESSION_ENDED,
		log: 'info'
	},

	// What the error page says for a status raised without words of its own.
	bad_request: { status: 400, message: 'That request did not make sense to us.', log: 'info' },
	forbidden: { status: 403, message: 'You are not allowed to do that.', log: 'info' },
	page_not_found: { status: 404, message: 'There is no page at this address.', log: 'info' },
	too_many_requests: {
		status: 429,
		message: 'Too many attempts. Please wait a moment and try again.',
		log: 'warn'
	},
	service_unavailable: {
		status: 503,
		message: 'Marquee is unavailable for a moment. Please try again shortly.',
		log: 'error'
	},
	internal: {
		status: 500,
		message: 'Something went wrong on our side. Please try again.',
		log: 'error'
	}
} as const satisfies Record<string, Failure>;

export type FailureKind = keyof typeof FAILURES;

export function isSignInFailure(value: unknown): value is SignInFailure {
	return SIGN_IN_FAILURES.includes(value as SignInFailure);
}

const PAGE_FAILURES = [
	'bad_request',
	'forbidden',
	'page_not_found',
	'too_many_requests',
	'service_unavailable'
] as const satisfies readonly FailureKind[];

/** The error page's words for a status: the table's, or the generic ones for any other. */
export function pageFailureFor(status: number): Failure {
	return (
		PAGE_FAILURES.map((kind) => FAILURES[kind]).find((failure) => failure.status === status) ??
		FAILURES.internal
	);
}
