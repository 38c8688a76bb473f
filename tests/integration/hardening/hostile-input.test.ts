import { beforeAll, describe, expect, test } from 'vitest';
import { BrowserSession } from '../../helpers/browser-session.ts';
import { useAppStack } from '../../helpers/app-stack.ts';

const stack = useAppStack();
let signedIn: BrowserSession;
let baseline: { users: number; sessions: number };

beforeAll(async () => {
	signedIn = new BrowserSession(stack.app.url);
	await signedIn.signIn(stack.sandbox.url, 'hostile-victim');
	baseline = await stack.rowCounts();
});

/** Every hostile request: a clear 4xx or a safe redirect, never a 5xx, and no row written. */
async function expectHandledSafely(response: Response) {
	expect(response.status, await response.clone().text()).toBeLessThan(500);
	const location = response.headers.get('location');
	if (location) {
		const target = new URL(location, stack.app.url);
		const safe = target.origin === stack.app.url || target.origin === stack.sandbox.url;
		expect(safe, `redirect to ${location}`).toBe(true);
	}
	expect(await stack.rowCounts()).toEqual(baseline);
}

const TOKEN = 'a'.repeat(40);
const HUGE = 'x'.repeat(100 * 1024);

describe('R6.5 R1.3 hostile callbacks', () => {
	test.each([
		['no parameters', ''],
		['an empty token', '?request_token=&approved=true'],
		['a missing verdict', `?request_token=${TOKEN}`],
		['a duplicated token', `?request_token=${TOKEN}&request_token=${'b'.repeat(40)}&approved=true`],
		['a duplicated verdict', `?request_token=${TOKEN}&approved=true&approved=true`],
		['approved and denied together', `?request_token=${TOKEN}&approved=true&denied=true`],
		['approved=false', `?request_token=${TOKEN}&approved=false`],
		['a non-ASCII token', `?request_token=${encodeURIComponent('ťøķēñ✓'.repeat(8))}&approved=true`],
		[
			'a token with HTML',
			`?request_token=${encodeURIComponent('<script>alert(1)</script>')}&approved=true`
		],
		['a token with SQL', `?request_token=${encodeURIComponent("' OR 1=1 --")}&approved=true`],
		['a token with NUL and newlines', `?request_token=%00%0d%0aSet-Cookie:x=1&approved=true`],
		['a 100 KB token', `?request_token=${HUGE}&approved=true`],
		['a forged token of the right shape', `?request_token=${TOKEN}&approved=true`],
		['a denial of an unknown token', `?request_token=${TOKEN}&denied=true`],
		['an array-style parameter', `?request_token[]=${TOKEN}&approved=true`],
		['a broken percent-encoding', `?request_token=%E0%A4%A&approved=true`]
	])('%s', async (_case, query) => {
		const visitor = new BrowserSession(stack.app.url);
		await expectHandledSafely(await visitor.get(`/auth/callback${query}`));
	});
});

describe('R6.5 R1.3 hostile callbacks through the data endpoint (/auth/callback/__data.json)', () => {
	test.each([
		['no parameters', ''],
		['a forged token of the right shape', `?request_token=${TOKEN}&approved=true`],
		['a denial of an unknown token', `?request_token=${TOKEN}&denied=true`],
		['a broken percent-encoding', `?request_token=%E0%A4%A&approved=true`]
	])('%s: a redirect to the sign-in page, as JSON, and nothing stored', async (_case, query) => {
		const visitor = new BrowserSession(stack.app.url);
		const response = await visitor.get(`/auth/callback/__data.json${query}`);
		await expectHandledSafely(response);
		const body = (await response.json()) as { type: string; location?: string };
		expect(body.type).toBe('redirect');
		expect(body.location).toMatch(/^\/auth\/login\?error=(invalid_callback|mismatch)$/);
		expect(visitor.cookies.has('marquee_session')).toBe(false);
	});

	test('a 100 KB token is refused by the server before the app sees it', async () => {
		const visitor = new BrowserSession(stack.app.url);
		const response = await visitor.get(`/auth/callback/__data.json?request_token=${HUGE}`);
		expect(response.status).toBe(431);
		await expectHandledSafely(response);
	});
});

