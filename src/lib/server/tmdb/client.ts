/**
 * The app's TMDB v3 authentication client (issue 3). Every answer is parsed with a zod schema,
 * every failure becomes a TmdbError with a `kind`, transient failures are retried with backoff
 * inside a total time budget, and every attempt is logged without secrets.
 */
import { ofetch } from 'ofetch';
import type { z } from 'zod';
import type { Logger } from '../log.ts';
import { recordTmdbAttempt, traceTmdbCall } from '../observability.ts';
import {
	classifyTmdbFailure,
	provesRequestWasNotProcessed,
	TmdbError,
	TRANSIENT_KINDS,
	type FailedBody,
	type TmdbCallScope
} from './errors.ts';
import {
	computeBackoffDelay,
	findErrorCode,
	networkErrorProvesNotSent,
	parseRetryAfter
} from './retry.ts';
import { createPersonClient, type TmdbSessionBinding } from './person-client.ts';
import {
	accountResponseSchema,
	authenticationResponseSchema,
	deleteSessionResponseSchema,
	errorResponseSchema,
	requestTokenResponseSchema,
	sessionResponseSchema,
	toTmdbAccount,
	validationErrorsSchema,
	type TmdbAccount
} from './schemas.ts';

export type TmdbCredential =
	{ kind: 'api_key'; apiKey: string } | { kind: 'bearer'; token: string };

export type TmdbClientOptions = {
	apiUrl: string;
	credential: TmdbCredential;
	/** Per attempt. */
	timeoutMs: number;
	/** For the whole call, attempts and waits between them together. */
	retryBudgetMs: number;
	/** A logger, or a function giving the current one (the app passes the request's logger). */
	log: Logger | (() => Logger);
	/** Lets the app route calls to the in-process sandbox; defaults to the global fetch. */
	fetch?: typeof globalThis.fetch;
	sleep?: (ms: number) => Promise<void>;
	random?: () => number;
	/** Clock used for the budget; tests pair it with `sleep` to simulate time passing. */
	now?: () => number;
	baseDelayMs?: number;
	maxDelayMs?: number;
	maxAttempts?: number;
};

const DEFAULT_BASE_DELAY_MS = 250;
const DEFAULT_MAX_DELAY_MS = 4_000;
const DEFAULT_MAX_ATTEMPTS = 5;
/** A retry is pointless when too little budget would be left for it to get an answer. */
const MIN_USEFUL_ATTEMPT_MS = 250;

type RetryPolicy =
	/** Repeating cannot do anything twice: GETs, and DELETE (a deleted session stays deleted). */
	| 'transient_failures'
	/** Repeat only when TMDB provably did not act on the request (see createSession). */
	| 'only_if_not_processed';

export type CallSpec<T> = {
	method: 'GET' | 'POST' | 'DELETE';
	/**
	 * A fixed path, with `{name}` placeholders filled from `pathParams` (numbers only). Logs and
	 * error messages show the template; secrets go in the query or body, never here.
	 */
	path: string;
	pathParams?: Record<string, number>;
	scope: TmdbCallScope;
	retry: RetryPolicy;
	query?: Record<string, string>;
	body?: Record<string, unknown>;
	schema: z.ZodType<T>;
	/** The caller's: once aborted, no attempt and no wait goes on. */
	signal?: AbortSignal;
};

function fillPath(spec: CallSpec<unknown>): string {
	return spec.path.replace(/\{(\w+)\}/g, (_, name: string) => {
		const value = spec.pathParams?.[name];
		if (value === undefined || !Number.isSafeInteger(value) || value < 0) {
			throw new Error(`TMDB ${spec.method} ${spec.path}: bad path parameter ${name}`);
		}
		return String(value);
	});
}

type AttemptResult<T> =
	{ ok: true; value: T; httpStatus: number } | { ok: false; error: TmdbError };

