import { afterEach, describe, expect, test } from 'vitest';
import { migrate } from '../../src/lib/server/db/migrate.ts';
import { createLogger } from '../../src/lib/server/log.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { readdirSync } from 'node:fs';

const migrationFiles = readdirSync('migrations')
	.filter((file) => file.endsWith('.sql'))
	.sort();

let database: TestDatabase | undefined;
afterEach(async () => {
	await database?.drop();
	database = undefined;
});

describe('migrations', () => {
	test('apply every file once, in order, and are idempotent', async () => {
		database = await createTestDatabase({ migrated: false });
		expect(await migrate(database.sql)).toEqual(migrationFiles);
		expect(await migrate(database.sql)).toEqual([]);
		const recorded = await database.sql`SELECT version FROM schema_migrations ORDER BY version`;
		expect(recorded.map((row) => row.version)).toEqual(
			migrationFiles.map((file) => Number(file.split('_')[0]))
		);
		const tables = await database.sql`
			SELECT table_name FROM information_schema.tables
			WHERE table_schema = 'public' ORDER BY table_name`;
		expect(tables.map((row) => row.table_name)).toEqual(
			expect.arrayContaining(['auth_sessions', 'schema_migrations', 'users'])
		);
	});

	test('a fresh database is migrated, twice, without a single notice from PostgreSQL', async () => {
		database = await createTestDatabase({ migrated: false });
		const lines: string[] = [];
		const log = createLogger('debug', { write: (line) => void lines.push(line) });
		const sql = database.connect({ max: 1, log });
		try {
			expect(await migrate(sql)).toEqual(migrationFiles);
			expect(await migrate(sql)).toEqual([]);
		} finally {
			await sql.end({ timeout: 5 });
		}
		expect(lines.filter((line) => line.includes('postgres notice'))).toEqual([]);
	});

	// The embedded PostgreSQL serves one connection, so two instances can only race on a server.
	test.skipIf(!process.env.TEST_DATABASE_URL)(
		'two concurrent migrators apply each file exactly once (needs TEST_DATABASE_URL: the embedded database serves one connection)',
		async () => {
			database = await createTestDatabase({ migrated: false });
			// Two separate pools stand for two app instances starting at the same moment.
			const other = database.connect({ max: 1 });
			try {
				const [first, second] = await Promise.all([migrate(database.sql), migrate(other)]);
				expect([...first, ...second].sort()).toEqual(migrationFiles);
				const [row] = await database.sql`SELECT count(*)::int AS count FROM schema_migrations`;
				expect(row?.count).toBe(migrationFiles.length);
			} finally {
				await other.end({ timeout: 5 });
			}
		}
	);

	test('a failing migration rolls back and leaves no trace', async () => {
		database = await createTestDatabase({ migrated: false });
		const { mkdtempSync, writeFileSync } = await import('node:fs');
		const dir = mkdtempSync('/tmp/marquee-migrations-');
		writeFileSync(`${dir}/0001_good.sql`, 'CREATE TABLE good (id int);');
		writeFileSync(`${dir}/0002_bad.sql`, 'CREATE TABLE half (id int); SELECT no_such_function();');
		await expect(migrate(database.sql, dir)).rejects.toThrow(/no_such_function/);
		const tables = await database.sql`
			SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`;
		const names = tables.map((row) => row.table_name);
		expect(names).toContain('good');
		expect(names).not.toContain('half');
	});
});
