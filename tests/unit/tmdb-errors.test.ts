import { describe, expect, test } from 'vitest';
import {
	classifyTmdbFailure,
	provesRequestWasNotProcessed
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
		[401, 33, 'app', 'token_invalid'],
		[401, 17, 'app', 'token_not_approved'],
		[422, 41, 'app', 'token_not_approved'],
		[401, 3, 'session', 'session_invalid'],
		[404, 6, 'session', 'session_invalid'],
		[404, 37, 'session', 'session_invalid'],
		[401, 3, 'app', 'unknown'],
		[422, 5, 'app', 'unknown'],
		[404, 34, 'app', 'unknown'],
		[401, undefined, 'session', 'unknown'],
		// Acting as the person (watchlist): only 401 + 3 means the session is dead.
		[401, 3, 'account', 'session_invalid'],
		[403, 3, 'account', 'unknown'],
		[404, 6, 'account', 'not_found'],
		[404, 34, 'account', 'not_found'],
		[404, 37, 'account', 'unknown'],
		[422, 5, 'account', 'unknown'],
		[429, 25, 'account', 'rate_limited'],
		[503, 9, 'account', 'unavailable'],
		[401, 7, 'account', 'invalid_credential']
	])('HTTP %i code %s on a %s call is %s', (httpStatus, statusCode, scope, kind) => {
		expect(classifyTmdbFailure({ httpStatus, statusCode, scope })).toBe(kind);
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
		// The client does not repeat it: an answer it cannot read is likely to come back the same.
		['bad_response', false],
		['invalid_credential', false],
		['token_invalid', false],
		['token_not_approved', false],
		['session_invalid', false],
		['not_found', false],
		['unknown', false]
	])('%s: retryable is %s and the user message is short and mentions TMDB', (kind, retryable) => {
		const error = new TmdbError({ kind, message: kind });
		expect(error.retryable).toBe(retryable);
		expect(error.userMessage).toMatch(/TMDB/);
		expect(error.userMessage.length).toBeLessThan(100);
	});
});
