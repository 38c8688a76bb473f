import { describe, expect, test } from 'vitest';
import {
	computeBackoffDelay,
	findErrorCode,
	networkErrorProvesNotSent,
	parseRetryAfter
} from '../../src/lib/server/tmdb/retry.ts';

describe('computeBackoffDelay', () => {
	const options = { baseDelayMs: 250, maxDelayMs: 4_000 };

	/** The top of the jitter window: the delay when the random draw is as high as it gets. */
	const ceiling = (attempt: number) =>
		computeBackoffDelay(attempt, { ...options, random: () => 1 - Number.EPSILON }) + 1;

	test('R5.2 the window doubles with each attempt up to the maximum', () => {
		expect([1, 2, 3, 4, 5, 6, 7].map(ceiling)).toEqual([
			250, 500, 1_000, 2_000, 4_000, 4_000, 4_000
		]);
	});

	test('R5.2 full jitter: anywhere from 0 up to the window', () => {
		expect(computeBackoffDelay(3, { ...options, random: () => 0 })).toBe(0);
		expect(computeBackoffDelay(3, { ...options, random: () => 0.5 })).toBe(500);
		expect(computeBackoffDelay(3, { ...options, random: () => 0.999_999 })).toBe(999);
	});

	test('R5.2 with real randomness, delays stay inside the window', () => {
		for (let attempt = 1; attempt <= 8; attempt++) {
			for (let sample = 0; sample < 50; sample++) {
				const delay = computeBackoffDelay(attempt, { ...options, random: Math.random });
				expect(delay).toBeGreaterThanOrEqual(0);
				expect(delay).toBeLessThan(ceiling(attempt));
			}
		}
	});
});

describe('parseRetryAfter', () => {
	const now = Date.parse('2026-01-01T00:00:00Z');

	test('R5.3 reads seconds', () => {
		expect(parseRetryAfter('7', now)).toBe(7);
		expect(parseRetryAfter(' 7 ', now)).toBe(7);
	});

	test('R5.3 reads an HTTP date as seconds from now', () => {
		expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10);
		expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:00 GMT', now + 1)).toBeUndefined();
	});

	test.each(['0', ' 0 ', '000', 'Wed, 31 Dec 2025 23:59:00 GMT'])(
		'R5.3 %j names no wait (TMDB sometimes sends 0): the caller backs off instead',
		(value) => {
			expect(parseRetryAfter(value, now)).toBeUndefined();
		}
	);

	test.each([null, '', '-5', '1.5', 'soon', 'x'.repeat(100)])('ignores %j', (value) => {
		expect(parseRetryAfter(value, now)).toBeUndefined();
	});
});

describe('network errors', () => {
	test('finds the system code deep in a cause chain', () => {
		const cause = Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' });
		const error = new Error('outer', { cause: new TypeError('fetch failed', { cause }) });
		expect(findErrorCode(error)).toBe('ECONNREFUSED');
		expect(findErrorCode(new Error('no code'))).toBeUndefined();
	});

	test('only errors raised before sending prove the request was not sent', () => {
		expect(networkErrorProvesNotSent('ECONNREFUSED')).toBe(true);
		expect(networkErrorProvesNotSent('ENOTFOUND')).toBe(true);
		expect(networkErrorProvesNotSent('ECONNRESET')).toBe(false);
		expect(networkErrorProvesNotSent('UND_ERR_SOCKET')).toBe(false);
		expect(networkErrorProvesNotSent(undefined)).toBe(false);
	});
});
