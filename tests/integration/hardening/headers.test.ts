import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { describe, expect, test, vi } from 'vitest';
import { clientKey } from '../../../src/lib/server/auth/rate-limit.ts';
import { BrowserSession } from '../../helpers/browser-session.ts';
import { useAppStack } from '../../helpers/app-stack.ts';

const stack = useAppStack({ SIGN_IN_RATE_LIMIT_PER_MINUTE: '3' });

describe('security headers', () => {
	test('every page carries a CSP without unsafe inline scripts, and the other security headers', async () => {
		const response = await fetch(`${stack.app.url}/`);
		const csp = response.headers.get('content-security-policy') ?? '';
		expect(csp).toMatch(/script-src 'self'( 'nonce-[^']+'| 'sha256-[^']+')+/);
		expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
		expect(csp).toContain("frame-ancestors 'none'");
		expect(csp).toContain("object-src 'none'");
		expect(csp).toContain("base-uri 'none'");
		// TMDB's approval page (here the sandbox) is where sign-in's form redirects to.
		expect(csp).toMatch(new RegExp(`form-action 'self' ${stack.sandbox.url}`));
		expect(csp).toMatch(new RegExp(`img-src 'self' data: ${stack.sandbox.url}`));
		expect(response.headers.get('x-content-type-options')).toBe('nosniff');
		expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
		expect(response.headers.get('permissions-policy')).toContain('camera=()');
		expect(response.headers.get('x-frame-options')).toBe('DENY');
		// Plain http on loopback: no HSTS (it is sent in production over https only).
		expect(response.headers.get('strict-transport-security')).toBeNull();
	});

	test('a page with a signed-in person is private and not stored', async () => {
		const browser = new BrowserSession(stack.app.url);
		await browser.signIn(stack.sandbox.url, 'header-reader');
		const response = await browser.get('/account');
		expect(response.status).toBe(200);
		expect(response.headers.get('cache-control')).toBe('private, no-store');
	});

	test('a response that sets a cookie is never cacheable', async () => {
		const response = await fetch(`${stack.app.url}/`, {
			headers: { cookie: 'marquee_session=not-a-real-token' }
		});
		expect(response.headers.getSetCookie().join()).toContain('marquee_session=;');
		expect(response.headers.get('cache-control')).toBe('private, no-store');
	});
});

describe('rate limiting of sign-in', () => {
	test('over the limit, sign-in starts get 429 with Retry-After and a friendly message, and no TMDB call', async () => {
		const intoMinute = Date.now() % 60_000;
		if (intoMinute > 50_000)
			await new Promise((resolve) => setTimeout(resolve, 61_000 - intoMinute));
		// The first test's sign-in used one start in this window already (or a previous one).
		const statuses: number[] = [];
		for (let attempt = 0; attempt < 5; attempt++) {
			const response = await new BrowserSession(stack.app.url).post('/auth/login', {
				returnTo: '/'
			});
			statuses.push(response.status);
			if (response.status === 429) {
				expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
				expect(await response.text()).toContain('Too many sign-in attempts');
			}
		}
		expect(statuses.slice(-2)).toEqual([429, 429]);
		const tokenCalls = stack.sandbox.sandbox
			.receivedRequests()
			.filter((request) => request.endpoint === 'token/new').length;
		expect(tokenCalls).toBeLessThanOrEqual(4);
	}, 90_000);

	test('R6.2 the limiter stores a client as a keyed MAC: not its address, nor a plain hash of it', async () => {
		await new BrowserSession(stack.app.url).post('/auth/login', { returnTo: '/' });
		const rows = await stack.database.sql<{ key: string }[]>`SELECT key FROM rate_limits`;
		expect(rows.length).toBeGreaterThan(0);
		// A plain hash of an address is found by hashing every address (2^32 for IPv4).
		const plainHashes = [clientKey('127.0.0.1')!, clientKey('::1')!, 'unknown'].map((client) =>
			createHash('sha256').update(client).digest('base64url').slice(0, 22)
		);
		for (const { key } of rows) {
			// Clients as MACs; beside them, the count of each request token's exchanges (R1.3), keyed
			// by the SHA-256 of a token that is 160 random bits.
			expect(key).toMatch(/^((sign_in|callback):[A-Za-z0-9_-]{22}|request_token:[0-9a-f]{64})$/);
			expect(plainHashes).not.toContain(key.split(':')[1]);
		}
	});

	test('over the limit, callbacks get a 429 page with Retry-After', async () => {
		const statuses: number[] = [];
		for (let attempt = 0; attempt < 5; attempt++) {
			const response = await new BrowserSession(stack.app.url).get(
				`/auth/callback?request_token=${'c'.repeat(40)}&approved=true`
			);
			statuses.push(response.status);
		}
		expect(statuses.slice(-1)).toEqual([429]);
		const limited = await new BrowserSession(stack.app.url).get(
			`/auth/callback?request_token=${'c'.repeat(40)}&approved=true`
		);
		expect(limited.status).toBe(429);
		expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
		expect(await limited.text()).toContain('Too many sign-in attempts');
	});
});