describe('R1.6 R6.5 hostile form posts', () => {
	test.each([
		['an oversized returnTo (100 KB)', { returnTo: HUGE }],
		['a non-ASCII returnTo', { returnTo: '/fïlms/✓' }],
		['an absolute returnTo', { returnTo: 'https://evil.example/' }],
		['a protocol-relative returnTo', { returnTo: '//evil.example' }],
		['a javascript: returnTo', { returnTo: 'javascript:alert(1)' }],
		['no fields at all', {}]
	])('sign-in start with %s redirects only to TMDB', async (_case, form) => {
		const visitor = new BrowserSession(stack.app.url);
		const response = await visitor.post('/auth/login', form as Record<string, string>);
		expect(response.status).toBe(303);
		expect(new URL(response.headers.get('location')!).origin).toBe(stack.sandbox.url);
		await expectHandledSafely(response);
	});

	test('sign-in start with a duplicated returnTo', async () => {
		const visitor = new BrowserSession(stack.app.url);
		const body = new URLSearchParams([
			['returnTo', '/account'],
			['returnTo', '//evil.example']
		]);
		await expectHandledSafely(await visitor.post('/auth/login', body));
	});

	test('a form post with a JSON body is refused', async () => {
		const visitor = new BrowserSession(stack.app.url);
		const response = await visitor.post('/auth/login', '{"returnTo":"/"}', {
			'content-type': 'application/json'
		});
		expect(response.status).toBeGreaterThanOrEqual(400);
		await expectHandledSafely(response);
	});

	test('R6.5 a cross-site form post (Sec-Fetch-Site) is refused', async () => {
		const visitor = new BrowserSession(stack.app.url);
		const response = await visitor.post(
			'/auth/login',
			{ returnTo: '/' },
			{ 'sec-fetch-site': 'cross-site' }
		);
		expect(response.status).toBe(403);
		// The refusal is a response of ours like any other: it carries the security headers.
		expect(response.headers.get('x-content-type-options')).toBe('nosniff');
		expect(response.headers.get('x-frame-options')).toBe('DENY');
		await expectHandledSafely(response);
	});

	test('R6.5 a form post from another origin is refused by the origin check', async () => {
		const visitor = new BrowserSession(stack.app.url);
		const response = await visitor.post(
			'/auth/login',
			{ returnTo: '/' },
			{ origin: 'https://evil.example' }
		);
		expect(response.status).toBe(403);
		await expectHandledSafely(response);
	});

	test('R6.5 a cross-site sign-out does not sign the person out', async () => {
		const response = await signedIn.post('/auth/logout', {}, { origin: 'https://evil.example' });
		expect(response.status).toBe(403);
		expect((await signedIn.get('/account')).status).toBe(200);
	});

	test('R3 sign-out by GET only shows the confirmation page', async () => {
		const response = await signedIn.get('/auth/logout');
		expect(response.status).toBe(200);
		expect(await response.text()).toContain('Sign out of Marquee?');
		expect((await signedIn.get('/account')).status).toBe(200);
	});

	test.each([
		['a missing session id', {}],
		['a malformed session id', { sessionId: '../../etc/passwd' }],
		['an oversized session id', { sessionId: HUGE }],
		['an unknown session id', { sessionId: 'f'.repeat(64) }]
	])('R6.4 revoking %s changes nothing', async (_case, form) => {
		const response = await signedIn.post(
			'/account/sessions?/revoke',
			form as Record<string, string>
		);
		expect([400, 404]).toContain(response.status);
		await expectHandledSafely(response);
	});

	test('R6.4 revoking without a session sends the visitor to sign in', async () => {
		const visitor = new BrowserSession(stack.app.url);
		const response = await visitor.post('/account/sessions?/revoke', { sessionId: 'f'.repeat(64) });
		expect(response.status).toBe(303);
		expect(response.headers.get('location')).toMatch(/^\/auth\/login\?returnTo=/);
		await expectHandledSafely(response);
	});
});

describe('R4.3 hostile cookies', () => {
	test.each([
		['random', 'Zm9vYmFy'],
		['empty', ''],
		['truncated', 'A'.repeat(42)],
		['well-formed but unknown', 'A'.repeat(43)],
		['oversized (4 KB)', 'A'.repeat(4096)],
		['non-ASCII', encodeURIComponent('ßéçrêt✓')],
		['SQL', encodeURIComponent("' OR '1'='1")]
	])('a %s session cookie is cleared and the visitor is signed out', async (_case, value) => {
		const response = await fetch(`${stack.app.url}/account`, {
			redirect: 'manual',
			headers: { cookie: `marquee_session=${value}`, accept: 'text/html' }
		});
		expect(response.status).toBe(303);
		expect(response.headers.get('location')).toBe('/auth/login?returnTo=%2Faccount');
		await expectHandledSafely(response);
	});

	test('a tampered pending-login cookie is ignored', async () => {
		const visitor = new BrowserSession(stack.app.url);
		visitor.cookies.set(
			'marquee_login',
			Buffer.from('{"h":"00","r":"//evil","e":99999999999999}').toString('base64url')
		);
		const response = await visitor.get(`/auth/callback?request_token=${TOKEN}&approved=true`);
		expect(response.headers.get('location')).toBe('/auth/login?error=mismatch');
		await expectHandledSafely(response);
	});

	test('a pending-login cookie of 100 KB is refused by the server', async () => {
		const response = await fetch(
			`${stack.app.url}/auth/callback?request_token=${TOKEN}&approved=true`,
			{
				redirect: 'manual',
				headers: { cookie: `marquee_login=${HUGE}` }
			}
		);
		await expectHandledSafely(response);
	});

	test('another person’s valid cookie signs in as that person only, and reveals no secret', async () => {
		const page = await signedIn.get('/account');
		const html = await page.text();
		expect(html).toContain('hostile-victim');
		expect(html).not.toContain(signedIn.cookies.get('marquee_session')!);
	});
});

describe('R1.5 open redirects through the return path', () => {
	test.each([
		'//evil.example',
		'/\\evil.example',
		'/%2F%2Fevil.example',
		'/%5Cevil.example',
		'/\t/evil.example',
		'/\n/evil.example',
		'javascript:alert(1)',
		'https://evil.example',
		'//user@evil.example',
		'/%09/evil.example',
		'http:/evil.example',
		'/.//evil.example'
	])('returnTo=%j sends a signed-in visitor home, not away', async (returnTo) => {
		const response = await signedIn.get(`/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
		expect(response.status).toBe(303);
		expect(response.headers.get('location')).toBe('/');
		await expectHandledSafely(response);
	});
});
