/**
 * Fault injection for tests: queued faults that replace the sandbox's next answers on an endpoint.
 * Only a sandbox created with `faultInjection: true` (the standalone test server) accepts them.
 */
import { z } from 'zod';

export const SANDBOX_ENDPOINTS = [
	'token/new',
	'session/new',
	'session/delete',
	'account',
	'authentication',
	'watchlist/movies',
	'watchlist',
	'any'
] as const;

export type SandboxEndpoint = (typeof SANDBOX_ENDPOINTS)[number];

export const faultSchema = z.discriminatedUnion('kind', [
	/** 5xx with a TMDB code; 503 + code 9 (service offline) unless told otherwise. */
	z.object({
		kind: z.literal('unavailable'),
		httpStatus: z.number().int().min(500).max(599).optional(),
		statusCode: z
			.union([z.literal(9), z.literal(11), z.literal(24), z.literal(43), z.literal(46)])
			.optional()
	}),
	/** Any TMDB error body with any status, e.g. 422 + code 5; `failure: true` instead of `success: false` on request. */
	z.object({
		kind: z.literal('tmdb_error'),
		httpStatus: z.number().int().min(400).max(599),
		statusCode: z.number().int().min(1).max(99),
		failureShape: z.boolean().optional()
	}),
	/** 429 + code 25, with a Retry-After header only when `retryAfterSeconds` is given. */
	z.object({
		kind: z.literal('rate_limited'),
		retryAfterSeconds: z.number().int().min(0).max(86_400).optional()
	}),
	/** Waits `delayMs` and then answers normally; without `delayMs` it never answers. */
	z.object({ kind: z.literal('hang'), delayMs: z.number().int().min(0).max(600_000).optional() }),
	/** The standalone server destroys the socket without answering. */
	z.object({ kind: z.literal('reset') }),
	/** 200 with a body that is not JSON. */
	z.object({ kind: z.literal('malformed_json') }),
	/** 200 with valid JSON of the wrong shape. */
	z.object({ kind: z.literal('wrong_shape') })
]);

export type SandboxFault = z.infer<typeof faultSchema>;

type QueuedFault = { endpoint: SandboxEndpoint; fault: SandboxFault; remaining: number };

export type FaultQueue = {
	add(endpoint: SandboxEndpoint, fault: SandboxFault, count: number): void;
	/** The fault for this call, if any, using up one of its count. */
	take(endpoint: SandboxEndpoint): SandboxFault | undefined;
	clear(): void;
};

export function createFaultQueue(): FaultQueue {
	let queued: QueuedFault[] = [];
	return {
		add(endpoint, fault, count) {
			queued.push({ endpoint, fault, remaining: count });
		},
		take(endpoint) {
			const entry = queued.find((item) => item.endpoint === endpoint || item.endpoint === 'any');
			if (!entry) return undefined;
			entry.remaining -= 1;
			if (entry.remaining <= 0) queued = queued.filter((item) => item !== entry);
			return entry.fault;
		},
		clear() {
			queued = [];
		}
	};
}

/**
 * A Request → Response handler cannot reset a socket, so it marks the Response and the
 * standalone server destroys the connection instead of sending it.
 */
const connectionResets = new WeakSet<Response>();

export function connectionResetResponse(): Response {
	const response = new Response(null, { status: 500 });
	connectionResets.add(response);
	return response;
}

export function shouldResetConnection(response: Response): boolean {
	return connectionResets.has(response);
}

/** Resolves after `ms`, or early when the client goes away. `undefined` waits for that alone. */
export function waitOrAbort(ms: number | undefined, signal: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		if (signal.aborted) return resolve();
		const timer = ms === undefined ? undefined : setTimeout(done, ms);
		signal.addEventListener('abort', done, { once: true });
		function done() {
			clearTimeout(timer);
			signal.removeEventListener('abort', done);
			resolve();
		}
	});
}
