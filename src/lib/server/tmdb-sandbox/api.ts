/**
 * TMDB's v3 authentication endpoints (paths under /3). Where TMDB's behaviour is undocumented
 * the choice is marked "Guess" and listed in docs/tmdb.md.
 */
import { toTmdbAccountJson } from './accounts.ts';
import { formatTmdbDate } from '../tmdb/schemas.ts';
import { isOpaqueId, type ProtocolState } from './protocol-state.ts';
import { jsonResponse, sessionDeniedResponse, tmdbErrorResponse } from './responses.ts';

/** Credentials longer than this are rejected outright instead of compared. */
const MAX_CREDENTIAL_LENGTH = 1024;
/** session/new and DELETE session bodies hold one short field. */
const MAX_JSON_BODY_LENGTH = 16 * 1024;

export type AuthKind = 'api_key' | 'bearer' | 'none';

export const SANDBOX_ENDPOINTS = [
	'token/new',
	'session/new',
	'session/delete',
	'account',
	'authentication'
] as const;

export type SandboxEndpoint = (typeof SANDBOX_ENDPOINTS)[number];

export type ApiRoute = {
	endpoint: SandboxEndpoint;
	handle(context: ApiContext): Promise<Response> | Response;
};

export type ApiContext = {
	request: Request;
	url: URL;
	/** The accepted credential value that authenticated this request. */
	credential: string;
	state: ProtocolState;
	/** Where the approval page lives, for the Authentication-Callback header. */
	approvalPageBase: string;
};

/** How a request authenticated; the value itself is never recorded anywhere. */
export function authKindOf(request: Request, url: URL): AuthKind {
	if (url.searchParams.has('api_key')) return 'api_key';
	if (/^Bearer\s/i.test(request.headers.get('authorization') ?? '')) return 'bearer';
	return 'none';
}

/**
 * The credential if it is one the sandbox accepts, else null (→ 401 code 7). Guess: when both
 * forms are sent, TMDB is assumed to judge by `api_key`.
 */
export function acceptedCredential(
	request: Request,
	url: URL,
	credentials: ReadonlySet<string>
): string | null {
	const apiKey = url.searchParams.get('api_key');
	const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
	const candidate = apiKey ?? bearer ?? null;
	if (candidate === null || candidate.length > MAX_CREDENTIAL_LENGTH) return null;
	return credentials.has(candidate) ? candidate : null;
}

/** Finds the route for a /3 path and method; `null` for a known path with the wrong method. */
export function matchApiRoute(method: string, pathname: string): ApiRoute | null | undefined {
	const routes =
		API_ROUTES[pathname] ??
		(/^\/3\/account\/\d{1,12}$/.test(pathname) ? ACCOUNT_ROUTES : undefined);
	if (!routes) return undefined;
	return routes[method] ?? null;
}

const ACCOUNT_ROUTES: Record<string, ApiRoute> = {
	GET: { endpoint: 'account', handle: getAccount }
};

const API_ROUTES: Record<string, Record<string, ApiRoute>> = {
	'/3/authentication': {
		GET: {
			endpoint: 'authentication',
			handle: () => jsonResponse({ success: true, status_code: 1, status_message: 'Success.' })
		}
	},
	'/3/authentication/token/new': {
		GET: { endpoint: 'token/new', handle: createRequestToken }
	},
	'/3/authentication/session/new': {
		POST: { endpoint: 'session/new', handle: createSession }
	},
	'/3/authentication/session': {
		DELETE: { endpoint: 'session/delete', handle: deleteSession }
	},
	'/3/account': ACCOUNT_ROUTES
};

function createRequestToken({ credential, state, approvalPageBase }: ApiContext): Response {
	const token = state.createToken(credential);
	return jsonResponse(
		{
			success: true,
			expires_at: formatTmdbDate(new Date(token.expiresAt)),
			request_token: token.value
		},
		200,
		{ 'authentication-callback': `${approvalPageBase}/authenticate/${token.value}` }
	);
}

async function createSession({ request, credential, state }: ApiContext): Promise<Response> {
	const body = await readJsonObject(request);
	// Guess: an unreadable body gets TMDB's generic "input is not valid" (400 code 47).
	if (!body) return tmdbErrorResponse(47);
	const requestToken = body.request_token;
	// Guess: a missing or malformed token is reported like an unknown one (33).
	if (!isOpaqueId(requestToken)) return tmdbErrorResponse(33);
	const lookup = state.lookupToken(requestToken);
	// Tokens are tied to the key that created them; another key sees an invalid token (guess: 33).
	if (lookup.status !== 'ok' || lookup.token.credential !== credential) {
		return tmdbErrorResponse(33);
	}
	const { decision } = lookup.token;
	// Not yet approved, or denied: 17, and the token stays usable until it expires, so a person
	// who has not finished on the approval page can still approve it (guess).
	if (!decision?.approved) return sessionDeniedResponse();
	const session = state.redeemToken(lookup.token, decision.account);
	return jsonResponse({ success: true, session_id: session.id });
}

async function deleteSession({ request, credential, state }: ApiContext): Promise<Response> {
	const body = await readJsonObject(request);
	if (!body) return tmdbErrorResponse(47);
	const sessionId = body.session_id;
	const session = isOpaqueId(sessionId) ? state.findSession(sessionId) : undefined;
	// Guess: TMDB does not document the answer for an unknown session; 404 code 6 ("invalid id").
	if (!session || session.credential !== credential) return tmdbErrorResponse(6);
	state.deleteSession(session.id);
	return jsonResponse({ success: true });
}

function getAccount({ url, credential, state }: ApiContext): Response {
	const sessionId = url.searchParams.get('session_id');
	const session = isOpaqueId(sessionId) ? state.findSession(sessionId) : undefined;
	if (!session || session.credential !== credential) return tmdbErrorResponse(3);
	const idInPath = /^\/3\/account\/(\d+)$/.exec(url.pathname)?.[1];
	// Guess: asking for another account's id with this session is refused like a bad session.
	if (idInPath !== undefined && Number(idInPath) !== session.account.id) {
		return tmdbErrorResponse(3);
	}
	return jsonResponse(toTmdbAccountJson(session.account));
}

/** The body as a JSON object, or null when it is too large, not JSON or not an object. */
async function readJsonObject(request: Request): Promise<Record<string, unknown> | null> {
	const declaredLength = Number(request.headers.get('content-length') ?? 0);
	if (declaredLength > MAX_JSON_BODY_LENGTH) return null;
	const text = await request.text();
	if (text.length > MAX_JSON_BODY_LENGTH) return null;
	try {
		const value: unknown = JSON.parse(text);
		return value !== null && typeof value === 'object' && !Array.isArray(value)
			? (value as Record<string, unknown>)
			: null;
	} catch {
		return null;
	}
}
