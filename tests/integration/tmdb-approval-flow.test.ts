import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createLogger } from '../../src/lib/server/log.ts';
import { createTmdbClient, type TmdbClient } from '../../src/lib/server/tmdb/client.ts';
import { TmdbError } from '../../src/lib/server/tmdb/errors.ts';
import { startSandboxServer, type SandboxServer } from '../support/tmdb-sandbox/server.ts';

const API_KEY = 'approval-flow-test-key';
const CALLBACK = 'http://127.0.0.1:5173/auth/callback';

let server: SandboxServer;
let client: TmdbClient;

beforeAll(async () => {
	server = await startSandboxServer({ port: 0, credentials: [API_KEY] });
	client = createTmdbClient({
		apiUrl: server.url,
		credential: { kind: 'api_key', apiKey: API_KEY },
		timeoutMs: 2_000,
		retryBudgetMs: 5_000,
		log: createLogger('silent')
	});
});
afterAll(async () => {
	await server.stop();
});
beforeEach(() => {
	server.sandbox.reset();
});

function pageUrl(requestToken: string, redirectTo: string | null = CALLBACK): string {
	const query = redirectTo === null ? '' : `?redirect_to=${encodeURIComponent(redirectTo)}`;
	return `${server.url}/authenticate/${requestToken}${query}`;
}

async function submit(url: string, fields: Record<string, string>): Promise<Response> {
	return fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams(fields),
		redirect: 'manual'
	});
}

async function kindOf(promise: Promise<unknown>): Promise<string> {
	const error: unknown = await promise.then(
		() => 'resolved',
		(reason: unknown) => reason
	);
	return error instanceof TmdbError ? error.kind : String(error);
}

