/**
 * Fresh databases for integration tests: a new database on the PostgreSQL server named by
 * TEST_DATABASE_URL, or else a new in-memory embedded PostgreSQL. Either way no run sees another
 * run's rows, and nothing here mocks the database.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Sql } from '../../src/lib/server/db/client.ts';
import { startEmbeddedPostgres } from '../../src/lib/server/db/embedded.ts';
import { migrate } from '../../src/lib/server/db/migrate.ts';

export type TestDatabase = {
	url: string;
	embedded: boolean;
	/** A pool for the test's own queries (1 connection when embedded). */
	sql: Sql;
	drop: () => Promise<void>;
	/** Set to observe every query `sql` sends. */
	onQuery?: (query: string) => void;
};

export async function createTestDatabase(
	options: { migrated?: boolean; sharedWithApp?: boolean } = {}
): Promise<TestDatabase> {
	const serverUrl = process.env.TEST_DATABASE_URL;
	let database: TestDatabase;
	if (serverUrl) {
		const name = `marquee_test_${randomBytes(6).toString('hex')}`;
		const admin = connect(serverUrl, { max: 1 });
		await admin.unsafe(`CREATE DATABASE ${name}`);
		const url = new URL(serverUrl);
		url.pathname = `/${name}`;
		const sql = connect(url.toString(), { max: 4, onQuery: (query) => database.onQuery?.(query) });
		database = {
			url: url.toString(),
			embedded: false,
			sql,
			drop: async () => {
				await sql.end({ timeout: 5 });
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
			embedded: true,
			sql,
			drop: async () => {
				await sql.end({ timeout: 5 });
				await embedded.stop();
			}
		};
	}
	if (options.migrated ?? true) await migrate(database.sql);
	return database;
}
