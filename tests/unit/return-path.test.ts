import { describe, expect, test } from 'vitest';
import { redirectToSignIn, safeReturnPath } from '../../src/lib/server/auth/return-path.ts';

describe('R1.5 R6.5 return paths', () => {
	test.each([
		['/', '/'],
		['/account', '/account'],
		['/account/sessions?tab=2#top', '/account/sessions?tab=2#top'],
		['/films/%E2%9C%93', '/films/%E2%9C%93'],
		['/a/../account', '/account'],
		[`/${'é'.repeat(100)}`, `/${'%C3%A9'.repeat(100)}`],
		['/authors/callback', '/authors/callback']
	])('keeps the same-origin path %s', (input, expected) => {
		expect(safeReturnPath(input)).toBe(expected);
	});

	test.each([
		['//evil.example', 'protocol-relative URL'],
		['//evil.example/path', 'protocol-relative URL with a path'],
		['/\\evil.example', 'backslash read as a slash'],
		['\\\\evil.example', 'two backslashes'],
		['/%2F%2Fevil.example', 'encoded slashes'],
		['/%2fevil.example', 'lower-case encoded slash'],
		['/%5Cevil.example', 'encoded backslash'],
		['/\t/evil.example', 'tab between slashes'],
		['/\n/evil.example', 'newline between slashes'],
		['/%09/evil.example', 'encoded tab'],
		['/%0a/evil.example', 'encoded newline'],
		['/ok\u0000', 'NUL byte'],
		['https://evil.example/', 'absolute URL'],
		['http:evil.example', 'scheme without slashes'],
		['javascript:alert(1)', 'javascript: URL'],
		['JaVaScRiPt:alert(1)', 'mixed-case javascript: URL'],
		['data:text/html,hi', 'data: URL'],
		['evil.example', 'a bare host'],
		['account', 'a relative path'],
		['//user@evil.example', 'userinfo'],
		['/.//evil.example', 'a dot segment that normalises to //'],
		['/a/..//evil.example', 'a parent segment that normalises to //'],
		['/auth/callback?request_token=x&approved=true', 'the callback itself'],
		['/auth/login?returnTo=//evil.example', 'the sign-in page'],
		['/auth/logout', 'the sign-out page'],
		[`/${'a'.repeat(2000)}`, 'an oversized path'],
		[`/${'€'.repeat(200)}`, 'a short path that percent-encodes past the limit (finding 6)'],
		['/auth/%63allback', 'the callback with an encoded letter (finding 7)'],
		['/%61uth/login', 'the sign-in page with an encoded letter'],
		['/auth/callback#fragment', 'the callback with a fragment'],
		['/auth/callback/__data.json', 'the callback’s data endpoint'],
		['', 'an empty value']
	])('refuses %j (%s)', (input) => {
		expect(safeReturnPath(input)).toBe('/');
	});

	test.each([null, undefined, 42, ['/account'], { path: '/account' }])(
		'refuses a non-string %j',
		(input) => {
			expect(safeReturnPath(input)).toBe('/');
		}
	);

	test('R1.5 every kept path fits the pending-login cookie once normalised (finding 6)', () => {
		for (const char of ['a', 'é', '€', '😀']) {
			for (let length = 1; length < 2048; length += 37) {
				expect(safeReturnPath(`/${char.repeat(length)}`).length).toBeLessThanOrEqual(1024);
			}
		}
	});
});

describe('redirectToSignIn', () => {
	function locationOf(url: string, error?: 'session_ended'): string {
		try {
			redirectToSignIn(new URL(url), error);
		} catch (thrown) {
			expect(thrown).toMatchObject({ status: 303 });
			return (thrown as { location: string }).location;
		}
		throw new Error('expected a redirect');
	}

	test('R1.5 returns to the page with its query', () => {
		expect(locationOf('http://app.test/watchlist?page=2')).toBe(
			'/auth/login?returnTo=%2Fwatchlist%3Fpage%3D2'
		);
	});

	test("drops a form action's name: coming back means seeing the page, not posting", () => {
		expect(locationOf('http://app.test/watchlist?page=2&/remove', 'session_ended')).toBe(
			'/auth/login?error=session_ended&returnTo=%2Fwatchlist%3Fpage%3D2'
		);
		expect(locationOf('http://app.test/watchlist?/remove')).toBe(
			'/auth/login?returnTo=%2Fwatchlist'
		);
	});

	test('R6.5 an unsafe path still becomes /', () => {
		expect(locationOf('http://app.test//evil.example/x')).toBe('/auth/login?returnTo=%2F');
	});
});
