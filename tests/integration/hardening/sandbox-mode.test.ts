import { afterAll, beforeAll, expect, test } from 'vitest';
import { startApp, type AppProcess } from '../../helpers/app-process.ts';
import { BrowserSession } from '../../helpers/browser-session.ts';
import { createTestDatabase, databaseEnv, type TestDatabase } from '../../helpers/database.ts';

// The built-in sandbox as `npm run dev` uses it, here in the production build with
// TMDB_SANDBOX=true and no TMDB credential at all.
let database: TestDatabase;
let app: AppProcess;

beforeAll(async () => {
	database = await createTestDatabase({ sharedWithApp: true });
	app = await startApp({
		...databaseEnv(database),
		TMDB_SANDBOX: 'true'
	});
}, 60_000);

afterAll(async () => {
	await app?.stop();
	await database?.drop();
});

test('R7.2 with no TMDB credential, sign-in runs through the built-in sandbox, clearly labelled', async () => {
	const browser = new BrowserSession(app.url);
	const home = await browser.get('/');
	expect(await home.text()).toContain('sign-in uses Marquee');

	const started = await browser.post('/auth/login', { returnTo: '/account' });
	expect(started.status).toBe(303);
	const approval = new URL(started.headers.get('location')!, app.url);
	expect(approval.origin).toBe(app.url);
	expect(approval.pathname).toMatch(/^\/sandbox\/tmdb\/authenticate\/[0-9a-f]{40}$/);

	const page = await browser.get(approval.pathname + approval.search);
	expect(page.status).toBe(200);
	const html = await page.text();
	expect(html).toContain('Marquee TMDB sandbox');
	expect(html).toContain('not the real themoviedb.org');

	const decided = await browser.post(approval.pathname + approval.search, {
		account: 'grace',
		decision: 'approve'
	});
	expect(decided.status).toBe(303);
	const callback = new URL(decided.headers.get('location')!);
	expect(callback.pathname).toBe('/auth/callback');
	expect(callback.searchParams.get('approved')).toBe('true');

	const finished = await browser.get(callback.pathname + callback.search);
	expect(finished.headers.get('location')).toBe('/account');
	const account = await browser.get('/account');
	expect(account.status).toBe(200);
	expect(await account.text()).toContain('Grace Hopper');
});

test('R7.2 the sandbox avatar is served by the app itself', async () => {
	const response = await fetch(`${app.url}/sandbox/tmdb/t/p/w185/sandbox-grace.svg`);
	expect(response.status).toBe(200);
	expect(response.headers.get('content-type')).toContain('image/svg+xml');
});

test('R6.7 the request token on the sandbox approval page stays out of the logs, a refused cross-site post included', async () => {
	const browser = new BrowserSession(app.url);
	const outputBefore = app.output.length;
	const started = await browser.post('/auth/login', { returnTo: '/' });
	const approval = new URL(started.headers.get('location')!, app.url);
	const requestToken = approval.pathname.split('/').pop()!;
	await browser.get(approval.pathname + approval.search);
	await browser.post(approval.pathname + approval.search, { account: 'ada', decision: 'deny' });
	// The cross-site refusal logs the path too, before the request log line.
	const crossSite = await browser.post(
		approval.pathname,
		{ decision: 'approve' },
		{ 'sec-fetch-site': 'cross-site' }
	);
	expect(crossSite.status).toBe(403);
	// The app's log lines reach this process through a pipe, a little after the answers.
	const approvalPageLines = () =>
		app.output.slice(outputBefore).filter((line) => line.includes('/sandbox/tmdb/authenticate'));
	for (let wait = 0; wait < 50 && approvalPageLines().length < 4; wait++) {
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	// The page, the decision, the refusal and the refused request's own line.
	const lines = approvalPageLines();
	expect(lines).toHaveLength(4);
	expect(lines.filter((line) => line.includes('cross_site_request_refused'))).toHaveLength(1);
	expect(app.output.join('\n')).not.toContain(requestToken);
});

test.each([
	['another origin', 'https://evil.example/auth/callback'],
	['a protocol-relative address', '//evil.example/auth/callback'],
	['this host on another port', 'http://127.0.0.1:9/auth/callback']
])(
	'R6.5 the in-app sandbox sends the browser back only to the app itself, not to %s',
	async (_case, redirectTo) => {
		const browser = new BrowserSession(app.url);
		const started = await browser.post('/auth/login', { returnTo: '/' });
		const approval = new URL(started.headers.get('location')!, app.url);
		approval.searchParams.set('redirect_to', redirectTo);
		const shown = await browser.get(approval.pathname + approval.search);
		expect(shown.status).toBe(400);
		const approved = await browser.post(approval.pathname + approval.search, {
			account: 'ada',
			decision: 'approve'
		});
		expect(approved.status).toBe(400);
		expect(approved.headers.get('location')).toBeNull();
	}
);

test('R7.2 the approval page lets the browser send its origin with the form (no Origin: null)', async () => {
	const browser = new BrowserSession(app.url);
	const started = await browser.post('/auth/login', { returnTo: '/' });
	const approval = new URL(started.headers.get('location')!, app.url);
	const page = await browser.get(approval.pathname + approval.search);
	// no-referrer makes browsers post `Origin: null`, which SvelteKit's origin check refuses.
	expect(page.headers.get('referrer-policy')).toBe('same-origin');
});

test('R7.2 R8.3 the watchlist works in sandbox mode, posters from the app itself', async () => {
	const browser = new BrowserSession(app.url);
	const started = await browser.post('/auth/login', { returnTo: '/watchlist' });
	const approval = new URL(started.headers.get('location')!, app.url);
	const decided = await browser.post(approval.pathname + approval.search, {
		account: 'ada',
		decision: 'approve'
	});
	const callback = new URL(decided.headers.get('location')!);
	expect((await browser.get(callback.pathname + callback.search)).headers.get('location')).toBe(
		'/watchlist'
	);
	const page = await browser.get('/watchlist');
	expect(page.status).toBe(200);
	const html = await page.text();
	expect(html).toContain('23 movies, page 1 of 2');
	const poster = /src="(\/sandbox\/tmdb\/t\/p\/w185\/sandbox-poster-\d+\.svg)"/.exec(html)?.[1];
	expect(poster).toBeDefined();
	// Same origin: the page's CSP (img-src 'self') lets it load.
	expect(page.headers.get('content-security-policy')).toMatch(/img-src 'self'/);
	const image = await browser.get(poster!);
	expect(image.status).toBe(200);
	expect(image.headers.get('content-type')).toContain('image/svg+xml');
});
