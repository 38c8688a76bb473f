import { describe, expect, test } from 'vitest';
import {
	classifyTmdbFailure,
	provesRequestWasNotProcessed,
	type FailedBody
} from '../../src/lib/server/tmdb/errors.ts';
import { TmdbError, type TmdbErrorKind } from '../../src/lib/server/tmdb/errors.ts';

describe('classifyTmdbFailure', () => {
	test.each<[number, number | undefined, 'app' | 'session' | 'account', TmdbErrorKind]>([
		[429, 25, 'app', 'rate_limited'],
		[429, undefined, 'app', 'rate_limited'],
		[400, 25, 'app', 'rate_limited'],
		[503, 9, 'app', 'unavailable'],
		[504, 24, 'app', 'unavailable'],
		[502, 43, 'app', 'unavailable'],
		[503, 46, 'app', 'unavailable'],
		[500, 11, 'app', 'unavailable'],
		[502, undefined, 'app', 'unavailable'],
		[401, 7, 'app', 'invalid_credential'],
		[401, 10, 'session', 'invalid_credential'],
		// TMDB answers every token it will not exchange alike; the sign-in code words it.
		[401, 17, 'app', 'token_refused'],
		[401, 33, 'app', 'token_refused'],
		[422, 41, 'app', 'token_refused'],
		[401, 3, 'session', 'session_invalid'],
		[404, 6, 'session', 'session_invalid'],
		[404, 37, 'session', 'session_invalid'],
		[401, 3, 'app', 'unknown'],
		[422, 5, 'app', 'invalid_request'],
		[400, 22, 'app', 'invalid_request'],
		[400, 47, 'session', 'invalid_request'],
		[403, 8, 'app', 'unknown'],
		[404, 34, 'app', 'unknown'],
		// DELETE session (and account loads) with a key TMDB refuses: the key, whatever the call.
		[401, 7, 'session', 'invalid_credential'],
		[401, undefined, 'session', 'unknown'],
		// Acting as the person (watchlist): only 401 + 3 means the session is dead.
		[401, 3, 'account', 'session_invalid'],
		[403, 3, 'account', 'unknown'],
		[404, 6, 'account', 'not_found'],
		[404, 34, 'account', 'not_found'],
		[404, 37, 'account', 'unknown'],
		[422, 5, 'account', 'invalid_request'],
		[429, 25, 'account', 'rate_limited'],
		[503, 9, 'account', 'unavailable'],
		[401, 7, 'account', 'invalid_credential']
	])('HTTP %i code %s on a %s call is %s', (httpStatus, statusCode, scope, kind) => {
		expect(classifyTmdbFailure({ httpStatus, statusCode, scope })).toBe(kind);
	});

	test.each<[number, FailedBody, TmdbErrorKind]>([
		// TMDB's validation answers: no status_code, a list of messages.
		[422, 'validation_errors', 'invalid_request'],
		[200, 'validation_errors', 'bad_response'],
		// The CDN in front of TMDB: a country or firewall block, its rate limit, its 5xx pages.
		[403, 'other', 'blocked'],
		[429, 'other', 'rate_limited'],
		[502, 'other', 'unavailable'],
		[504, 'other', 'unavailable'],
		// Anything else we cannot read.
		[200, 'other', 'bad_response'],
		[401, 'other', 'bad_response'],
		[404, 'other', 'bad_response']
	])('HTTP %i with a %s body is %s', (httpStatus, body, kind) => {
		for (const scope of ['app', 'session', 'account'] as const) {
			expect(classifyTmdbFailure({ httpStatus, body, scope })).toBe(kind);
		}
	});
});

describe('provesRequestWasNotProcessed', () => {
	test.each([
		[429, 25, true],
		[429, undefined, true],
		[503, 9, true],
		[503, 46, true],
		[503, undefined, false],
		[500, 11, false],
		[502, 43, false],
		[504, 24, false],
		[401, 33, false]
	])('HTTP %i code %s → %s', (httpStatus, statusCode, expected) => {
		expect(provesRequestWasNotProcessed({ httpStatus, statusCode })).toBe(expected);
	});
});

describe('TmdbError', () => {
	test('carries status, TMDB code, retryability and a message fit for people', () => {
		const error = new TmdbError({
			kind: 'rate_limited',
			message: 'TMDB GET /3/authentication/token/new: rate_limited (HTTP 429)',
			httpStatus: 429,
			statusCode: 25,
			retryAfterSeconds: 1
		});
		expect(error).toBeInstanceOf(Error);
		expect(error).toMatchObject({
			name: 'TmdbError',
			kind: 'rate_limited',
			httpStatus: 429,
			statusCode: 25,
			retryable: true,
			retryAfterSeconds: 1,
			userMessage: 'TMDB is busy. Try again in 1 second.'
		});
	});

	test.each<[TmdbErrorKind, boolean]>([
		['network', true],
		['timeout', true],
		['rate_limited', true],
		['unavailable', true],
		// Offered to the person (R5.1), though the client does not repeat it at once: an answer
		// it cannot read is likely to come back the same.
		['bad_response', true],
		['blocked', false],
		['invalid_credential', false],
		['token_refused', false],
		['session_invalid', false],
		['not_found', false],
		['invalid_request', false],
		['unknown', false]
	])('%s: retryable is %s and the user message is short and mentions TMDB', (kind, retryable) => {
		const error = new TmdbError({ kind, message: kind });
		expect(error.retryable).toBe(retryable);
		expect(error.userMessage).toMatch(/TMDB/);
		expect(error.userMessage.length).toBeLessThan(100);
	});
});
