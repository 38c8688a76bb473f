import { describe, expect, test } from 'vitest';
import { clientKey, siteKey } from '../../src/lib/server/auth/rate-limit.ts';

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

	test('R7.3 an address with a port is the same client as the address: each port is no new allowance', () => {
		expect(clientKey('10.9.3.1:40001')).toBe(clientKey('10.9.3.1'));
		expect(clientKey('10.9.3.1:40002')).toBe(clientKey('10.9.3.1'));
		expect(clientKey('[2001:db8:1:2::1]:443')).toBe(clientKey('2001:db8:1:2::1'));
		expect(clientKey('[::ffff:203.0.113.7]:8080')).toBe('203.0.113.7');
		expect(clientKey(' 2001:DB8:1:2::1 ')).toBe(clientKey('2001:db8:1:2::1'));
	});

	test.each([
		[''],
		['unknown'],
		['10'],
		['0x7f.1'],
		['10.9.3.1:'],
		['10.9.3.1:port'],
		['[::1'],
		['a'.repeat(300)]
	])('R7.3 %j is not an address: no allowance of its own', (value) => {
		expect(clientKey(value)).toBeNull();
		expect(siteKey(value)).toBeNull();
	});

	test('R7.3 an IPv6 /48 is one site, counted besides its /64s; IPv4 has no site', () => {
		expect(siteKey('2001:db8:1:2::1')).toBe(siteKey('2001:db8:1:ffff::1'));
		expect(siteKey('2001:db8:2:2::1')).not.toBe(siteKey('2001:db8:1:2::1'));
		expect(siteKey('203.0.113.7')).toBeNull();
		expect(siteKey('::ffff:203.0.113.7')).toBeNull();
	});
});
