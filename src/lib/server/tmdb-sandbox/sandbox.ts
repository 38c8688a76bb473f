/**
 * The TMDB sandbox: TMDB's v3 authentication protocol as a plain `Request → Response` handler.
 * The app mounts it in sandbox mode (under /sandbox/tmdb, called in-process by the TMDB
 * client), its state in the database; the tests wrap it in a standalone server with fault
 * injection and its state in memory (tests/support).
 */
import { SANDBOX_ACCOUNTS } from './accounts.ts';
import { acceptedCredential, matchApiRoute, type SandboxEndpoint } from './api.ts';
import { handleApprovalPage } from './approval-page.ts';
import { imageResponse } from './images.ts';
import { credentialDigest, type SandboxState } from './protocol-state.ts';
import { tmdbErrorResponse } from './responses.ts';

export type SandboxRoute = SandboxEndpoint | 'approval_page' | 'image';

export type TmdbSandboxOptions = {
	/** Accepted `api_key` values and bearer tokens. */
	credentials: string[];
	/** Path prefix the approval pages and avatars are served under: '' standalone, '/sandbox/tmdb' in the app. */
	webBasePath?: string;
	/** Tokens, sessions and watchlists (protocol-state.ts). */
	state: SandboxState;
	/** Sees every routed request first; a Response it returns is the answer (the tests' faults). */
	intercept?: (route: SandboxRoute, request: Request) => Promise<Response | null>;
};

export type TmdbSandbox = {
	handle(request: Request): Promise<Response>;
	readonly accounts: typeof SANDBOX_ACCOUNTS;
};

const MAX_PATH_LENGTH = 2_048;

export function createTmdbSandbox(options: TmdbSandboxOptions): TmdbSandbox {
	const credentials = new Set(options.credentials.filter((value) => value !== ''));
	const webBasePath = (options.webBasePath ?? '').replace(/\/+$/, '');
	const { state } = options;
	const intercepted = async (route: SandboxRoute, request: Request) =>
		(await options.intercept?.(route, request)) ?? null;

	async function handleApi(request: Request, url: URL): Promise<Response> {
		const route = matchApiRoute(request.method, url.pathname);
		if (route === undefined) return tmdbErrorResponse(34);
		// Guess: TMDB's answer to a wrong method is undocumented; 405 code 42 fits its error table.
		if (route === null) return tmdbErrorResponse(42);
		const answer = await intercepted(route.endpoint, request);
		if (answer) return answer;
		const credential = acceptedCredential(request, url, credentials);
		if (credential === null) return tmdbErrorResponse(7);
		// Standalone, the approval page is on the same origin as the API, like TMDB's web host;
		// in the app it is a path on the app's own origin.
		const approvalPageBase = webBasePath === '' ? url.origin : webBasePath;
		return route.handle({
			request,
			url,
			credential: credentialDigest(credential),
			state,
			approvalPageBase
		});
	}

	async function route(request: Request, url: URL): Promise<Response> {
		const path = url.pathname;
		if (path.length > MAX_PATH_LENGTH) return tmdbErrorResponse(34);
		if (path.startsWith('/3/')) return handleApi(request, url);

		const approval = /^\/authenticate\/([^/]+)$/.exec(path);
		if (approval?.[1] !== undefined) {
			return (
				(await intercepted('approval_page', request)) ??
				handleApprovalPage(request, url, approval[1], { state, webBasePath })
			);
		}
		const image = /^\/t\/p\/([^/]+)\/([^/]+)$/.exec(path);
		if (image?.[1] !== undefined && image[2] !== undefined && request.method === 'GET') {
			return (
				(await intercepted('image', request)) ?? imageResponse(image[1], image[2]) ?? notFound()
			);
		}
		return notFound();
	}

	return {
		accounts: SANDBOX_ACCOUNTS,
		async handle(request) {
			try {
				return await route(request, new URL(request.url));
			} catch {
				// Bad input must never crash the host; the detail is not logged as it may hold secrets.
				return tmdbErrorResponse(11);
			}
		}
	};
}

function notFound(): Response {
	return new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain' } });
}