function cancelled(spec: CallSpec<unknown>): TmdbError {
	return new TmdbError({
		kind: 'timeout',
		message: `TMDB ${spec.method} ${spec.path}: the caller stopped waiting`
	});
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createTmdbClient(options: TmdbClientOptions) {
	const sleep = options.sleep ?? defaultSleep;
	const now = options.now ?? Date.now;
	const backoff = {
		baseDelayMs: options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS,
		maxDelayMs: options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS,
		random: options.random ?? Math.random
	};
	const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
	const minUsefulAttemptMs = Math.min(MIN_USEFUL_ATTEMPT_MS, options.timeoutMs);
	const http = ofetch.create(
		{
			baseURL: options.apiUrl,
			// Retries are ours (budget, jitter, the createSession rule); ofetch must not add its own.
			retry: false,
			ignoreResponseError: true,
			// Parsed here rather than by ofetch, so malformed JSON is told apart from an error body.
			responseType: 'text',
			headers:
				options.credential.kind === 'bearer'
					? { accept: 'application/json', authorization: `Bearer ${options.credential.token}` }
					: { accept: 'application/json' }
		},
		options.fetch ? { fetch: options.fetch } : {}
	);
	const credentialQuery: Record<string, string> =
		options.credential.kind === 'api_key' ? { api_key: options.credential.apiKey } : {};

	async function attemptOnce<T>(spec: CallSpec<T>, timeoutMs: number): Promise<AttemptResult<T>> {
		const controller = new AbortController();
		let timedOut = false;
		const timer = setTimeout(() => {
			timedOut = true;
			controller.abort();
		}, timeoutMs);
		try {
			const response = await http.raw<string, 'text'>(fillPath(spec), {
				method: spec.method,
				query: { ...credentialQuery, ...spec.query },
				body: spec.body,
				signal: spec.signal ? AbortSignal.any([controller.signal, spec.signal]) : controller.signal
			});
			return interpretResponse(
				spec,
				response.status,
				response._data ?? '',
				response.headers,
				now()
			);
		} catch (error) {
			// The caught error's message holds the full URL with api_key and session_id, so only its
			// system code is kept: never attach it as `cause` or log it.
			if (spec.signal?.aborted) return { ok: false, error: cancelled(spec) };
			if (timedOut) {
				return {
					ok: false,
					error: new TmdbError({
						kind: 'timeout',
						message: `TMDB ${spec.method} ${spec.path}: no answer within ${timeoutMs} ms`
					})
				};
			}
			const code = findErrorCode(error);
			return {
				ok: false,
				error: new TmdbError({
					kind: 'network',
					notProcessed: networkErrorProvesNotSent(code),
					message: `TMDB ${spec.method} ${spec.path}: network error${code ? ` (${code})` : ''}`
				})
			};
		} finally {
			clearTimeout(timer);
		}
	}

	/** Says how long to wait before the next attempt, or null to stop retrying. */
	function nextDelay(
		spec: CallSpec<unknown>,
		error: TmdbError,
		attempt: number,
		deadline: number
	): number | null {
		if (!TRANSIENT_KINDS.has(error.kind) || spec.signal?.aborted) return null;
		if (spec.retry === 'only_if_not_processed' && !error.notProcessed) return null;
		if (attempt >= maxAttempts) return null;
		const retryAfter = error.retryAfterSeconds;
		const delay =
			retryAfter !== undefined ? retryAfter * 1000 : computeBackoffDelay(attempt, backoff);
		// Also covers a Retry-After longer than the budget: fail at once rather than wait in vain.
		if (delay + minUsefulAttemptMs > deadline - now()) return null;
		return delay;
	}

	const logger = () => (typeof options.log === 'function' ? options.log() : options.log);

	/** Each call is one span; its attempts are counted and timed (docs/observability.md). */
	const call = <T>(spec: CallSpec<T>) => traceTmdbCall(spec, () => callWithRetries(spec));

	async function callWithRetries<T>(spec: CallSpec<T>): Promise<T> {
		const deadline = now() + options.retryBudgetMs;
		for (let attempt = 1; ; attempt++) {
			const timeoutMs = Math.max(1, Math.min(options.timeoutMs, deadline - now()));
			const started = performance.now();
			const result = await attemptOnce(spec, timeoutMs);
			const durationMs = Math.round(performance.now() - started);
			const fields = { method: spec.method, path: spec.path, attempt, durationMs };
			// The log line, the metrics and the trace say the same of each attempt.
			if (result.ok) {
				const tmdb = { ...fields, status: result.httpStatus };
				recordTmdbAttempt(spec, tmdb);
				logger().info({ tmdb }, 'TMDB call succeeded');
				return result.value;
			}
			const { error } = result;
			const delay = nextDelay(spec, error, attempt, deadline);
			const tmdb = {
				...fields,
				status: error.httpStatus,
				statusCode: error.statusCode,
				errorKind: error.kind,
				retryInMs: delay ?? undefined
			};
			recordTmdbAttempt(spec, tmdb);
			logger().warn({ tmdb }, delay === null ? 'TMDB call failed' : 'TMDB call failed; retrying');
			if (delay === null) throw error;
			await sleepUnlessAborted(delay, spec.signal);
			if (spec.signal?.aborted) throw cancelled(spec);
		}
	}

	function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
		if (!signal) return sleep(ms);
		return new Promise<void>((resolve) => {
			const done = () => {
				signal.removeEventListener('abort', done);
				resolve();
			};
			signal.addEventListener('abort', done, { once: true });
			void sleep(ms).then(done);
		});
	}

	/** Resolves when TMDB accepts the configured API key or read access token. */
	async function checkCredential(): Promise<void> {
		await call({
			method: 'GET',
			path: '/3/authentication',
			scope: 'app',
			retry: 'transient_failures',
			schema: authenticationResponseSchema
		});
	}
	const keyAccepted = () =>
		checkCredential()
			.then(() => true)
			.catch(() => false);

	return {
		async createRequestToken(): Promise<{ requestToken: string; expiresAt: Date }> {
			const body = await call({
				method: 'GET',
				path: '/3/authentication/token/new',
				scope: 'app',
				retry: 'transient_failures',
				schema: requestTokenResponseSchema
			});
			return { requestToken: body.request_token, expiresAt: body.expires_at };
		},

		/** Exchanges an approved request token for a TMDB session id. */
		async createSession(requestToken: string): Promise<string> {
			// session/new consumes the request token. After a timeout, a reset connection or a 5xx
			// TMDB may already have created the session, and its id was in the answer we lost: a
			// repeat cannot get it back and would only answer 17 (token used), hiding the real
			// cause. So this call is repeated only when TMDB provably never acted on it (connection
			// refused, 429 from the rate limiter, 503 with code 9 or 46). Otherwise the person
			// starts sign-in again with a fresh token, which is always safe.
			const body = await call({
				method: 'POST',
				path: '/3/authentication/session/new',
				scope: 'app',
				retry: 'only_if_not_processed',
				body: { request_token: requestToken },
				schema: sessionResponseSchema
			});
			return body.session_id;
		},

		/**
		 * Resolves also when TMDB no longer knows the session: either way it is gone. `signal` ends
		 * the call, retries included, when the caller stops waiting.
		 */
		async deleteSession(sessionId: string, { signal }: { signal?: AbortSignal } = {}) {
			try {
				await call({
					method: 'DELETE',
					path: '/3/authentication/session',
					scope: 'session',
					retry: 'transient_failures',
					body: { session_id: sessionId },
					schema: deleteSessionResponseSchema,
					signal
				});
			} catch (error) {
				if (!(error instanceof TmdbError)) throw error;
				// Unknown to TMDB means already deleted or revoked: what the caller wanted. This also
				// makes a retry after a lost answer to a successful DELETE come out right.
				if (error.kind === 'session_invalid') return;
				// TMDB documents no answer for ending a session it does not know, and 7 ("invalid API
				// key") would be a plausible one: believed only if the key is refused on its own too.
				if (error.kind === 'invalid_credential' && !signal?.aborted && (await keyAccepted()))
					return;
				throw error;
			}
		},

		async getAccount(sessionId: string): Promise<TmdbAccount> {
			const body = await call({
				method: 'GET',
				path: '/3/account',
				scope: 'session',
				retry: 'transient_failures',
				query: { session_id: sessionId },
				schema: accountResponseSchema
			});
			return toTmdbAccount(body, logger());
		},

		checkCredential,

		/** The calls made as the person whose TMDB session this is. */
		forSession: (binding: TmdbSessionBinding) => createPersonClient(call, binding, logger)
	};
}

