/**
 * The standalone sandbox's control API under /__sandbox/, so a test in another process
 * (Playwright) can inject faults, release held calls, revoke sessions and read what the sandbox
 * received. It exists only on the standalone test server (server.ts), never in the app.
 */
import { z } from 'zod';
import { jsonResponse } from '../../../src/lib/server/tmdb-sandbox/responses.ts';
import { FAULT_TARGETS, faultSchema } from './faults.ts';
import type { TestSandbox } from './sandbox.ts';

export const CONTROL_PREFIX = '/__sandbox/';

const faultRequestSchema = z
	.object({
		endpoint: z.enum(FAULT_TARGETS),
		count: z.number().int().min(1).max(1000).default(1)
	})
	.and(faultSchema);

const revokeRequestSchema = z.union([
	z.object({ session_id: z.string().min(1).max(200) }),
	z.object({ account_id: z.number().int().nonnegative() }),
	z.object({ username: z.string().min(1).max(100) })
]);

const decideRequestSchema = z.object({
	request_token: z.string().min(1).max(200),
	decision: z.enum(['approve', 'deny']).default('approve'),
	username: z.string().min(1).max(100).default('ada')
});

const clockRequestSchema = z.object({
	advance_ms: z
		.number()
		.int()
		.min(0)
		.max(366 * 86_400_000)
});

type ControlRoute = (sandbox: TestSandbox, body: unknown) => Response;

const ROUTES: Record<string, ControlRoute> = {
	'POST faults': (sandbox, body) => {
		const { endpoint, count, ...fault } = faultRequestSchema.parse(body);
		sandbox.injectFault(endpoint, fault, count);
		return jsonResponse({ queued: count }, 201);
	},
	'DELETE faults': (sandbox) => {
		sandbox.clearFaults();
		return jsonResponse({ cleared: true });
	},
	'POST release': (sandbox) => jsonResponse({ released: sandbox.releaseHeldCalls() }),
	'POST revoke': (sandbox, body) => {
		const target = revokeRequestSchema.parse(body);
		const revoked =
			'session_id' in target
				? Number(sandbox.revokeSession(target.session_id))
				: sandbox.revokeAccountSessions(
						'account_id' in target ? { id: target.account_id } : { username: target.username }
					);
		return jsonResponse({ revoked });
	},
	'POST decide': (sandbox, body) => {
		const { request_token, decision, username } = decideRequestSchema.parse(body);
		const decided = sandbox.decideRequestToken(
			request_token,
			decision === 'approve' ? { approve: true, username } : { approve: false }
		);
		return jsonResponse({ decided }, decided ? 200 : 404);
	},
	'POST clock': (sandbox, body) => {
		sandbox.advanceClock(clockRequestSchema.parse(body).advance_ms);
		return jsonResponse({ advanced: true });
	},
	'GET requests': (sandbox) => jsonResponse({ requests: sandbox.receivedRequests() }),
	'DELETE requests': (sandbox) => {
		sandbox.clearReceivedRequests();
		return jsonResponse({ cleared: true });
	},
	'GET accounts': (sandbox) => jsonResponse({ accounts: sandbox.accounts }),
	'POST reset': (sandbox) => {
		sandbox.reset();
		return jsonResponse({ reset: true });
	}
};

export async function handleControlRequest(
	sandbox: TestSandbox,
	request: Request,
	pathname: string
): Promise<Response> {
	const name = pathname.slice(CONTROL_PREFIX.length);
	const route = ROUTES[`${request.method} ${name}`];
	if (!route) return jsonResponse({ error: `No control route ${request.method} ${pathname}` }, 404);
	let body: unknown = undefined;
	if (request.method === 'POST') {
		const text = await request.text();
		try {
			body = text === '' ? {} : JSON.parse(text);
		} catch {
			return jsonResponse({ error: 'Body must be JSON' }, 400);
		}
	}
	try {
		return route(sandbox, body);
	} catch (error) {
		if (error instanceof z.ZodError) {
			return jsonResponse({ error: 'Invalid control request', issues: error.issues }, 400);
		}
		throw error;
	}
}
