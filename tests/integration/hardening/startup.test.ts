import { spawn, spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import { freePort, startApp } from '../../helpers/app-process.ts';
import { createTestDatabase, databaseEnv } from '../../helpers/database.ts';
import { startStallProxy } from '../../helpers/stall-proxy.ts';

/** Starts the built server with `env` and returns how it ended within a few seconds. */
function startBuiltServer(env: Record<string, string>) {
	const result = spawnSync(process.execPath, ['build'], {
		env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', ...env },
		encoding: 'utf8',
		timeout: 15_000
	});
	return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

const GOOD = {
	NODE_ENV: 'production',
	DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
	SESSION_ENCRYPTION_KEYS: Buffer.alloc(32, 3).toString('base64'),
	TMDB_API_KEY: 'key'
};

describe('R7.1 the built server refuses a bad configuration at start', () => {
	test.each([
		[
			'a malformed encryption key',
			{ SESSION_ENCRYPTION_KEYS: 'tooshort' },
			/SESSION_ENCRYPTION_KEYS: key 1 is not a base64-encoded 32-byte key/
		],
		[
			'a missing encryption key in production',
			{ SESSION_ENCRYPTION_KEYS: '' },
			/SESSION_ENCRYPTION_KEYS: required outside development/
		],
		[
			'a missing encryption key, started as `node build` without NODE_ENV',
			{ SESSION_ENCRYPTION_KEYS: '', NODE_ENV: '' },
			/SESSION_ENCRYPTION_KEYS: required outside development/
		],
		[
			'a plain-http TMDB URL that is not loopback',
			{ TMDB_API_URL: 'http://api.themoviedb.org' },
			/TMDB_API_URL: must use https:\/\//
		],
		[
			'no TMDB credential',
			{ TMDB_API_KEY: '' },
			/TMDB_API_KEY: set TMDB_API_KEY or TMDB_READ_ACCESS_TOKEN/
		],
		// Read by the logger before the configuration is checked: it must not crash first.
		['a log level pino does not know', { LOG_LEVEL: 'loud' }, /LOG_LEVEL: expected one of/],
		[
			'a request bound that is not a number',
			{ REQUEST_TIMEOUT: '30s' },
			/REQUEST_TIMEOUT: expected a whole number of seconds/
		]
	])('%s: exits 1 naming the variable, without a stack trace', (_case, override, message) => {
		const { status, output } = startBuiltServer({ ...GOOD, ...override });
		expect(status).toBe(1);
		expect(output).toMatch(message);
		expect(output).toContain('Marquee cannot start.');
		expect(output).not.toMatch(/\n\s+at /);
	});
});

describe('the TMDB credential is checked at start', () => {
	test('a key TMDB rejects is logged loudly, and the server still starts', async () => {
		const { startSandboxServer } = await import('../../support/tmdb-sandbox/server.ts');
		const { startApp } = await import('../../helpers/app-process.ts');
		const { createTestDatabase, databaseEnv } = await import('../../helpers/database.ts');
		const database = await createTestDatabase({ sharedWithApp: true });
		const sandbox = await startSandboxServer({ port: 0, credentials: ['the-right-key'] });
		const app = await startApp({
			...databaseEnv(database),
			TMDB_API_KEY: 'a-wrong-key',
			TMDB_API_URL: sandbox.url,
			TMDB_WEB_URL: sandbox.url
		});
		try {
			let logged = false;
			for (let attempt = 0; attempt < 50 && !logged; attempt++) {
				logged = app.output.some((line) => line.includes('tmdb_credential_rejected'));
				if (!logged) await new Promise((resolve) => setTimeout(resolve, 100));
			}
			expect(logged).toBe(true);
			expect(app.output.join('\n')).not.toContain('a-wrong-key');
			expect((await fetch(`${app.url}/`)).status).toBe(200);
		} finally {
			await app.stop();
			await sandbox.stop();
			await database.drop();
		}
	}, 60_000);
});

describe('R7.1 a port another process uses', () => {
	test('exits 1 naming the address, without a stack trace', async () => {
		const database = await createTestDatabase({ sharedWithApp: true });
		const taken = createServer();
		await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
		const { port } = taken.address() as AddressInfo;
		// Not spawnSync: the embedded database runs in this process and must answer meanwhile.
		const server = spawn(process.execPath, ['build'], {
			env: {
				PATH: process.env.PATH,
				...GOOD,
				...databaseEnv(database),
				TMDB_SANDBOX: 'true',
				HOST: '127.0.0.1',
				PORT: String(port)
			}
		});
		let output = '';
		server.stdout.on('data', (chunk) => (output += chunk));
		server.stderr.on('data', (chunk) => (output += chunk));
		try {
			const status = await new Promise((resolve) => server.once('close', resolve));
			expect(status).toBe(1);
			expect(output).toContain(
				`Marquee cannot start: cannot listen on 127.0.0.1:${port} (EADDRINUSE: another process uses that port; set PORT or HOST)`
			);
			expect(output).not.toMatch(/\n\s+at /);
		} finally {
			server.kill('SIGKILL');
			taken.close();
			await database.drop();
		}
	}, 60_000);
});

describe('R7.1 a built server started without NODE_ENV=production', () => {
	test('starts, and says that it sends no HSTS', async () => {
		const database = await createTestDatabase({ sharedWithApp: true });
		const app = await startApp({ ...databaseEnv(database), TMDB_SANDBOX: 'true', NODE_ENV: '' });
		try {
			expect(app.output.join('\n')).toContain('NODE_ENV is not production');
			expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
		} finally {
			await app.stop();
			await database.drop();
		}
	}, 60_000);
});

describe('start-up waits for the database', () => {
	test('an unreachable database: retries with backoff, logging each try, then exits 1 naming the host, never the password', async () => {
		const port = await freePort();
		const { status, output } = startBuiltServer({
			...GOOD,
			DATABASE_URL: `postgres://marquee:s3cret-w0rd@127.0.0.1:${port}/marquee`,
			DATABASE_START_TIMEOUT_SECONDS: '2'
		});
		expect(status).toBe(1);
		expect(output).toContain(`Marquee cannot start: the database at 127.0.0.1:${port}`);
		expect(output).toContain('did not answer within 2 s');
		const tries = output
			.split('\n')
			.filter((line) => line.includes('database_unreachable_at_start'));
		expect(tries.length).toBeGreaterThanOrEqual(2);
		expect(tries[0]).toContain(`"host":"127.0.0.1:${port}"`);
		expect(output).not.toContain('s3cret-w0rd');
		expect(output).not.toMatch(/\n\s+at /);
	});

	test('a database that comes up while the server waits: the server starts and is ready', async () => {
		const database = await createTestDatabase({ sharedWithApp: true });
		const proxy = await startStallProxy(database.url);
		proxy.refuse();
		const starting = startApp({
			...databaseEnv(database),
			DATABASE_URL: proxy.url,
			TMDB_SANDBOX: 'true'
		});
		try {
			while (proxy.refused < 2) await new Promise((resolve) => setTimeout(resolve, 50));
			proxy.resume();
			const app = await starting;
			try {
				expect(app.output.some((line) => line.includes('database_unreachable_at_start'))).toBe(
					true
				);
				expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
			} finally {
				await app.stop();
			}
		} finally {
			await starting.catch(() => undefined);
			await proxy.close();
			await database.drop();
		}
	}, 60_000);
});
