import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSandboxServer, type SandboxServer } from '../../support/tmdb-sandbox/server.ts';
import { startApp, type AppProcess } from '../../helpers/app-process.ts';
import { BrowserSession } from '../../helpers/browser-session.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts';
import { APP_TMDB_KEY, appEnv } from '../../helpers/app-stack.ts';
import { databaseEnv } from '../../helpers/database.ts';

// Two processes need two connections at once, which only a PostgreSQL server gives.
describe.skipIf(!process.env.TEST_DATABASE_URL)(
	'R7.3 several instances against one PostgreSQL (needs TEST_DATABASE_URL: the embedded database serves one connection)',
	() => {
		let database: TestDatabase;
		let sandbox: SandboxServer;
		let first: AppProcess;
		let second: AppProcess;

		beforeAll(async () => {
			database = await createTestDatabase();
			sandbox = await startSandboxServer({ port: 0, credentials: [APP_TMDB_KEY] });
			const env = appEnv(database, sandbox, { SIGN_IN_RATE_LIMIT_PER_MINUTE: '6' });
			[first, second] = await Promise.all([startApp(env), startApp(env)]);
		}, 60_000);

		afterAll(async () => {
			await Promise.all([first?.stop(), second?.stop()]);
			await sandbox?.stop();
			await database?.drop();
		});

		test('R7.3 signed in on one instance is signed in on the other; signed out on one, out on both', async () => {
			const onFirst = new BrowserSession(first.url);
			await onFirst.signIn(sandbox.url, 'two-instances');
			const onSecond = new BrowserSession(second.url);
			onSecond.cookies.set('marquee_session', onFirst.cookies.get('marquee_session')!);

			const account = await onSecond.get('/account');
			expect(account.status).toBe(200);
			expect(await account.text()).toContain('two-instances');

			const signedOut = await onSecond.post('/auth/logout', {});
			expect(signedOut.status).toBe(303);
			// The first browser still holds the cookie; the session behind it is gone everywhere.
			const after = await onFirst.get('/account');
			expect(after.status).toBe(303);
			expect(after.headers.get('location')).toMatch(/^\/auth\/login/);
		});

		test('R7.3 the sign-in rate limit is shared by the instances', async () => {
			// Both instances see the client as 127.0.0.1; the limit is 6 starts a minute in all.
			// Stay clear of a minute boundary, where a fixed window starts afresh.
			const intoMinute = Date.now() % 60_000;
			if (intoMinute > 55_000)
				await new Promise((resolve) => setTimeout(resolve, 61_000 - intoMinute));
			const statuses: number[] = [];
			for (let attempt = 0; attempt < 8; attempt++) {
				const app = attempt % 2 === 0 ? first : second;
				const response = await new BrowserSession(app.url).post('/auth/login', { returnTo: '/' });
				statuses.push(response.status);
				if (response.status === 429)
					expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
			}
			// The first test's sign-in used one start already, in this same minute or the previous one.
			expect(statuses.filter((status) => status === 303).length).toBeLessThanOrEqual(6);
			expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(2);
			// Once limited, limited on both instances for the rest of the window.
			const firstLimited = statuses.indexOf(429);
			expect(statuses.slice(firstLimited).every((status) => status === 429)).toBe(true);
		});
	}
);

// The in-app sandbox keeps its tokens, sessions and watchlists in PostgreSQL (issue 26).
describe.skipIf(!process.env.TEST_DATABASE_URL)(
	'R7.3 test mode (TMDB_SANDBOX=true) behind a proxy, two instances (needs TEST_DATABASE_URL)',
	() => {
		/** The public origin a proxy in front of both instances would give them. */
		const ORIGIN = 'http://marquee.test';
		let database: TestDatabase;
		let instances: AppProcess[];

		beforeAll(async () => {
			database = await createTestDatabase();
			const env = { ...databaseEnv(database), TMDB_SANDBOX: 'true', ORIGIN };
			instances = await Promise.all([startApp(env), startApp(env)]);
		}, 60_000);

		afterAll(async () => {
			await Promise.all((instances ?? []).map((instance) => instance.stop()));
			await database?.drop();
		});

		test('R7.3 R7.2 every step of a sign-in on the other instance: start, approval page, decision, callback, pages', async () => {
			// One browser; like a round-robin proxy, each request goes to the next instance.
			const cookies = new Map<string, string>();
			let turn = 0;
			async function send(act: (browser: BrowserSession) => Promise<Response>) {
				const browser = new BrowserSession(instances[turn++ % 2]!.url);
				for (const [name, value] of cookies) browser.cookies.set(name, value);
				const response = await act(browser);
				cookies.clear();
				for (const [name, value] of browser.cookies) cookies.set(name, value);
				return response;
			}
			const fromOrigin = { origin: ORIGIN };

			const started = await send((b) =>
				b.post('/auth/login', { returnTo: '/watchlist' }, fromOrigin)
			);
			expect(started.status).toBe(303);
			const approval = started.headers.get('location')!;
			expect(approval).toMatch(/^\/sandbox\/tmdb\/authenticate\/[0-9a-f]{40}\?/);

			const page = await send((b) => b.get(approval));
			expect(page.status).toBe(200);
			expect(await page.text()).toContain('Approve');

			const decided = await send((b) =>
				b.post(approval, { username: 'two-sandboxes', decision: 'approve' }, fromOrigin)
			);
			expect(decided.status).toBe(303);
			const callback = new URL(decided.headers.get('location')!);
			expect(callback.origin).toBe(ORIGIN);

			const finished = await send((b) => b.get(callback.pathname + callback.search));
			expect(finished.status).toBe(303);
			expect(finished.headers.get('location')).toBe('/watchlist');

			// The TMDB session the sandbox opened, and the watchlist behind it, answer on both.
			const watchlist = await send((b) => b.get('/watchlist'));
			expect(watchlist.status).toBe(200);
			const html = await watchlist.text();
			expect(html).toContain('two-sandboxes');
			const movieId = /name="movieId" value="(\d+)"/.exec(html)![1]!;
			const listed = `name="movieId" value="${movieId}"`;
			const removed = await send((b) => b.post('/watchlist?/remove', { movieId }, fromOrigin));
			expect(removed.status).toBe(200);
			const after = await send((b) => b.get('/watchlist'));
			expect(after.status).toBe(200);
			expect(await after.text()).not.toContain(listed);

			// Signing out on one ends the sandbox's session for both.
			expect((await send((b) => b.post('/auth/logout', {}, fromOrigin))).status).toBe(303);
			expect((await send((b) => b.get('/watchlist'))).status).toBe(303);
		});
	}
);
