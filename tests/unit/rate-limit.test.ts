import { describe, expect, test } from 'vitest';
import { clientKey } from '../../src/lib/server/auth/rate-limit.ts';

describe('who counts as one client for the sign-in rate limit', () => {
	test('an IPv4 address is one client', () => {
		expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
		expect(clientKey('203.0.113.8')).not.toBe(clientKey('203.0.113.7'));
	});

	test('an IPv4 address mapped into IPv6 is the same client as the IPv4 address', () => {
		expect(clientKey('::ffff:203.0.113.7')).toBe(clientKey('203.0.113.7'));
	});

	test('every address of an IPv6 /64 is one client, however it is written', () => {
		const key = clientKey('2001:db8:1:2::1');
		expect(clientKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe(key);
		expect(clientKey('2001:0db8:0001:0002:0000:0000:0000:0001')).toBe(key);
		expect(clientKey('2001:DB8:1:2::abcd')).toBe(key);
		expect(clientKey('2001:db8:1:3::1')).not.toBe(key);
	});
});
