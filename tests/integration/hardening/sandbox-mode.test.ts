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
