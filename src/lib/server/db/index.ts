/**
 * The process's one database pool. `openDatabase` runs once from the server's `init` hook:
 * it connects (or starts the embedded PostgreSQL in development), applies migrations, and keeps
 * the pool for `db()`. State lives on globalThis so Vite's module reloads in development reuse it.
 */
import path from 'node:path';
import { DATA_DIR, type Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { connect, type Sql } from './client.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.ts';
import { migrate } from './migrate.ts';

export type { Sql };

type DatabaseState = { sql: Sql; embedded?: EmbeddedPostgres };

const holder = globalThis as typeof globalThis & {
	__marqueeDatabase?: { opening: Promise<DatabaseState>; ready?: DatabaseState };
};

async function open(config: Config, log: Logger): Promise<DatabaseState> {
	let embedded: EmbeddedPostgres | undefined;
	let url = config.databaseUrl;
	if (!url) {
		const dataDir = path.join(DATA_DIR, 'pglite');
		embedded = await startEmbeddedPostgres({ dataDir });
		url = embedded.url;
		log.info({ dataDir }, 'started the embedded PostgreSQL (DATABASE_URL is not set)');
	}
	const sql = connect(url, { max: embedded ? 1 : config.databasePoolSize, log });
	const applied = await migrate(sql);
	log.info({ applied }, applied.length ? 'applied migrations' : 'database schema is up to date');
	return { sql, embedded };
}

/** Connects and migrates once per process; later calls share the first. */
export async function openDatabase(config: Config, log: Logger): Promise<Sql> {
	const entry = (holder.__marqueeDatabase ??= { opening: open(config, log) });
	try {
		entry.ready = await entry.opening;
		return entry.ready.sql;
	} catch (error) {
		holder.__marqueeDatabase = undefined;
		throw error;
	}
}

/** The pool, for code that runs after `init` (every request). */
export function db(): Sql {
	const ready = holder.__marqueeDatabase?.ready;
	if (!ready) throw new Error('The database is used before the server initialised');
	return ready.sql;
}

export async function closeDatabase(): Promise<void> {
	const entry = holder.__marqueeDatabase;
	holder.__marqueeDatabase = undefined;
	const state = await entry?.opening.catch(() => undefined);
	if (!state) return;
	await state.sql.end({ timeout: 5 });
	await state.embedded?.stop();
}
