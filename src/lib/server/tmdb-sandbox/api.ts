/**
 * TMDB's v3 authentication endpoints (paths under /3). Where TMDB's behaviour is undocumented
 * the choice is marked "Guess" and listed in docs/tmdb.md.
 */
import { toTmdbAccountJson } from './accounts.ts';
import { formatTmdbDate } from '../tmdb/schemas.ts';
import { isOpaqueId, type SandboxSession, type SandboxState } from './protocol-state.ts';
import { jsonResponse, sessionDeniedResponse, tmdbErrorResponse } from './responses.ts';
import {
	findSandboxMovie,
	MAX_PAGE,
	toTmdbMovieJson,
	watchlistPage,
	type WatchlistChange
} from './watchlists.ts';

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
	'authentication',
	'watchlist/movies',
	'watchlist'
] as const;

export type SandboxEndpoint = (typeof SANDBOX_ENDPOINTS)[number];

export type ApiRoute = {
	endpoint: SandboxEndpoint;
	handle(context: ApiContext): Promise<Response> | Response;
};

export type ApiContext = {
	request: Request;
	url: URL;
	/** The digest of the accepted credential that authenticated this request. */
	credential: string;
	state: SandboxState;
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
	const accountPath = /^\/3\/account\/\d{1,12}(\/.*)?$/.exec(pathname);
	const routes =
		API_ROUTES[pathname] ?? (accountPath ? ACCOUNT_SUBROUTES[accountPath[1] ?? ''] : undefined);
	if (!routes) return undefined;
	return routes[method] ?? null;
}

const ACCOUNT_ROUTES: Record<string, ApiRoute> = {
	GET: { endpoint: 'account', handle: getAccount }
};

/** Paths under `/3/account/{account_id}`. */
const ACCOUNT_SUBROUTES: Record<string, Record<string, ApiRoute>> = {
	'': ACCOUNT_ROUTES,
	'/watchlist/movies': { GET: { endpoint: 'watchlist/movies', handle: getWatchlistMovies } },
	'/watchlist': { POST: { endpoint: 'watchlist', handle: updateWatchlist } }
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

async function createRequestToken({
	credential,
	state,
	approvalPageBase
}: ApiContext): Promise<Response> {
	const token = await state.createToken(credential);
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
	const lookup = isOpaqueId(requestToken) ? await state.lookupToken(requestToken) : undefined;
	const decision = lookup?.status === 'ok' ? lookup.token.decision : null;
	// TMDB answers every token it will not exchange alike, 401 code 17: not approved or denied,
	// invalid or expired (recorded, docs/tmdb.md); guesses: used ones and another key's too. An
	// unapproved token stays usable until it expires, so a person who has not finished on the
	// approval page can still approve it (guess).
	if (lookup?.status !== 'ok' || lookup.token.credential !== credential || !decision?.approved) {
		return sessionDeniedResponse();
	}
	const session = await state.redeemToken(lookup.token, decision.account);
	// Another call redeemed it first: used, like any used token.
	if (!session) return sessionDeniedResponse();
	return jsonResponse({ success: true, session_id: session.id });
}

async function deleteSession({ request, credential, state }: ApiContext): Promise<Response> {
	const body = await readJsonObject(request);
	if (!body) return tmdbErrorResponse(47);
	const sessionId = body.session_id;
	const session = isOpaqueId(sessionId) ? await state.findSession(sessionId) : undefined;
	// Guess: TMDB does not document its answer for a session it does not know (never made, already
	// deleted, or revoked by the person on TMDB's site); its generic "not found", HTTP 404 code 34.
	// The client takes 3, 6, 34 and 37 alike as "already gone" (docs/tmdb.md).
	if (!session || session.credential !== credential) return tmdbErrorResponse(34);
	await state.deleteSession(session.id);
	return jsonResponse({ success: true });
}

/**
 * The session named by `session_id`, when it is live, this credential's, and (for paths with an
 * account id) that account's; otherwise TMDB's 401 code 3. Guess: another account's id with this
 * session is refused like a bad session.
 */
async function sessionOf({
	url,
	credential,
	state
}: ApiContext): Promise<SandboxSession | Response> {
	const sessionId = url.searchParams.get('session_id');
	const session = isOpaqueId(sessionId) ? await state.findSession(sessionId) : undefined;
	if (!session || session.credential !== credential) return tmdbErrorResponse(3);
	const idInPath = /^\/3\/account\/(\d+)/.exec(url.pathname)?.[1];
	if (idInPath !== undefined && Number(idInPath) !== session.account.id) {
		return tmdbErrorResponse(3);
	}
	return session;
}

async function getAccount(context: ApiContext): Promise<Response> {
	const session = await sessionOf(context);
	if (session instanceof Response) return session;
	return jsonResponse(toTmdbAccountJson(session.account));
}

async function getWatchlistMovies(context: ApiContext): Promise<Response> {
	const session = await sessionOf(context);
	if (session instanceof Response) return session;
	const { searchParams } = context.url;
	const pageText = searchParams.get('page') ?? '1';
	const page = /^\d{1,3}$/.test(pageText) ? Number(pageText) : NaN;
	if (!(page >= 1 && page <= MAX_PAGE)) return tmdbErrorResponse(22);
	const sortBy = searchParams.get('sort_by') ?? 'created_at.asc';
	// Guess: an unknown sort_by is refused as invalid parameters (422 code 5).
	if (sortBy !== 'created_at.asc' && sortBy !== 'created_at.desc') return tmdbErrorResponse(5);
	const ids = await context.state.watchlist(session.account);
	const listed = watchlistPage(ids, page, sortBy === 'created_at.desc');
	return jsonResponse({
		page,
		results: listed.movies.map(toTmdbMovieJson),
		total_pages: listed.totalPages,
		total_results: listed.totalResults
	});
}

/** TMDB's answers to a watchlist change: 201 + 1 added, 201 + 12 already there, 200 + 13 removed. */
const WATCHLIST_ANSWERS: Record<WatchlistChange, { httpStatus: number; body: object }> = {
	added: { httpStatus: 201, body: { success: true, status_code: 1, status_message: 'Success.' } },
	already_there: {
		httpStatus: 201,
		body: {
			success: true,
			status_code: 12,
			status_message: 'The item/record was updated successfully.'
		}
	},
	removed: {
		httpStatus: 200,
		body: {
			success: true,
			status_code: 13,
			status_message: 'The item/record was deleted successfully.'
		}
	}
};

async function updateWatchlist(context: ApiContext): Promise<Response> {
	const session = await sessionOf(context);
	if (session instanceof Response) return session;
	const body = await readJsonObject(context.request);
	if (!body) return tmdbErrorResponse(47);
	const { media_type: mediaType, media_id: mediaId, watchlist } = body;
	// Guess: a body of the wrong types is refused as invalid parameters (422 code 5).
	if (
		(mediaType !== 'movie' && mediaType !== 'tv') ||
		typeof mediaId !== 'number' ||
		!Number.isSafeInteger(mediaId) ||
		mediaId < 1 ||
		typeof watchlist !== 'boolean'
	) {
		return tmdbErrorResponse(5);
	}
	// Guess: an id TMDB does not know answers 404 code 34. The sandbox has no TV shows.
	const entry = mediaType === 'movie' ? findSandboxMovie(mediaId) : undefined;
	if (!entry) return tmdbErrorResponse(34);
	// Guess: removing a film that is not on the list still answers 13 (nothing to do).
	const change = await context.state.setOnWatchlist(session.account, entry.id, watchlist);
	const answer = WATCHLIST_ANSWERS[change];
	return jsonResponse(answer.body, answer.httpStatus);
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
