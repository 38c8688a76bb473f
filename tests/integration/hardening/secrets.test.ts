import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, test, vi } from 'vitest';
import { decryptSecret } from '../../../src/lib/server/auth/keys.ts';
import { TEST_ENCRYPTION_KEY } from '../../helpers/app-process.ts';
import { BrowserSession } from '../../helpers/browser-session.ts';
import { APP_TMDB_KEY, useAppStack } from '../../helpers/app-stack.ts';

const stack = useAppStack({ LOG_LEVEL: 'debug' });

function filesUnder(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const file = path.join(dir, name);
		return statSync(file).isDirectory() ? filesUnder(file) : [file];
	});
}

/** A dump of the database: pg_dump against a server, every table as JSON when embedded. */
async function dumpDatabase(): Promise<string> {
	if (!stack.database.embedded) {
		return execFileSync('pg_dump', ['--data-only', stack.database.directUrl], { encoding: 'utf8' });
	}
	const tables = ['users', 'auth_sessions', 'rate_limits', 'schema_migrations'];
	const parts = await Promise.all(
		tables.map(async (table) => {
			const rows = await stack.database.sql.unsafe(
				`SELECT row_to_json(t)::text AS row FROM ${table} t`
			);
			return rows.map((row) => row.row as string).join('\n');
		})
	);
	return parts.join('\n');
}

test('R6.7 R6.2 after a full sign-in and sign-out, no secret is in the logs, the database dump or the client bundle', async () => {
	const browser = new BrowserSession(stack.app.url);
	const requestToken = await browser.signIn(stack.sandbox.url, 'secret-keeper');
	const cookieToken = browser.cookies.get('marquee_session')!;
	const [row] = await stack.database.sql`SELECT tmdb_session_id FROM auth_sessions`;
	const tmdbSessionId = decryptSecret(row!.tmdb_session_id as string, [
		Buffer.from(TEST_ENCRYPTION_KEY, 'base64')
	]);
	expect(tmdbSessionId).toMatch(/^[0-9a-f]{40}$/);
	// The dump is taken while signed in, when the session row exists.
	const dump = await dumpDatabase();
	expect(dump).toContain('secret-keeper');

	// The periodic TMDB check made due: it sends the TMDB session id to TMDB and logs at debug.
	await stack.database.sql`UPDATE auth_sessions SET tmdb_checked_at = now() - interval '1 day'`;
	expect((await browser.get('/account')).status).toBe(200);
	await vi.waitFor(() => expect(stack.app.output.join('\n')).toContain('tmdb_session_checked'));
	expect((await browser.post('/auth/logout', {})).status).toBe(303);
	// The sign-out's lines reach this process through a pipe, a little after the answer.
	await vi.waitFor(() => expect(stack.app.output.join('\n')).toContain('"path":"/auth/logout"'));

	const logs = stack.app.output.join('\n');
	expect(logs).toContain('sign_in_completed');
	// Debug lines too: the audit covers every level.
	expect(logs).toContain('"level":20');
	const bundle = filesUnder('build/client')
		.filter((file) => /\.(js|css|html|json)$/.test(file))
		.map((file) => readFileSync(file, 'utf8'))
		.join('\n');
	expect(bundle.length).toBeGreaterThan(1000);

	const secrets = {
		'API key': APP_TMDB_KEY,
		'request token': requestToken,
		'TMDB session id': tmdbSessionId!,
		'cookie token': cookieToken,
		'encryption key': TEST_ENCRYPTION_KEY
	};
	for (const [name, secret] of Object.entries(secrets)) {
		expect(logs.includes(secret), `${name} in the logs`).toBe(false);
		expect(dump.includes(secret), `${name} in the database dump`).toBe(false);
		expect(bundle.includes(secret), `${name} in the client bundle`).toBe(false);
	}
});

test('R7.4 every request, auth event and TMDB call is a structured JSON log line with the request id and a duration', async () => {
	const browser = new BrowserSession(stack.app.url);
	await browser.signIn(stack.sandbox.url, 'log-reader');
	const readEntries = () =>
		stack.app.output
			.filter((line) => line.startsWith('{'))
			.map((line) => JSON.parse(line) as Record<string, unknown>);
	// Log lines come through a pipe, a little after the answers: wait for the callback's request line.
	const entries = await vi.waitFor(() => {
		const all = readEntries();
		expect(all.some((entry) => entry.msg === 'request' && entry.path === '/auth/callback')).toBe(
			true
		);
		return all;
	});
	const requests = entries.filter((entry) => entry.msg === 'request');
	expect(requests.length).toBeGreaterThan(0);
	for (const entry of requests) {
		expect(entry).toMatchObject({ requestId: expect.any(String), durationMs: expect.any(Number) });
	}
	const completed = entries.find((entry) => entry.event === 'sign_in_completed');
	expect(completed).toMatchObject({ requestId: expect.any(String), session: expect.any(String) });
	const tmdbCalls = entries.filter((entry) => entry.tmdb !== undefined);
	expect(tmdbCalls.map((entry) => (entry.tmdb as { path: string }).path)).toEqual(
		expect.arrayContaining([
			'/3/authentication/token/new',
			'/3/authentication/session/new',
			'/3/account'
		])
	);
	for (const entry of tmdbCalls) {
		// Calls outside a request (the credential check at start) name their task instead.
		expect(entry.requestId ?? entry.task).toEqual(expect.any(String));
		expect(entry.tmdb).toMatchObject({
			durationMs: expect.any(Number),
			attempt: expect.any(Number)
		});
	}
});

test('R7.4 every line the server writes is JSON, from start to shutdown, so `| jq` reads it', async () => {
	expect((await fetch(`${stack.app.url}/no-such-page`)).status).toBe(404);
	expect(
		(await new BrowserSession(stack.app.url).post('/auth/login', { returnTo: '//evil.example' }))
			.status
	).toBeLessThan(500);
	expect(await stack.app.stop()).toBe(0);
	const notJson = stack.app.output.filter((line) => {
		try {
			return typeof JSON.parse(line) !== 'object';
		} catch {
			return true;
		}
	});
	expect(notJson).toEqual([]);
	// The lines adapter-node's own entry printed as plain text, now JSON.
	const events = stack.app.output.map((line) => (JSON.parse(line) as { event?: string }).event);
	expect(events).toContain('listening');
	expect(stack.app.output.join('\n')).toContain('shutting down');
});
