import { describe, expect, test } from 'vitest';
import { NO_ANSWER } from '../../src/lib/server/db/client.ts';
import { isDatabaseOutage } from '../../src/lib/server/db/outage.ts';

const failure = (code: string) => Object.assign(new Error(code), { code });

describe('R5 what counts as a database outage (503 and recovery) rather than a bug (500)', () => {
	test.each([
		'ECONNREFUSED',
		'ECONNRESET',
		'CONNECTION_CLOSED',
		NO_ANSWER,
		'ERR_STREAM_DESTROYED',
		'ERR_STREAM_WRITE_AFTER_END',
		'57P01',
		'08006'
	])('%s is an outage', (code) => {
		expect(isDatabaseOutage(failure(code))).toBe(true);
		expect(isDatabaseOutage(new AggregateError([failure(code)]))).toBe(true);
	});

	test.each(['42P01', '23505', 'ERR_INVALID_ARG_TYPE', 'SOMETHING_ELSE'])(
		'%s is a bug, not an outage',
		(code) => {
			expect(isDatabaseOutage(failure(code))).toBe(false);
		}
	);
});
