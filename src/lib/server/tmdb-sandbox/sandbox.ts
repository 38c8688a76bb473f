/**
 * The TMDB sandbox: one implementation of TMDB's v3 authentication protocol as a plain
 * `Request → Response` handler, mounted in two places (docs/tmdb.md): inside the app in sandbox
 * mode (under /sandbox/tmdb, no fault injection) and as a standalone HTTP server for tests.
 */
import { SANDBOX_ACCOUNTS, sandboxAccountForUsername, type SandboxAccount } from './accounts.ts';
import { acceptedCredential, authKindOf, matchApiRoute, type AuthKind } from './api.ts';
import { handleApprovalPage } from './approval-page.ts';
import { avatarResponse } from './avatars.ts';
import {
	connectionResetResponse,
	createFaultQueue,
	waitOrAbort,
	type SandboxEndpoint,
	type SandboxFault
} from './faults.ts';
import { posterResponse } from './posters.ts';
import { createProtocolState } from './protocol-state.ts';
import { jsonResponse, tmdbErrorResponse, TMDB_ERRORS } from './responses.ts';
import { createWatchlists } from './watchlists.ts';

export type TmdbSandboxOptions = {
	/** Accepted `api_key` values and bearer tokens. */
	credentials: string[];
	/** Path prefix the approval pages and avatars are served under: '' standalone, '/sandbox/tmdb' in the app. */
	webBasePath?: string;
	/** Standalone test server only; never on in the app. */
	faultInjection?: boolean;
	now?: () => number;
};

/** What the sandbox received, without secrets: no query values, no bodies, no token in paths. */
export type ReceivedRequest = {
	method: string;
	path: string;
	endpoint: SandboxEndpoint | 'approval_page' | 'avatar' | 'poster' | 'other';
	auth: AuthKind;
	status: number | null;
	fault?: SandboxFault['kind'];
};

export type TokenDecision = { approve: true; username: string } | { approve: false };

export type TmdbSandbox = {
	handle(request: Request): Promise<Response>;
	readonly accounts: readonly SandboxAccount[];
	receivedRequests(): ReceivedRequest[];
	clearReceivedRequests(): void;
	/** Makes the next `count` calls of an endpoint misbehave. Throws unless fault injection is on. */
	injectFault(endpoint: SandboxEndpoint, fault: SandboxFault, count?: number): void;
	clearFaults(): void;
	/** Ends one session, as if the person revoked it on TMDB. False when it did not exist. */
	revokeSession(sessionId: string): boolean;
	/** Ends every session of an account (by id or username); returns how many. */
	revokeAccountSessions(account: { id: number } | { username: string }): number;
	/** Approves or denies a request token without the page, for tests. False for an unusable token. */
	decideRequestToken(requestToken: string, decision: TokenDecision): boolean;
	/** Moves the sandbox clock forward, to expire request tokens. */
	advanceClock(ms: number): void;
	/** Forgets tokens, sessions, watchlist changes, faults, received requests and clock changes. */
	reset(): void;
};

/** Keeps the in-app sandbox's request log from growing for the life of a dev server. */
const MAX_RECORDED_REQUESTS = 1_000;
const MAX_PATH_LENGTH = 2_048;
const MALFORMED_JSON = '{"success":true,"request_token":"';

