import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connect } from '../../../src/lib/server/db/client.ts';
import {
	startEmbeddedPostgres,
	type EmbeddedPostgres
} from '../../../src/lib/server/db/embedded.ts';
import { migrate } from '../../../src/lib/server/db/migrate.ts';
import { startSandboxServer, type SandboxServer } from '../../support/tmdb-sandbox/server.ts';
import { freePort, startApp, type AppProcess } from '../../helpers/app-process.ts';
import { BrowserSession } from '../../helpers/browser-session.ts';
import { APP_TMDB_KEY } from '../../helpers/app-stack.ts';

// The embedded PostgreSQL is one we can stop and start on the same port and data directory;
// the shared server at 127.0.0.1:5432 is not ours to restart.
let dataDir: string;
let port: number;
let database: EmbeddedPostgres | undefined;
let sandbox: SandboxServer;
let app: AppProcess;

beforeAll(async () => {
	dataDir = mkdtempSync(path.join(tmpdir(), 'marquee-restart-'));
	port = await freePort();
	database = await startEmbeddedPostgres({ dataDir, port });
	const sql = connect(database.url, { max: 1 });
	await migrate(sql);
	await sql.end();
	sandbox = await startSandboxServer({ port: 0, credentials: [APP_TMDB_KEY] });
	app = await startApp({
		DATABASE_URL: database.url,
		DATABASE_POOL_SIZE: '1',
		TMDB_API_KEY: APP_TMDB_KEY,
		TMDB_API_URL: sandbox.url,
		TMDB_WEB_URL: sandbox.url,
		SIGN_IN_RATE_LIMIT_PER_MINUTE: '1000'
	});
}, 60_000);

afterAll(async () => {
	await app?.stop();
	await sandbox?.stop();
	await database?.stop();
	rmSync(dataDir, { recursive: true, force: true });
});

test('R5 a database restart: requests fail cleanly with 503, then work again without restarting the app', async () => {
	const browser = new BrowserSession(app.url);
	await browser.signIn(sandbox.url, 'restart-survivor');
	expect((await browser.get('/account')).status).toBe(200);

	await database!.stop();
	database = undefined;
	const during = await browser.get('/account');
	// On failure, say what the app logged: the answer depends on how the outage surfaced.
	expect(during.status, app.output.slice(-10).join('\n')).toBe(503);
	expect(await during.text()).toContain('We cannot reach our database right now');
	// A signed-out page that needs no database still renders.
	const anonymous = await fetch(`${app.url}/`);
	expect(anonymous.status).toBe(200);
	expect(app.child.exitCode).toBeNull();

	database = await startEmbeddedPostgres({ dataDir, port });
	const statuses: number[] = [];
	for (let attempt = 0; attempt < 50 && statuses.at(-1) !== 200; attempt++) {
		statuses.push((await browser.get('/account')).status);
		if (statuses.at(-1) !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
	}
	// On failure, say what each try got and what the app logged.
	expect(
		statuses.at(-1),
		`${statuses.join(' ')}\n${app.output
			.filter((line) => !line.includes('"msg":"request"'))
			.slice(-30)
			.join('\n')}`
	).toBe(200);
	expect(await (await browser.get('/account')).text()).toContain('restart-survivor');
	const crashes = app.output.filter((line) => /uncaught|unhandled rejection/i.test(line));
	expect(crashes).toEqual([]);
}, 90_000);

test('R5 finding 5: during a database outage, sign-in answers 503 with a message, not a 500', async () => {
	const browser = new BrowserSession(app.url);
	const started = await browser.post('/auth/login', { returnTo: '/account' });
	const requestToken = new URL(started.headers.get('location')!).pathname.split('/').pop()!;

	await database!.stop();
	database = undefined;
	try {
		const form = await new BrowserSession(app.url).post('/auth/login', { returnTo: '/' });
		expect(form.status).toBe(503);
		const page = await form.text();
		expect(page).toContain('Sign in with TMDB');
		expect(page).toContain('We cannot reach our database right now');

		const callback = await browser.get(
			`/auth/callback?request_token=${requestToken}&approved=true`
		);
		expect(callback.status).toBe(503);
		expect(callback.headers.get('retry-after')).toBe('30');
		expect(await callback.text()).toContain('We cannot reach our database right now');
		expect(app.output.filter((line) => line.includes('unhandled error'))).toEqual([]);
	} finally {
		database = await startEmbeddedPostgres({ dataDir, port });
	}
}, 60_000);