describe('R6.1 served as https (ORIGIN https://…, TLS ended by a proxy in front)', () => {
	const https = useAppStack({ ORIGIN: 'https://marquee.test' });

	test('responses carry HSTS, and cookies are Secure with the __Host- prefix', async () => {
		const home = await fetch(`${https.app.url}/`);
		expect(home.headers.get('strict-transport-security')).toBe(
			'max-age=31536000; includeSubDomains'
		);
		const started = await fetch(`${https.app.url}/auth/login`, {
			method: 'POST',
			redirect: 'manual',
			body: new URLSearchParams({ returnTo: '/' }),
			headers: {
				accept: 'text/html',
				origin: 'https://marquee.test',
				'content-type': 'application/x-www-form-urlencoded'
			}
		});
		expect(started.status).toBe(303);
		expect(started.headers.get('strict-transport-security')).toContain('max-age=31536000');
		const cookie = started.headers.getSetCookie().find((line) => line.includes('marquee_login'));
		expect(cookie).toMatch(/^__Host-marquee_login=/);
		expect(cookie).toMatch(/; Secure/i);
		expect(cookie).toMatch(/; HttpOnly/i);
		expect(cookie).not.toMatch(/Domain=/i);
	});

	test('every response carries the security headers and HSTS: a static file, a built asset, a 404, SvelteKit’s own cross-site 403 and a page', async () => {
		// Static files and built assets are served before the hooks run; the cross-site 403 comes
		// from SvelteKit's origin check, also before them.
		const asset = readdirSync('build/client/_app/immutable/entry').find((file) =>
			file.endsWith('.js')
		);
		const responses = {
			// Browsers ask for /favicon.ico whatever the page links to (issue 26, item 8).
			'static file': await fetch(`${https.app.url}/favicon.ico`),
			'built asset': await fetch(`${https.app.url}/_app/immutable/entry/${asset}`),
			'404': await fetch(`${https.app.url}/no-such-page`),
			'cross-site 403': await fetch(`${https.app.url}/auth/login`, {
				method: 'POST',
				body: new URLSearchParams({ returnTo: '/' }),
				headers: {
					origin: 'https://evil.example',
					'content-type': 'application/x-www-form-urlencoded'
				}
			}),
			page: await fetch(`${https.app.url}/`)
		};
		expect(
			Object.fromEntries(Object.entries(responses).map(([what, r]) => [what, r.status]))
		).toEqual({
			'static file': 200,
			'built asset': 200,
			'404': 404,
			'cross-site 403': 403,
			page: 200
		});
		expect(await responses['cross-site 403'].text()).toContain('Cross-site POST form submissions');
		// An icon file (ICO's magic number), not an error page.
		const icon = Buffer.from(await responses['static file'].arrayBuffer());
		expect(icon.subarray(0, 4)).toEqual(Buffer.from([0, 0, 1, 0]));
		expect(responses['static file'].headers.get('content-type')).toBe('image/x-icon');
		for (const [what, response] of Object.entries(responses)) {
			expect
				.soft(response.headers.get('strict-transport-security'), what)
				.toBe('max-age=31536000; includeSubDomains');
			expect.soft(response.headers.get('x-content-type-options'), what).toBe('nosniff');
			expect.soft(response.headers.get('x-frame-options'), what).toBe('DENY');
			expect
				.soft(response.headers.get('referrer-policy'), what)
				.toBe('strict-origin-when-cross-origin');
			expect.soft(response.headers.get('cross-origin-opener-policy'), what).toBe('same-origin');
			expect.soft(response.headers.get('permissions-policy'), what).toContain('camera=()');
		}
		// A response's own value wins: built assets stay cacheable for ever.
		expect(responses['built asset'].headers.get('cache-control')).toContain('immutable');
	});
});

describe('R7.3 the client address behind a proxy (ADDRESS_HEADER)', () => {
	const proxied = useAppStack({
		SIGN_IN_RATE_LIMIT_PER_MINUTE: '3',
		ADDRESS_HEADER: 'x-client-address'
	});

	/** Sign-in starts as a proxy forwards them, each naming the client as `address`. */
	async function startsFrom(addresses: string[]) {
		// The limit counts per minute: do not straddle a minute boundary.
		const intoMinute = Date.now() % 60_000;
		if (intoMinute > 50_000) {
			await new Promise((resolve) => setTimeout(resolve, 61_000 - intoMinute));
		}
		const statuses: number[] = [];
		for (const address of addresses) {
			const response = await new BrowserSession(proxied.app.url).post(
				'/auth/login',
				{ returnTo: '/' },
				{ 'x-client-address': address }
			);
			statuses.push(response.status);
		}
		return statuses;
	}

	test('R7.3 an address with a new port each time is still one client', async () => {
		const ports = [40001, 40002, 40003, 40004, 40005].map((port) => `10.9.3.1:${port}`);
		expect(await startsFrom(ports)).toEqual([303, 303, 303, 429, 429]);
	}, 90_000);

	test('R7.3 values that are not addresses share one bucket, and say so in the log', async () => {
		const junk = ['', 'unknown', 'not-an-ip', 'x'.repeat(200), '10.9.3.2:port'];
		expect(await startsFrom(junk)).toEqual([303, 303, 303, 429, 429]);
		await vi.waitFor(() =>
			expect(proxied.app.output.some((line) => line.includes('client_address_unknown'))).toBe(true)
		);
	}, 90_000);
});
