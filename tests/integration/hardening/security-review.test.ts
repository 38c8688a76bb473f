/**
 * The findings of the independent security review (issue 10), replayed against the built app.
 * Each test failed on the code before its fix; docs/security.md maps them to the threat model.
 */
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, test, vi } from 'vitest';
import { BrowserSession } from '../../helpers/browser-session.ts';
import { useAppStack } from '../../helpers/app-stack.ts';

const stack = useAppStack({ LOG_LEVEL: 'debug' });

beforeEach(async () => {
	stack.sandbox.sandbox.reset();
	await stack.database.sql`DELETE FROM users`;
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A victim starts sign-in and approves at TMDB, but their own callback never arrives. */
async function leakedApprovedToken(): Promise<string> {
	const victim = new BrowserSession(stack.app.url);
	const started = await victim.post('/auth/login', { returnTo: '/account' });
	const requestToken = new URL(started.headers.get('location')!).pathname.split('/').pop()!;
	expect(
		stack.sandbox.sandbox.decideRequestToken(requestToken, { approve: true, username: 'victim' })
	).toBe(true);
	return requestToken;
}

/** The pending-login cookie's JSON part with the token hash replaced; any other part kept. */
function withTokenHash(cookie: string, tokenHash: string): string {
	const [payload, ...rest] = cookie.split('.');
	const fields = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
	fields.h = tokenHash;
	return [Buffer.from(JSON.stringify(fields)).toString('base64url'), ...rest].join('.');
}

async function expectRefusedWithoutSession(attacker: BrowserSession, requestToken: string) {
	const response = await attacker.get(`/auth/callback?request_token=${requestToken}&approved=true`);
	expect(response.status).toBe(303);
	expect(response.headers.get('location')).toBe('/auth/login?error=mismatch');
	expect(attacker.cookies.has('marquee_session')).toBe(false);
	expect(await stack.rowCounts()).toEqual({ users: 0, sessions: 0 });
}

describe('R6.5 finding 1: a leaked approved request token does not sign anyone in', () => {
	test('a pending-login cookie built from the token alone is refused', async () => {
		const requestToken = await leakedApprovedToken();
		const attacker = new BrowserSession(stack.app.url);
		const forged = Buffer.from(
			JSON.stringify({ h: sha256(requestToken), r: '/account', e: Date.now() + 3_600_000 })
		).toString('base64url');
		attacker.cookies.set('marquee_login', forged);
		await expectRefusedWithoutSession(attacker, requestToken);
	});

	test('a cookie the app issued to another browser, with its token hash replaced, is refused', async () => {
		const requestToken = await leakedApprovedToken();
		const attacker = new BrowserSession(stack.app.url);
		await attacker.post('/auth/login', { returnTo: '/' });
		const issued = attacker.cookies.get('marquee_login')!;
		attacker.cookies.set('marquee_login', withTokenHash(issued, sha256(requestToken)));
		await expectRefusedWithoutSession(attacker, requestToken);
	});

	test('the cookie issued with the token still completes sign-in (the binding works)', async () => {
		const browser = new BrowserSession(stack.app.url);
		await browser.signIn(stack.sandbox.url, 'binding-works', '/account');
		expect(browser.cookies.has('marquee_session')).toBe(true);
	});
});

describe('R6.5 finding 3: another site cannot cancel a sign-in in progress', () => {
	test.each([
		['a denial naming no token', '?denied=true'],
		['a denial naming another token', `?request_token=${'b'.repeat(40)}&denied=true`]
	])('%s keeps the pending sign-in, and the real approval then completes', async (_case, query) => {
		const browser = new BrowserSession(stack.app.url);
		const started = await browser.post('/auth/login', { returnTo: '/account' });
		const requestToken = new URL(started.headers.get('location')!).pathname.split('/').pop()!;
		const pending = browser.cookies.get('marquee_login');

		const forged = await browser.get(`/auth/callback${query}`);
		expect(forged.status).toBe(303);
		expect(forged.headers.get('location')).toBe('/auth/login?error=mismatch');
		expect(browser.cookies.get('marquee_login')).toBe(pending);

		stack.sandbox.sandbox.decideRequestToken(requestToken, { approve: true, username: 'keeper' });
		const real = await browser.get(`/auth/callback?request_token=${requestToken}&approved=true`);
		expect(real.headers.get('location')).toBe('/account');
		expect(browser.cookies.has('marquee_session')).toBe(true);
	});

	test('the real denial, naming the pending token, clears it', async () => {
		const browser = new BrowserSession(stack.app.url);
		const started = await browser.post('/auth/login', { returnTo: '/' });
		const requestToken = new URL(started.headers.get('location')!).pathname.split('/').pop()!;
		const denied = await browser.get(`/auth/callback?request_token=${requestToken}&denied=true`);
		expect(denied.headers.get('location')).toBe('/auth/login?error=denied');
		expect(browser.cookies.has('marquee_login')).toBe(false);
	});
});

describe('R1.5 finding 6: return paths are measured after normalisation', () => {
	// 200 characters that percent-encode to 1,800: short as typed, too long once normalised.
	const growing = `/${'€'.repeat(200)}`;

	test('through the form, a path that grows past the limit lands home instead of failing', async () => {
		const browser = new BrowserSession(stack.app.url);
		await browser.signIn(stack.sandbox.url, 'long-path', growing);
		expect(browser.cookies.has('marquee_session')).toBe(true);
	});

	test('a path that stays within the limit once encoded survives the round trip', async () => {
		const browser = new BrowserSession(stack.app.url);
		const started = await browser.post('/auth/login', { returnTo: `/${'é'.repeat(100)}` });
		const requestToken = new URL(started.headers.get('location')!).pathname.split('/').pop()!;
		stack.sandbox.sandbox.decideRequestToken(requestToken, { approve: true, username: 'path' });
		const callback = await browser.get(
			`/auth/callback?request_token=${requestToken}&approved=true`
		);
		expect(callback.headers.get('location')).toBe(`/${'%C3%A9'.repeat(100)}`);
	});
});

describe('R1.5 finding 7: the handshake is never a return path, however it is spelt', () => {
	test.each(['/auth/%63allback', '/auth/callback#x', '/%61uth/login', '/auth/logout/'])(
		'returnTo=%j sends a signed-in visitor home',
		async (returnTo) => {
			const browser = new BrowserSession(stack.app.url);
			await browser.signIn(stack.sandbox.url, 'spelling');
			const response = await browser.get(`/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
			expect(response.headers.get('location')).toBe('/');
		}
	);
});

describe('R7.4 finding 7: the framework’s own refusals are not logged as crashes', () => {
	test.each([
		['a body of the wrong type (415)', 'text/csv', 'x=1'],
		[
			'a body over the size limit (413)',
			'application/x-www-form-urlencoded',
			'x='.padEnd(600_000, 'a')
		],
		['a POST to an action the page lacks (404)', 'application/x-www-form-urlencoded', 'x=1']
	])('%s answers 4xx and logs no error', async (_case, contentType, body) => {
		const before = stack.app.output.length;
		const path = _case.includes('action') ? '/auth/login?/nothing' : '/auth/login';
		const response = await fetch(`${stack.app.url}${path}`, {
			method: 'POST',
			redirect: 'manual',
			body,
			headers: { 'content-type': contentType, origin: stack.app.url, accept: 'text/html' }
		});
		expect(response.status).toBeGreaterThanOrEqual(400);
		expect(response.status).toBeLessThan(500);
		// The request line is the last one a request logs: wait for it before reading the rest.
		const logged = await vi.waitFor(() => {
			const lines = stack.app.output.slice(before).map((line) => JSON.parse(line));
			expect(lines.some((line) => line.msg === 'request')).toBe(true);
			return lines;
		});
		expect(logged.filter((entry) => entry.level >= 50)).toEqual([]);
		expect(JSON.stringify(logged)).not.toContain('"stack"');
	});
});

describe('finding 7: behind a proxy (ADDRESS_HEADER, XFF_DEPTH=2)', () => {
	const proxied = useAppStack({
		ADDRESS_HEADER: 'x-forwarded-for',
		XFF_DEPTH: '2',
		SIGN_IN_RATE_LIMIT_PER_MINUTE: '2'
	});

	const startFrom = (forwardedFor: string | null) =>
		new BrowserSession(proxied.app.url).post(
			'/auth/login',
			{ returnTo: '/' },
			forwardedFor === null ? {} : { 'x-forwarded-for': forwardedFor }
		);

	test.each([
		['no forwarding header', null],
		['fewer addresses than XFF_DEPTH', '203.0.113.7']
	])('sign-in with %s is answered, not a 500', async (_case, forwardedFor) => {
		const response = await startFrom(forwardedFor);
		expect(response.status).toBe(303);
		expect(new URL(response.headers.get('location')!).origin).toBe(proxied.sandbox.url);
	});

	test('IPv6 clients are limited per /64, the block one client holds', async () => {
		// Stay clear of a minute boundary, where the fixed window starts afresh.
		const intoMinute = Date.now() % 60_000;
		if (intoMinute > 50_000)
			await new Promise((resolve) => setTimeout(resolve, 61_000 - intoMinute));
		const via = (address: string) => `${address}, 10.0.0.1`;
		expect((await startFrom(via('2001:db8:1:2::1'))).status).toBe(303);
		expect((await startFrom(via('2001:db8:1:2::ffff'))).status).toBe(303);
		// A third address of the same /64 is the same client.
		expect((await startFrom(via('2001:db8:1:2:aaaa:bbbb:cccc:dddd'))).status).toBe(429);
		// The neighbouring /64 is another client.
		expect((await startFrom(via('2001:db8:1:3::1'))).status).toBe(303);
	});
});
