/**
 * Fault injection for tests: queued faults that replace the sandbox's next answers on an endpoint.
 * Only the standalone test server applies them; the app's sandbox has none.
 */
import { z } from 'zod';
import {
	SANDBOX_ENDPOINTS,
	type SandboxEndpoint
} from '../../../src/lib/server/tmdb-sandbox/api.ts';
import {
	jsonResponse,
	tmdbErrorResponse,
	TMDB_ERRORS
} from '../../../src/lib/server/tmdb-sandbox/responses.ts';

/** Where a fault applies: one endpoint, or whichever call comes next. */
export const FAULT_TARGETS = [...SANDBOX_ENDPOINTS, 'any'] as const;

export type FaultTarget = (typeof FAULT_TARGETS)[number];

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
	/** Waits until the test releases it (at most HOLD_LIMIT_MS) and then answers normally. */
	z.object({ kind: z.literal('hold') }),
	/** The standalone server destroys the socket without answering. */
	z.object({ kind: z.literal('reset') }),
	/** 200 with a body that is not JSON. */
	z.object({ kind: z.literal('malformed_json') }),
	/** 200 with valid JSON of the wrong shape. */
	z.object({ kind: z.literal('wrong_shape') }),
	/** Exactly this answer: a recorded or hand-made TMDB response, status, headers and body. */
	z.object({
		kind: z.literal('reply'),
		httpStatus: z.number().int().min(200).max(599),
		headers: z.record(z.string(), z.string()).optional(),
		body: z.string().max(1_000_000)
	})
]);

export type SandboxFault = z.infer<typeof faultSchema>;

type QueuedFault = { endpoint: FaultTarget; fault: SandboxFault; remaining: number };

/**
 * How long a `hold` lasts when nobody releases it: longer than any test holds a call, short
 * enough that a forgotten hold cannot hang a suite.
 */
export const HOLD_LIMIT_MS = 30_000;

export type FaultQueue = {
	add(endpoint: FaultTarget, fault: SandboxFault, count: number): void;
	/** The fault for this call, if any, using up one of its count. */
	take(endpoint: SandboxEndpoint): SandboxFault | undefined;
	/** Resolves when the held call is released, or after HOLD_LIMIT_MS. */
	hold(): Promise<void>;
	/** Lets every held call go on; returns how many there were. */
	release(): number;
	/** Forgets the queued faults and lets held calls go on. */
	clear(): void;
};

export function createFaultQueue(): FaultQueue {
	let queued: QueuedFault[] = [];
	const held = new Set<() => void>();
	function release() {
		const count = held.size;
		for (const letGo of [...held]) letGo();
		return count;
	}
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
		hold() {
			return new Promise((resolve) => {
				const timer = setTimeout(letGo, HOLD_LIMIT_MS);
				// A process that is done otherwise does not wait for a forgotten hold.
				timer.unref();
				held.add(letGo);
				function letGo() {
					clearTimeout(timer);
					held.delete(letGo);
					resolve();
				}
			});
		},
		release,
		clear() {
			queued = [];
			release();
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

const MALFORMED_JSON = '{"success":true,"request_token":"';

/** The misbehaving answer for a fault, or null when the call should then proceed normally. */
export async function faultResponse(
	fault: SandboxFault,
	signal: AbortSignal,
	queue: Pick<FaultQueue, 'hold'>
): Promise<Response | null> {
	switch (fault.kind) {
		case 'unavailable': {
			const statusCode = fault.statusCode ?? 9;
			return tmdbErrorResponse(statusCode, {
				httpStatus: fault.httpStatus ?? TMDB_ERRORS[statusCode].httpStatus
			});
		}
		case 'tmdb_error': {
			const known: { message: string } | undefined = (
				TMDB_ERRORS as Record<number, { message: string }>
			)[fault.statusCode];
			const shape = fault.failureShape ? { failure: true } : { success: false };
			return jsonResponse(
				{
					...shape,
					status_code: fault.statusCode,
					status_message: known?.message ?? 'Sandbox fault.'
				},
				fault.httpStatus
			);
		}
		case 'rate_limited':
			return tmdbErrorResponse(25, {
				headers:
					fault.retryAfterSeconds === undefined
						? {}
						: { 'retry-after': String(fault.retryAfterSeconds) }
			});
		case 'hang':
			if (fault.delayMs === undefined) {
				await waitOrAbort(undefined, signal);
				return new Response(null, { status: 504 });
			}
			// Deliberately not cut short when the client gives up: like a slow server, the sandbox
			// still acts on the request afterwards (which matters for session/new).
			await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
			return null;
		case 'hold':
			// Not cut short when the client gives up either, for the same reason.
			await queue.hold();
			return null;
		case 'reset':
			return connectionResetResponse();
		case 'malformed_json':
			return new Response(MALFORMED_JSON, {
				headers: { 'content-type': 'application/json;charset=utf-8' }
			});
		case 'wrong_shape':
			return jsonResponse({ success: true, results: [] });
		case 'reply':
			return new Response(fault.body, { status: fault.httpStatus, headers: fault.headers });
	}
}