export function createTmdbSandbox(options: TmdbSandboxOptions): TmdbSandbox {
	const credentials = new Set(options.credentials.filter((value) => value !== ''));
	const webBasePath = (options.webBasePath ?? '').replace(/\/+$/, '');
	const baseNow = options.now ?? Date.now;
	let clockOffsetMs = 0;
	const now = () => baseNow() + clockOffsetMs;
	const state = createProtocolState(now);
	const watchlists = createWatchlists();
	const faults = createFaultQueue();
	let received: ReceivedRequest[] = [];

	function record(entry: ReceivedRequest): ReceivedRequest {
		received.push(entry);
		if (received.length > MAX_RECORDED_REQUESTS) received = received.slice(-MAX_RECORDED_REQUESTS);
		return entry;
	}

	async function handleApi(request: Request, url: URL, entry: ReceivedRequest): Promise<Response> {
		const route = matchApiRoute(request.method, url.pathname);
		if (route === undefined) return tmdbErrorResponse(34);
		// Guess: TMDB's answer to a wrong method is undocumented; 405 code 42 fits its error table.
		if (route === null) return tmdbErrorResponse(42);
		entry.endpoint = route.endpoint;

		const fault = options.faultInjection ? faults.take(route.endpoint) : undefined;
		if (fault) {
			entry.fault = fault.kind;
			const faulty = await faultResponse(fault, request.signal);
			if (faulty) return faulty;
		}
		const credential = acceptedCredential(request, url, credentials);
		if (credential === null) return tmdbErrorResponse(7);
		// Standalone, the approval page is on the same origin as the API, like TMDB's web host;
		// in the app it is a path on the app's own origin.
		const approvalPageBase = webBasePath === '' ? url.origin : webBasePath;
		return route.handle({ request, url, credential, state, watchlists, approvalPageBase });
	}

	async function route(request: Request, url: URL, entry: ReceivedRequest): Promise<Response> {
		const path = url.pathname;
		if (path.length > MAX_PATH_LENGTH) return tmdbErrorResponse(34);
		if (path.startsWith('/3/')) return handleApi(request, url, entry);

		const approval = /^\/authenticate\/([^/]+)$/.exec(path);
		if (approval?.[1] !== undefined) {
			entry.endpoint = 'approval_page';
			entry.path = '/authenticate/:token';
			return handleApprovalPage(request, url, approval[1], { state, webBasePath });
		}
		const image = /^\/t\/p\/([^/]+)\/([^/]+)$/.exec(path);
		if (image?.[1] !== undefined && image[2] !== undefined && request.method === 'GET') {
			const poster = image[2].startsWith('sandbox-poster-');
			entry.endpoint = poster ? 'poster' : 'avatar';
			const response = poster
				? posterResponse(image[1], image[2])
				: avatarResponse(image[1], image[2]);
			return response ?? notFound();
		}
		return notFound();
	}

	return {
		accounts: SANDBOX_ACCOUNTS,

		async handle(request) {
			const url = new URL(request.url);
			const entry = record({
				method: request.method,
				path: url.pathname.slice(0, 200),
				endpoint: 'other',
				auth: authKindOf(request, url),
				status: null
			});
			try {
				const response = await route(request, url, entry);
				entry.status = response.status;
				return response;
			} catch {
				// Bad input must never crash the host; the detail is not logged as it may hold secrets.
				entry.status = 500;
				return tmdbErrorResponse(11);
			}
		},

		receivedRequests: () => received.map((entry) => ({ ...entry })),
		clearReceivedRequests: () => {
			received = [];
		},

		injectFault(endpoint, fault, count = 1) {
			if (!options.faultInjection) throw new Error('Fault injection is off for this sandbox');
			faults.add(endpoint, fault, count);
		},
		clearFaults: () => faults.clear(),

		revokeSession: (sessionId) => state.deleteSession(sessionId),
		revokeAccountSessions(account) {
			return state.deleteAccountSessions((candidate) =>
				'id' in account
					? candidate.id === account.id
					: candidate.username.toLowerCase() === account.username.toLowerCase()
			);
		},

		decideRequestToken(requestToken, decision) {
			const lookup = state.lookupToken(requestToken);
			if (lookup.status !== 'ok') return false;
			if (!decision.approve) {
				lookup.token.decision = { approved: false };
				return true;
			}
			const account = sandboxAccountForUsername(decision.username);
			if (!account) return false;
			lookup.token.decision = { approved: true, account };
			return true;
		},

		advanceClock(ms) {
			clockOffsetMs += ms;
		},

		reset() {
			state.clear();
			watchlists.clear();
			faults.clear();
			received = [];
			clockOffsetMs = 0;
		}
	};
}

/** The misbehaving answer for a fault, or null when the call should then proceed normally. */
async function faultResponse(fault: SandboxFault, signal: AbortSignal): Promise<Response | null> {
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
		case 'reset':
			return connectionResetResponse();
		case 'malformed_json':
			return new Response(MALFORMED_JSON, {
				headers: { 'content-type': 'application/json;charset=utf-8' }
			});
		case 'wrong_shape':
			return jsonResponse({ success: true, results: [] });
	}
}

function notFound(): Response {
	return new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain' } });
}