describe('the approval page', () => {
	test('R1.1 is a self-contained page, clearly labelled as the Marquee TMDB sandbox', async () => {
		const { requestToken } = await client.createRequestToken();
		const response = await fetch(pageUrl(requestToken));
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toMatch(/^text\/html/);
		expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
		const html = await response.text();
		expect(html).toContain('Marquee TMDB sandbox');
		expect(html).toContain('not the real themoviedb.org');
		expect(html.match(/type="radio" name="account"/g)).toHaveLength(4);
		expect(html).toContain('name="username"');
		expect(html).toMatch(/<button[^>]*value="approve"[^>]*>Approve<\/button>/);
		expect(html).toMatch(/<button[^>]*value="deny"[^>]*>Deny<\/button>/);
		expect(html).toContain('<form method="post">');
		expect(html).not.toMatch(/<script/i);
		expect(html).not.toMatch(/(src|href)="https?:/);
		expect(html).toContain('http://127.0.0.1:5173/auth/callback');
	});

	test('the Authentication-Callback header of token/new points at the page', async () => {
		const response = await fetch(`${server.url}/3/authentication/token/new?api_key=${API_KEY}`);
		const { request_token } = (await response.json()) as { request_token: string };
		const callback = response.headers.get('authentication-callback');
		expect(callback).toBe(`${server.url}/authenticate/${request_token}`);
		expect((await fetch(callback!)).status).toBe(200);
	});

	test('R1.2 Approve redirects with approved=true, and the token gives a session once', async () => {
		const { requestToken } = await client.createRequestToken();
		const response = await submit(pageUrl(requestToken), {
			account: 'grace',
			decision: 'approve'
		});
		expect(response.status).toBe(303);
		expect(response.headers.get('location')).toBe(
			`${CALLBACK}?request_token=${requestToken}&approved=true`
		);
		const sessionId = await client.createSession(requestToken);
		expect((await client.getAccount(sessionId)).username).toBe('grace');
		expect(await kindOf(client.createSession(requestToken))).toBe('token_refused');
	});

	test('R1.3 Deny redirects with denied=true, and session/new then answers 17', async () => {
		const { requestToken } = await client.createRequestToken();
		const response = await submit(pageUrl(requestToken), { account: 'ada', decision: 'deny' });
		expect(response.status).toBe(303);
		expect(response.headers.get('location')).toBe(
			`${CALLBACK}?request_token=${requestToken}&denied=true`
		);
		expect(await kindOf(client.createSession(requestToken))).toBe('token_refused');
	});

	test('a typed username signs in with a stable id derived from the name', async () => {
		const ids: number[] = [];
		for (let round = 0; round < 2; round++) {
			const { requestToken } = await client.createRequestToken();
			const response = await submit(pageUrl(requestToken), {
				account: 'ada',
				username: 'Film_Fan-42',
				decision: 'approve'
			});
			expect(response.status).toBe(303);
			const account = await client.getAccount(await client.createSession(requestToken));
			expect(account).toMatchObject({ username: 'Film_Fan-42', name: '', avatarPath: null });
			ids.push(account.id);
		}
		expect(ids[0]).toBe(ids[1]);
		expect(ids[0]).not.toBe(4_100_001);
	});

	test('an unacceptable typed username re-shows the form with a message', async () => {
		const { requestToken } = await client.createRequestToken();
		const response = await submit(pageUrl(requestToken), {
			username: '<b>not ok</b>',
			decision: 'approve'
		});
		expect(response.status).toBe(400);
		const html = await response.text();
		expect(html).toContain('role="alert"');
		expect(html).not.toContain('<b>not ok</b>');
		expect(await kindOf(client.createSession(requestToken))).toBe('token_refused');
	});

	test('keeps a query that redirect_to already has', async () => {
		const { requestToken } = await client.createRequestToken();
		const response = await submit(pageUrl(requestToken, `${CALLBACK}?from=%2Fmovies`), {
			account: 'ada',
			decision: 'approve'
		});
		expect(response.headers.get('location')).toBe(
			`${CALLBACK}?from=%2Fmovies&request_token=${requestToken}&approved=true`
		);
	});

	test('without redirect_to shows an "approved" page like TMDB\'s /authenticate/allow', async () => {
		const { requestToken } = await client.createRequestToken();
		const response = await submit(pageUrl(requestToken, null), {
			account: 'ada',
			decision: 'approve'
		});
		expect(response.status).toBe(200);
		expect(await response.text()).toContain('Request approved');
		await expect(client.createSession(requestToken)).resolves.toMatch(/^[0-9a-f]{40}$/);
	});

	test('rejects a redirect_to that is not http(s) or a same-site path', async () => {
		const { requestToken } = await client.createRequestToken();
		for (const target of ['javascript:alert(1)', '//evil.example/x', 'ftp://x.example/']) {
			expect((await fetch(pageUrl(requestToken, target))).status).toBe(400);
		}
	});

	test('escapes what it shows of redirect_to', async () => {
		const { requestToken } = await client.createRequestToken();
		const html = await (
			await fetch(pageUrl(requestToken, '/x"><img src=x onerror=alert(1)>'))
		).text();
		expect(html).not.toContain('<img src=x');
		expect(html).not.toContain('onerror=alert(1)>');
	});

	test('R1.3 unknown, malformed, expired and used tokens get a clear error page', async () => {
		expect((await fetch(pageUrl('0'.repeat(40)))).status).toBe(404);
		expect((await fetch(pageUrl('x'.repeat(5_000)))).status).toBe(404);
		expect((await fetch(pageUrl('%3Cscript%3E'))).status).toBe(404);

		const used = await client.createRequestToken();
		server.sandbox.decideRequestToken(used.requestToken, { approve: true, username: 'ada' });
		await client.createSession(used.requestToken);
		const usedPage = await fetch(pageUrl(used.requestToken));
		expect(usedPage.status).toBe(400);
		expect(await usedPage.text()).toContain('already been exchanged');

		const expired = await client.createRequestToken();
		server.sandbox.advanceClock(61 * 60_000);
		const expiredPage = await fetch(pageUrl(expired.requestToken));
		expect(expiredPage.status).toBe(400);
		expect(await expiredPage.text()).toContain('60 minutes');
	});

	test('a POST without a decision is refused and decides nothing', async () => {
		const { requestToken } = await client.createRequestToken();
		expect((await submit(pageUrl(requestToken), { account: 'ada' })).status).toBe(400);
		const huge = await submit(pageUrl(requestToken), {
			decision: 'approve',
			pad: 'x'.repeat(20_000)
		});
		expect(huge.status).toBe(400);
		expect(await kindOf(client.createSession(requestToken))).toBe('token_refused');
	});
});

describe('avatars', () => {
	test('serves generated SVG avatars for accounts that have one', async () => {
		const response = await fetch(`${server.url}/t/p/w185/sandbox-ada.svg`);
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toBe('image/svg+xml');
		const svg = await response.text();
		expect(svg).toMatch(/^<svg [^>]*width="185"/);
		expect(svg).toContain('>AL</text>');
	});

	test('404 for unknown files and sizes', async () => {
		expect((await fetch(`${server.url}/t/p/w185/nobody.svg`)).status).toBe(404);
		expect((await fetch(`${server.url}/t/p/huge/sandbox-ada.svg`)).status).toBe(404);
	});
});
