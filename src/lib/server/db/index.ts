/**
 * The process's one database pool. `openDatabase` runs once from the server's `init` hook:
 * it connects (or starts the embedded PostgreSQL in development), applies migrations, and hands
 * the pool to the app context. State lives on globalThis so Vite's module reloads in development
 * reuse it.
 */
import path from 'node:path';
import { DATA_DIR, type Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { connect, describeDatabase, type Sql } from './client.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.ts';
import { latestMigrationVersion, migrate } from './migrate.ts';
import { isDatabaseOutage } from './outage.ts';

export type { Sql };

type DatabaseState = { sql: Sql; embedded?: EmbeddedPostgres; schemaVersion: number };

const holder = globalThis as typeof globalThis & {
	__marqueeDatabase?: { opening: Promise<DatabaseState> };
};

/** The database cannot be used at start; the message names the host, never credentials. */
export class DatabaseStartError extends Error {
	constructor(
		readonly host: string,
		message: string
	) {
		super(message);
		this.name = 'DatabaseStartError';
	}
}

function unreachable(host: string, attempts: number, seconds: number, lastError: unknown) {
	const code = (lastError as { code?: unknown })?.code;
	return new DatabaseStartError(
		host,
		`the database at ${host} did not answer within ${seconds} s (${attempts} tries; last error: ${typeof code === 'string' ? code : 'unknown'}). Check DATABASE_URL and that PostgreSQL is running, or raise DATABASE_START_TIMEOUT_SECONDS.`
	);
}

/** A transaction-mode pooler refuses the start-up parameters of a direct connection. */
export function poolerMismatch(error: unknown, host: string): DatabaseStartError | undefined {
	const message = String((error as Error | undefined)?.message);
	if (!/unsupported startup parameter/.test(message)) return undefined;
	return new DatabaseStartError(
		host,
		`${host} refused a start-up parameter (${message}): it is a transaction-mode pooler. Set DATABASE_POOLER=transaction.`
	);
}

/** Applies migrations, retrying with backoff while the database is unreachable (it may be starting). */
async function migrateWhenReachable(
	sql: Sql,
	config: Config['database'],
	host: string,
	log: Logger
): Promise<string[]> {
	const giveUpAt = Date.now() + config.startTimeoutSeconds * 1000;
	for (let attempt = 1; ; attempt++) {
		try {
			return await migrate(sql);
		} catch (error) {
			const mismatch = poolerMismatch(error, host);
			if (mismatch) throw mismatch;
			if (!isDatabaseOutage(error)) throw error;
			const delayMs = Math.min(250 * 2 ** (attempt - 1), 5_000);
			if (Date.now() + delayMs >= giveUpAt) {
				throw unreachable(host, attempt, config.startTimeoutSeconds, error);
			}
			log.warn(
				{ event: 'database_unreachable_at_start', host, attempt, retryInMs: delayMs, err: error },
				'the database is not reachable yet; retrying'
			);
			await new Promise((resolve) => setTimeout(resolve, delayMs));
		}
	}
}

async function open(config: Config, log: Logger): Promise<DatabaseState> {
	let embedded: EmbeddedPostgres | undefined;
	let url = config.database.url;
	if (!url) {
		const dataDir = path.join(DATA_DIR, 'pglite');
		embedded = await startEmbeddedPostgres({ dataDir });
		url = embedded.url;
		log.info({ dataDir }, 'started the embedded PostgreSQL (DATABASE_URL is not set)');
	}
	const sql = connect(url, {
		...config.database,
		max: embedded ? 1 : config.database.poolSize,
		log
	});
	const host = describeDatabase(url);
	try {
		const applied = await migrateWhenReachable(sql, config.database, host, log);
		log.info(
			{ applied, host, pooler: config.database.pooler ?? 'none' },
			applied.length ? 'applied migrations' : 'database schema is up to date'
		);
	} catch (error) {
		await sql.end({ timeout: 1 });
		await embedded?.stop();
		throw error;
	}
	return { sql, embedded, schemaVersion: await latestMigrationVersion() };
}

/** Connects and migrates once per process; later calls share the first. */
export async function openDatabase(
	config: Config,
	log: Logger
): Promise<{ sql: Sql; schemaVersion: number }> {
	const entry = (holder.__marqueeDatabase ??= { opening: open(config, log) });
	try {
		return await entry.opening;
	} catch (error) {
		holder.__marqueeDatabase = undefined;
		throw error;
	}
}

export async function closeDatabase(): Promise<void> {
	const entry = holder.__marqueeDatabase;
	holder.__marqueeDatabase = undefined;
	const state = await entry?.opening.catch(() => undefined);
	if (!state) return;
	await state.sql.end({ timeout: 5 });
	await state.embedded?.stop();
}
