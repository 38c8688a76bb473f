import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSandboxServer, type SandboxServer } from '../../support/tmdb-sandbox/server.ts';
import { startApp, type AppProcess } from '../../helpers/app-process.ts';
import { BrowserSession } from '../../helpers/browser-session.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts';
import { APP_TMDB_KEY, appEnv } from '../../helpers/app-stack.ts';

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
