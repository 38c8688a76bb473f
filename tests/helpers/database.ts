/**
 * Fresh databases for integration tests: a new database on the PostgreSQL server named by
 * TEST_DATABASE_URL, or else a new in-memory embedded PostgreSQL. Either way no run sees another
 * run's rows, and nothing here mocks the database.
 *
 * With TEST_DATABASE_POOLER=transaction (CI's second pass) every server database is reached
 * through its own PgBouncer in transaction mode, as the app would be on a managed host.
 */
import { randomBytes } from 'node:crypto';
import { createSessionManager } from '../../src/lib/server/auth/sessions.ts';
import { connect, type ConnectOptions, type Sql } from '../../src/lib/server/db/client.ts';
import { startEmbeddedPostgres } from '../../src/lib/server/db/embedded.ts';
import { migrate } from '../../src/lib/server/db/migrate.ts';
import { log } from '../../src/lib/server/log.ts';
import { createTmdbClient } from '../../src/lib/server/tmdb/client.ts';
import { startPgBouncer, type PgBouncer } from './pgbouncer.ts';

export type TestDatabase = {
	/** What the app's DATABASE_URL would be: PgBouncer's address when pooled. */
	url: string;
	/** The same database on the PostgreSQL server, bypassing any pooler. */
	directUrl: string;
	embedded: boolean;
	/** What the app's DATABASE_POOLER would be. */
	pooler: 'transaction' | undefined;
	pgbouncer?: PgBouncer;
	/** A pool for the test's own queries (1 connection when embedded). */
	sql: Sql;
	/** Another pool, like another app instance's. */
	connect(options?: ConnectOptions): Sql;
	drop: () => Promise<void>;
	/** Set to observe every query `sql` sends. */
	onQuery?: (query: string) => void;
};

/** The database settings of an app process that uses `database`. */
export function databaseEnv(database: TestDatabase, poolSize = 5): Record<string, string> {
	return {
		DATABASE_URL: database.url,
		// The embedded PostgreSQL serves one connection at a time.
		DATABASE_POOL_SIZE: database.embedded ? '1' : String(poolSize),
		...(database.pooler ? { DATABASE_POOLER: database.pooler } : {})
	};
}

/** The pooler CI's second pass puts in front of every test database. */
export const testPooler =
	process.env.TEST_DATABASE_POOLER === 'transaction' ? ('transaction' as const) : undefined;

export async function createTestDatabase(
	options: {
		migrated?: boolean;
		sharedWithApp?: boolean;
		/** Through a PgBouncer of its own: by default only in the pooler pass. */
		pooled?: boolean;
		/** That PgBouncer requires TLS from its clients, as managed hosts do. */
		tls?: boolean;
	} = {}
): Promise<TestDatabase> {
	const serverUrl = process.env.TEST_DATABASE_URL;
	let database: TestDatabase;
	if (serverUrl) {
		const name = `marquee_test_${randomBytes(6).toString('hex')}`;
		// CREATE and DROP DATABASE wait for a checkpoint, which several test runs side by side can make
		// slow: the admin connection has no statement bound.
		const admin = connect(serverUrl, { max: 1, queryTimeoutMs: 0 });
		await admin.unsafe(`CREATE DATABASE ${name}`);
		const direct = new URL(serverUrl);
		direct.pathname = `/${name}`;
		const pgbouncer =
			(options.pooled ?? testPooler === 'transaction')
				? await startPgBouncer(serverUrl, { clientTls: options.tls })
				: undefined;
		const pooler = pgbouncer ? ('transaction' as const) : undefined;
		const url = pgbouncer?.urlFor(name) ?? direct.toString();
		const sql = connect(url, {
			max: 4,
			pooler,
			onQuery: (query) => database.onQuery?.(query)
		});
		database = {
			url,
			directUrl: direct.toString(),
			embedded: false,
			pooler,
			pgbouncer,
			sql,
			connect: (more) => connect(url, { pooler, ...more }),
			drop: async () => {
				await sql.end({ timeout: 5 });
				await pgbouncer?.stop();
				await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
				await admin.end({ timeout: 5 });
			}
		};
	} else {
		// A test that runs the app in another process reads rows between requests, on a second
		// connection to the embedded PostgreSQL.
		const embedded = await startEmbeddedPostgres({ maxConnections: options.sharedWithApp ? 2 : 1 });
		const sql = connect(embedded.url, { max: 1, onQuery: (query) => database.onQuery?.(query) });
		database = {
			url: embedded.url,
			directUrl: embedded.url,
			embedded: true,
			pooler: undefined,
			sql,
			connect: (more) => connect(embedded.url, more),
			drop: async () => {
				await sql.end({ timeout: 5 });
				await embedded.stop();
			}
		};
	}
	if (options.migrated ?? true) await migrate(database.sql);
	return database;
}

/**
 * What the cleanup job needs on `sql`, as another instance would have it. Its TMDB client is
 * never called: the cleanup's expired sessions only queue their TMDB sessions.
 */
export function cleanupServicesOn(sql: Sql) {
	const tmdb = createTmdbClient({
		apiUrl: 'http://127.0.0.1:9',
		credential: { kind: 'api_key', apiKey: 'unused' },
		timeoutMs: 1_000,
		retryBudgetMs: 1_000,
		log
	});
	const options = {
		encryptionKeys: [randomBytes(32)],
		idleDays: 30,
		maxDays: 90,
		tmdbCheckMinutes: 60,
		cleanupMinutes: 5
	};
	return { sql, sessions: createSessionManager(sql, options, tmdb, () => log) };
}
