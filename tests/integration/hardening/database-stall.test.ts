import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSandboxServer, type SandboxServer } from '../../support/tmdb-sandbox/server.ts';
import { startApp, type AppProcess } from '../../helpers/app-process.ts';
import { BrowserSession } from '../../helpers/browser-session.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts';
import { hasPgBouncer } from '../../helpers/pgbouncer.ts';
import { startStallProxy, type StallProxy } from '../../helpers/stall-proxy.ts';
import { APP_TMDB_KEY, appEnv } from '../../helpers/app-stack.ts';

// The app reaches the database through a proxy that can stop answering without closing
// anything: no error ever arrives, so only the app's own bounds end the wait.
/** Waits for `check` to hold: the proxy sees a close a moment after the app answers. */
async function eventually(check: () => boolean): Promise<boolean> {
	for (let attempt = 0; attempt < 50 && !check(); attempt++) {
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	return check();
}

let database: TestDatabase;
let sandbox: SandboxServer;
let proxy: StallProxy;
let app: AppProcess;

beforeAll(async () => {
	database = await createTestDatabase({ sharedWithApp: true });
	sandbox = await startSandboxServer({ port: 0, credentials: [APP_TMDB_KEY] });
	proxy = await startStallProxy(database.url);
	app = await startApp(
		appEnv(database, sandbox, {
			DATABASE_URL: proxy.url,
			DATABASE_CONNECT_TIMEOUT_MS: '1000',
			DATABASE_QUERY_TIMEOUT_MS: '1000'
		})
	);
}, 60_000);

afterAll(async () => {
	await app?.stop();
	await proxy?.close();
	await sandbox?.stop();
	await database?.drop();
});

test('R5 a database that stops answering: bounded waits end in the 503 page, the stuck connection is dropped, then the app recovers by itself', async () => {
	const browser = new BrowserSession(app.url);
	await browser.signIn(sandbox.url, 'stall-survivor');
	expect((await browser.get('/account')).status).toBe(200);

	proxy.stall();
	// A query on an open connection gets no answer: the client-side bound drops the connection.
	const stuckQuery = await browser.get('/account');
	expect(stuckQuery.status).toBe(503);
	expect(await stuckQuery.text()).toContain('We cannot reach our database right now');
	expect(await eventually(() => proxy.droppedWhileStalled >= 1)).toBe(true);
	// The next request needs a new connection, whose start-up gets no answer either.
	const stuckConnect = await browser.get('/account');
	expect(stuckConnect.status).toBe(503);
	const ready = await fetch(`${app.url}/readyz`);
	expect(ready.status).toBe(503);
	expect(await ready.json()).toEqual({ status: 'database_unavailable' });
	expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
	const reasons = app.output
		.filter((line) => line.includes('"database_unavailable"'))
		.map((line) => (JSON.parse(line) as { err?: { code?: string } }).err?.code);
	expect(reasons).toEqual(expect.arrayContaining(['DATABASE_NO_ANSWER', 'CONNECT_TIMEOUT']));

	proxy.resume();
	let status = 0;
	for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
		status = (await browser.get('/account')).status;
		if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
	}
	expect(status).toBe(200);
	expect(await (await browser.get('/account')).text()).toContain('stall-survivor');
	expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
	expect(app.child.exitCode).toBeNull();
	const crashes = app.output.filter((line) => /uncaught|unhandled rejection/i.test(line));
	expect(crashes).toEqual([]);
}, 90_000);

// Managed hosts require TLS; Node's TLS layer must not hide a stalled connection from the bound.
describe.skipIf(!process.env.TEST_DATABASE_URL || !hasPgBouncer)(
	'over TLS (needs TEST_DATABASE_URL and the pgbouncer binary: PgBouncer terminates the TLS)',
	() => {
		test('R5 a stalled TLS connection is dropped too, and the app recovers', async () => {
			const tlsDatabase = await createTestDatabase({ pooled: true, tls: true });
			const tlsSandbox = await startSandboxServer({ port: 0, credentials: [APP_TMDB_KEY] });
			const tlsProxy = await startStallProxy(tlsDatabase.url);
			const tlsApp = await startApp(
				appEnv(tlsDatabase, tlsSandbox, {
					DATABASE_URL: tlsProxy.url,
					DATABASE_CONNECT_TIMEOUT_MS: '1000',
					DATABASE_QUERY_TIMEOUT_MS: '1000'
				})
			);
			try {
				expect(tlsProxy.url).toContain('sslmode=require');
				const browser = new BrowserSession(tlsApp.url);
				await browser.signIn(tlsSandbox.url, 'tls-survivor');
				expect((await browser.get('/account')).status).toBe(200);

				tlsProxy.stall();
				expect((await browser.get('/account')).status).toBe(503);
				expect(await eventually(() => tlsProxy.droppedWhileStalled >= 1)).toBe(true);
				// Only the client-side bound ends a wait on an open connection that went silent. The
				// app's log line comes through a pipe, so it may arrive just after the response.
				expect(
					await eventually(() =>
						tlsApp.output.some((line) => line.includes('"database_unavailable"'))
					)
				).toBe(true);

				tlsProxy.resume();
				let status = 0;
				for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
					status = (await browser.get('/account')).status;
					if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
				}
				expect(status).toBe(200);
			} finally {
				await tlsApp.stop();
				await tlsProxy.close();
				await tlsSandbox.stop();
				await tlsDatabase.drop();
			}
		}, 90_000);
	}
);
