/**
 * Applies `migrations/NNNN_name.sql` in order, once each, each in its own transaction.
 *
 * A short runner of ours rather than postgres-shift or ley: neither takes a lock, and both want
 * a second connection or their own client, which the one-connection embedded database cannot
 * give. Every migration transaction first takes a transaction-scoped advisory lock, so two app
 * instances starting together apply each file exactly once.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Sql } from './client.ts';

/** Arbitrary constant shared by every instance: "marquee migrations". */
const MIGRATION_LOCK_KEY = 0x6d617271;

export const MIGRATIONS_DIR = path.resolve('migrations');

type MigrationFile = { version: number; name: string; file: string };

async function listMigrations(dir: string): Promise<MigrationFile[]> {
	const entries = await readdir(dir);
	return entries
		.map((file) => /^(\d+)_([\w-]+)\.sql$/.exec(file))
		.filter((match): match is RegExpExecArray => match !== null)
		.map((match) => ({ version: Number(match[1]), name: match[2]!, file: match[0] }))
		.sort((a, b) => a.version - b.version);
}

/** The newest version among the migration files (0 when there are none). */
export async function latestMigrationVersion(dir = MIGRATIONS_DIR): Promise<number> {
	return (await listMigrations(dir)).at(-1)?.version ?? 0;
}

/** The newest migration applied to the database (0 before the first). */
export async function appliedMigrationVersion(sql: Sql): Promise<number> {
	const [row] = await sql<{ version: number }[]>`
		SELECT coalesce(max(version), 0)::int AS version FROM schema_migrations`;
	return row?.version ?? 0;
}

/** Applies pending migrations and returns the files it applied (empty when up to date). */
export async function migrate(sql: Sql, dir = MIGRATIONS_DIR): Promise<string[]> {
	const applied: string[] = [];
	for (const migration of await listMigrations(dir)) {
		const text = await readFile(path.join(dir, migration.file), 'utf8');
		const ran = await sql.begin(async (tx) => {
			await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
			// Looked up, not `IF NOT EXISTS`, which sends a notice for every file once it exists.
			const [table] = await tx<{ exists: boolean }[]>`
				SELECT to_regclass('schema_migrations') IS NOT NULL AS exists`;
			if (!table?.exists) {
				await tx`
					CREATE TABLE schema_migrations (
						version integer PRIMARY KEY,
						name text NOT NULL,
						applied_at timestamptz NOT NULL DEFAULT now()
					)`;
			}
			const [done] = await tx`SELECT 1 FROM schema_migrations WHERE version = ${migration.version}`;
			if (done) return false;
			await tx.unsafe(text);
			await tx`INSERT INTO schema_migrations (version, name) VALUES (${migration.version}, ${migration.name})`;
			return true;
		});
		if (ran) applied.push(migration.file);
	}
	return applied;
}