export type TmdbClient = ReturnType<typeof createTmdbClient>;

function interpretResponse<T>(
	spec: CallSpec<T>,
	httpStatus: number,
	text: string,
	headers: Headers,
	nowMs: number
): AttemptResult<T> {
	const where = `TMDB ${spec.method} ${spec.path}`;
	const json = parseJson(text);
	if (httpStatus >= 200 && httpStatus < 300 && json.ok) {
		const parsed = spec.schema.safeParse(json.value);
		if (parsed.success) return { ok: true, value: parsed.data, httpStatus };
	}
	const errorBody = json.ok ? errorResponseSchema.safeParse(json.value) : undefined;
	const statusCode = errorBody?.success ? errorBody.data.status_code : undefined;
	const body: FailedBody =
		statusCode !== undefined
			? 'tmdb_error'
			: json.ok && validationErrorsSchema.safeParse(json.value).success
				? 'validation_errors'
				: 'other';
	// A 2xx that does not match the schema ends here as bad_response: TMDB changed or a proxy
	// answered.
	const kind = classifyTmdbFailure({ httpStatus, statusCode, body, scope: spec.scope });
	const retryAfterSeconds =
		kind === 'rate_limited' ? parseRetryAfter(headers.get('retry-after'), nowMs) : undefined;
	const about =
		statusCode !== undefined
			? `status_code ${statusCode}`
			: body === 'validation_errors'
				? 'validation errors'
				: `${json.ok ? 'unexpected JSON' : 'no JSON'} body`;
	return {
		ok: false,
		error: new TmdbError({
			kind,
			httpStatus,
			statusCode,
			retryAfterSeconds,
			notProcessed: provesRequestWasNotProcessed({ httpStatus, statusCode }),
			message: `${where}: ${kind} (HTTP ${httpStatus}, ${about})`
		})
	};
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
	try {
		return { ok: true, value: JSON.parse(text) };
	} catch {
		return { ok: false };
	}
}

/** TMDB's approval page for a request token (the in-app sandbox's page in sandbox mode). */
export function approvalUrl(webUrl: string, requestToken: string, redirectTo: string): string {
	return `${webUrl}/authenticate/${encodeURIComponent(requestToken)}?redirect_to=${encodeURIComponent(redirectTo)}`;
}

/** The URL of a TMDB image such as an avatar, or null when there is none. */
export function imageUrl(imageBase: string, path: string | null, size = 'w185'): string | null {
	return path === null ? null : `${imageBase}/${size}${path}`;
}
