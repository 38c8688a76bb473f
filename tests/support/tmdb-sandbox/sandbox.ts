/**
 * The sandbox as the tests use it: the app's protocol handler (src/lib/server/tmdb-sandbox)
 * plus what only tests need: fault injection, a record of what it received, a clock to move,
 * and shortcuts that act as the person on TMDB's side (approve, revoke).
 */
import { sandboxAccountForUsername } from '../../../src/lib/server/tmdb-sandbox/accounts.ts';
import { authKindOf, type AuthKind } from '../../../src/lib/server/tmdb-sandbox/api.ts';
import {
	createTmdbSandbox,
	type SandboxRoute,
	type TmdbSandbox
} from '../../../src/lib/server/tmdb-sandbox/sandbox.ts';
import { createFaultQueue, faultResponse, type FaultTarget, type SandboxFault } from './faults.ts';
import { createMemoryState } from './memory-state.ts';

/** What the sandbox received, without secrets: no query values, no bodies, no token in paths. */
export type ReceivedRequest = {
	method: string;
	path: string;
	endpoint: SandboxRoute | 'other';
	auth: AuthKind;
	status: number | null;
	fault?: SandboxFault['kind'];
};

export type TokenDecision = { approve: true; username: string } | { approve: false };

export type TestSandbox = Pick<TmdbSandbox, 'handle' | 'accounts'> & {
	receivedRequests(): ReceivedRequest[];
	clearReceivedRequests(): void;
	/** Makes the next `count` calls of an endpoint misbehave. */
	injectFault(endpoint: FaultTarget, fault: SandboxFault, count?: number): void;
	/** Lets the calls held by `hold` faults go on; returns how many were held. */
	releaseHeldCalls(): number;
	/** Forgets queued faults and lets held calls go on. */
	clearFaults(): void;
	/** Ends one session, as if the person revoked it on TMDB. False when it did not exist. */
	revokeSession(sessionId: string): boolean;
	/** Ends every session of an account (by id or username); returns how many. */
	revokeAccountSessions(account: { id: number } | { username: string }): number;
	/** Approves or denies a request token without the page. False for an unusable token. */
	decideRequestToken(requestToken: string, decision: TokenDecision): boolean;
	/** Moves the sandbox clock forward, to expire request tokens. */
	advanceClock(ms: number): void;
	/** Stops the sandbox clock at `atMs`, so a test can assert exact times (advanceClock still adds). */
	pinClock(atMs: number): void;
	/**
	 * Forgets tokens, sessions, watchlist changes, faults, received requests and clock changes;
	 * held calls go on.
	 */
	reset(): void;
};

export function createTestSandbox(options: {
	credentials: string[];
	now?: () => number;
}): TestSandbox {
	const baseNow = options.now ?? Date.now;
	let clockOffsetMs = 0;
	let pinnedAtMs: number | undefined;
	const faults = createFaultQueue();
	let received: ReceivedRequest[] = [];
	// Set for the request being routed; the sandbox handles one request at a time per call.
	const entries = new WeakMap<Request, ReceivedRequest>();

	const memory = createMemoryState(() => (pinnedAtMs ?? baseNow()) + clockOffsetMs);
	const core = createTmdbSandbox({
		credentials: options.credentials,
		state: memory.state,
		async intercept(route, request) {
			const entry = entries.get(request);
			if (entry) entry.endpoint = route;
			if (route === 'approval_page' || route === 'image') return null;
			const fault = faults.take(route);
			if (!fault) return null;
			if (entry) entry.fault = fault.kind;
			return faultResponse(fault, request.signal, faults);
		}
	});

	return {
		accounts: core.accounts,
		async handle(request) {
			const url = new URL(request.url);
			const entry: ReceivedRequest = {
				method: request.method,
				path: url.pathname.slice(0, 200).replace(/^\/authenticate\/[^/]+/, '/authenticate/:token'),
				endpoint: 'other',
				auth: authKindOf(request, url),
				status: null
			};
			received.push(entry);
			entries.set(request, entry);
			const response = await core.handle(request);
			entry.status = response.status;
			return response;
		},
		receivedRequests: () => received.map((entry) => ({ ...entry })),
		clearReceivedRequests: () => {
			received = [];
		},
		injectFault: (endpoint, fault, count = 1) => faults.add(endpoint, fault, count),
		releaseHeldCalls: () => faults.release(),
		clearFaults: () => faults.clear(),
		revokeSession: (sessionId) => memory.revokeSession(sessionId),
		revokeAccountSessions: (account) =>
			memory.revokeAccountSessions((candidate) =>
				'id' in account
					? candidate.id === account.id
					: candidate.username.toLowerCase() === account.username.toLowerCase()
			),
		decideRequestToken(requestToken, decision) {
			if (!decision.approve) return memory.decideToken(requestToken, { approved: false });
			const account = sandboxAccountForUsername(decision.username);
			return account !== null && memory.decideToken(requestToken, { approved: true, account });
		},
		advanceClock(ms) {
			clockOffsetMs += ms;
		},
		pinClock(atMs) {
			pinnedAtMs = atMs;
		},
		reset() {
			memory.clear();
			faults.clear();
			received = [];
			clockOffsetMs = 0;
			pinnedAtMs = undefined;
		}
	};
}
