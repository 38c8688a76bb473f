/** TMDB's answer shapes, as the sandbox sends them. Messages are TMDB's own wording. */

const JSON_HEADERS = { 'content-type': 'application/json;charset=utf-8' };

export function jsonResponse(
	body: unknown,
	status = 200,
	headers: Record<string, string> = {}
): Response {
	return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

type TmdbErrorSpec = { httpStatus: number; message: string };

export const TMDB_ERRORS = {
	3: {
		httpStatus: 401,
		message: 'Authentication failed: You do not have permissions to access the service.'
	},
	5: { httpStatus: 422, message: 'Invalid parameters: Your request parameters are incorrect.' },
	6: { httpStatus: 404, message: 'Invalid id: The pre-requisite id is invalid or not found.' },
	7: { httpStatus: 401, message: 'Invalid API key: You must be granted a valid key.' },
	9: {
		httpStatus: 503,
		message: 'Service offline: This service is temporarily offline, try again later.'
	},
	11: { httpStatus: 500, message: 'Internal error: Something went wrong, contact TMDb.' },
	17: { httpStatus: 401, message: 'Session denied.' },
	22: {
		httpStatus: 400,
		message: 'Invalid page: Pages start at 1 and max at 500. They are expected to be an integer.'
	},
	24: { httpStatus: 504, message: 'Your request to the backend server timed out. Try again.' },
	25: { httpStatus: 429, message: 'Your request count (41) is over the allowed limit of 40.' },
	33: {
		httpStatus: 401,
		message: 'Invalid request token: The request token is either expired or invalid.'
	},
	34: { httpStatus: 404, message: 'The resource you requested could not be found.' },
	42: { httpStatus: 405, message: 'Invalid operation: This operation is not supported.' },
	43: { httpStatus: 502, message: "Couldn't connect to the backend server." },
	46: { httpStatus: 503, message: 'The API is undergoing maintenance. Try again later.' },
	47: { httpStatus: 400, message: 'The input is not valid.' }
} satisfies Record<number, TmdbErrorSpec>;

export type TmdbStatusCode = keyof typeof TMDB_ERRORS;

/** `{success:false,status_code,status_message}` with the HTTP status TMDB pairs with the code. */
export function tmdbErrorResponse(
	code: TmdbStatusCode,
	options: { httpStatus?: number; headers?: Record<string, string> } = {}
): Response {
	const spec: TmdbErrorSpec = TMDB_ERRORS[code];
	return jsonResponse(
		{ success: false, status_code: code, status_message: spec.message },
		options.httpStatus ?? spec.httpStatus,
		options.headers
	);
}

/**
 * session/new with a token TMDB will not exchange, as recorded from the live API in 2026 (both
 * `success: false` and `failure: true`; docs/tmdb.md).
 */
export function sessionDeniedResponse(): Response {
	return jsonResponse(
		{ success: false, failure: true, status_code: 17, status_message: TMDB_ERRORS[17].message },
		TMDB_ERRORS[17].httpStatus
	);
}
