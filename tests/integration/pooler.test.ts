import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { deleteExpiredSessions } from '../../src/lib/server/auth/cleanup.ts';
import { connect, type Sql } from '../../src/lib/server/db/client.ts';
import { migrate } from '../../src/lib/server/db/migrate.ts';
import { startSandboxServer, type SandboxServer } from '../support/tmdb-sandbox/server.ts';
import { startApp, TEST_ENCRYPTION_KEY } from '../helpers/app-process.ts';
import { BrowserSession } from '../helpers/browser-session.ts';
import { cleanupServicesOn, createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { hasPgBouncer } from '../helpers/pgbouncer.ts';
import { APP_TMDB_KEY, appEnv } from '../helpers/app-stack.ts';

const CLEANUP_LOCK_KEY = 0x6d617263;

// These start a PgBouncer of their own in every pass; CI installs it and has the server.
describe.skipIf(!process.env.TEST_DATABASE_URL || !hasPgBouncer)(
	'through PgBouncer in transaction mode (needs TEST_DATABASE_URL and the pgbouncer binary)',
	() => {
		let database: TestDatabase;
		let direct: Sql;

		beforeAll(async () => {
			database = await createTestDatabase({ pooled: true, migrated: false });
			direct = connect(database.directUrl, { max: 1 });
		}, 60_000);

		afterAll(async () => {
			await direct?.end({ timeout: 5 });
			await database?.drop();
		});

		test('without DATABASE_POOLER the pool is refused at start: PgBouncer rejects the statement_timeout parameter', async () => {
			const unaware = connect(database.url, { max: 1 });
			try {
				await expect(unaware`SELECT 1`).rejects.toThrow(/statement_timeout/);
			} finally {
				await unaware.end({ timeout: 5 });
			}
		});

		test('the built server pointed at the pooler without DATABASE_POOLER exits 1 saying what to set', () => {
			const result = spawnSync(process.execPath, ['build'], {
				env: {
					PATH: process.env.PATH,
					NODE_ENV: 'production',
					HOST: '127.0.0.1',
					PORT: '0',
					DATABASE_URL: database.url,
					SESSION_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEY,
					TMDB_SANDBOX: 'true'
				},
				encoding: 'utf8',
				timeout: 20_000
			});
			expect(result.status).toBe(1);
			expect(result.stderr).toContain(
				'it is a transaction-mode pooler. Set DATABASE_POOLER=transaction.'
			);
		});

		test('two instances migrating at once through the pooler apply each file exactly once', async () => {
			const other = database.connect({ max: 2 });
			try {
				const [first, second] = await Promise.all([migrate(database.sql), migrate(other)]);
				const [row] = await direct<{ count: number }[]>`
					SELECT count(*)::int AS count FROM schema_migrations`;
				expect(first.length + second.length).toBe(row!.count);
				expect(row!.count).toBeGreaterThan(0);
				expect(await migrate(database.sql)).toEqual([]);
			} finally {
				await other.end({ timeout: 5 });
			}
		});

		test('300 concurrent parameterised queries on a pool of 5 all answer (no named prepared statements)', async () => {
			const pool = database.connect({ max: 5 });
			try {
				const answers = await Promise.all(
					Array.from({ length: 300 }, (_, n) => pool<{ n: number }[]>`SELECT ${n}::int AS n`)
				);
				expect(answers.map(([row]) => row!.n)).toEqual(Array.from({ length: 300 }, (_, n) => n));
			} finally {
				await pool.end({ timeout: 5 });
			}
		});

		test('the statement timeout holds inside pooled transactions', async () => {
			const pool = database.connect({ max: 1, queryTimeoutMs: 300 });
			try {
				const setting = await pool.begin((tx) => tx`SHOW statement_timeout`);
				expect(setting[0]!.statement_timeout).toBe('300ms');
				await expect(pool.begin((tx) => tx`SELECT pg_sleep(5)`)).rejects.toMatchObject({
					code: '57014'
				});
			} finally {
				await pool.end({ timeout: 5 });
			}
		});

		test('R6.6 cleanup, two instances through the pooler: one deletes while the other skips, and no lock outlives its batch', async () => {
			await migrate(database.sql);
			const [user] = await direct<{ id: string }[]>`
				INSERT INTO users (id, tmdb_account_id, username, name)
				VALUES ('pooler-user', 4242, 'pooler', 'Pooler') RETURNING id`;
			await direct`
				INSERT INTO auth_sessions (id, user_id, expires_at, tmdb_session_id)
				SELECT 'expired-' || n, ${user!.id}, now() - interval '1 day', 'v1.x.y.z'
				FROM generate_series(1, 3000) AS n`;
			const first = database.connect({ max: 2 });
			const second = database.connect({ max: 2 });
			try {
				// The second instance is in the middle of a batch: the first skips its round.
				await second.begin(async (tx) => {
					await tx`SELECT pg_advisory_xact_lock(${CLEANUP_LOCK_KEY})`;
					expect(await deleteExpiredSessions(cleanupServicesOn(first), new Date(), 500)).toEqual({
						ran: false,
						deleted: 0,
						yielded: false
					});
				});
				const results = await Promise.all([
					deleteExpiredSessions(cleanupServicesOn(first), new Date(), 500),
					deleteExpiredSessions(cleanupServicesOn(second), new Date(), 500)
				]);
				expect(results.reduce((sum, result) => sum + result.deleted, 0)).toBe(3000);
				expect(results.some((result) => result.ran)).toBe(true);
				// PgBouncer keeps its server connections open: a session-level lock would still be
				// held on one of them now. The transaction-scoped ones ended with their batches.
				// (pg_locks spans the server: other runs' databases hold their own locks.)
				const locks = await direct`
					SELECT 1 FROM pg_locks
					WHERE locktype = 'advisory' AND objid = ${CLEANUP_LOCK_KEY}
						AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
				expect(locks).toHaveLength(0);
				expect(await deleteExpiredSessions(cleanupServicesOn(second))).toMatchObject({
					ran: true,
					deleted: 0
				});
			} finally {
				await first.end({ timeout: 5 });
				await second.end({ timeout: 5 });
			}
		});

		test('R5 a PgBouncer restart in the middle of a run: requests fail cleanly, then work again without restarting the app', async () => {
			const sandbox: SandboxServer = await startSandboxServer({
				port: 0,
				credentials: [APP_TMDB_KEY]
			});
			const app = await startApp(appEnv(database, sandbox));
			try {
				const browser = new BrowserSession(app.url);
				await browser.signIn(sandbox.url, 'pooler-restart');
				expect((await browser.get('/account')).status).toBe(200);

				await database.pgbouncer!.restart();
				let status = 0;
				const seen = new Set<number>();
				for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
					status = (await browser.get('/account')).status;
					seen.add(status);
					if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
				}
				expect(status).toBe(200);
				// Only the outage page may show up on the way: never a 500 or a signed-out redirect.
				expect([...seen].filter((code) => code !== 200 && code !== 503)).toEqual([]);
				expect(await (await browser.get('/account')).text()).toContain('pooler-restart');
				const again = new BrowserSession(app.url);
				await again.signIn(sandbox.url, 'after-restart');
				expect((await again.get('/account')).status).toBe(200);
				const crashes = app.output.filter((line) => /uncaught|unhandled rejection/i.test(line));
				expect(crashes).toEqual([]);
			} finally {
				await app.stop();
				await sandbox.stop();
			}
		}, 90_000);
	}
);
