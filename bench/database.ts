/**
 * The benchmark's own database on the PostgreSQL server named by BENCH_DATABASE_URL: created
 * fresh, migrated, seeded in bulk (one statement per batch of rows), and dropped at the end.
 *
 * Seeded cookies are derived from a kind letter and a row number, so SQL and the load generator
 * agree without shipping a million tokens around: token = letter + the number padded to 42 digits
 * (43 characters, a well-formed token), id = SHA-256 hex of the token, as the app stores it.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Sql } from '../src/lib/server/db/client.ts';
import { migrate } from '../src/lib/server/db/migrate.ts';

export const USER_COUNT = 1_000;

/** `v`: valid, `s`: valid but due to slide, `x`: expired. */
export type SessionKind = 'v' | 's' | 'x';

export function seededToken(kind: SessionKind, n: number): string {
	return `${kind}${String(n).padStart(42, '0')}`;
}

export type BenchDatabase = {
	name: string;
	url: string;
	/** The benchmark's own pool (never the server's). */
	sql: Sql;
	drop(): Promise<void>;
};

export async function createBenchDatabase(serverUrl: string): Promise<BenchDatabase> {
	const name = `marquee_bench_${randomBytes(4).toString('hex')}`;
	const admin = connect(serverUrl, { max: 1 });
	await admin.unsafe(`CREATE DATABASE ${name}`);
	const url = new URL(serverUrl);
	url.pathname = `/${name}`;
	// Bulk seeding and VACUUM run longer than the app's statement timeout.
	const sql = connect(url.toString(), { max: 2, queryTimeoutMs: 0 });
	let dropped = false;
	const drop = async () => {
		if (dropped) return;
		dropped = true;
		await sql.end({ timeout: 5 });
		await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
		await admin.end({ timeout: 5 });
	};
	try {
		await migrate(sql);
	} catch (error) {
		await drop();
		throw error;
	}
	return { name, url: url.toString(), sql, drop };
}

export async function seedUsers(sql: Sql, count = USER_COUNT): Promise<void> {
	await sql`
		INSERT INTO users (id, tmdb_account_id, username, name)
		SELECT 'bench-user-' || n, n, 'bench' || n, 'Bench User ' || n
		FROM generate_series(1, ${count}::int) AS n`;
}

export type SessionSeed = {
	kind: SessionKind;
	from: number;
	to: number;
	createdAt: Date;
	expiresAt: Date;
	lastSeenAt: Date;
	/** One sealed TMDB session id shared by every row: validation only needs it to decrypt. */
	sealedTmdbSessionId: string;
};

/** Inserts sessions `from..to` of one kind in a single statement; returns how long it took. */
export async function seedSessions(sql: Sql, seed: SessionSeed): Promise<number> {
	const started = performance.now();
	await sql`
		INSERT INTO auth_sessions
			(id, user_id, expires_at, created_at, last_seen_at, tmdb_checked_at, tmdb_session_id, user_agent)
		SELECT encode(sha256(convert_to(${seed.kind} || lpad(n::text, 42, '0'), 'UTF8')), 'hex'),
			'bench-user-' || (1 + n % ${USER_COUNT}::int), ${seed.expiresAt}, ${seed.createdAt},
			${seed.lastSeenAt}, ${seed.createdAt}, ${seed.sealedTmdbSessionId}, 'autocannon'
		FROM generate_series(${seed.from}::int, ${seed.to}::int) AS n`;
	return performance.now() - started;
}

export async function countSessions(sql: Sql): Promise<number> {
	const [row] = await sql<{ count: string }[]>`SELECT count(*) AS count FROM auth_sessions`;
	return Number(row?.count ?? 0);
}

export async function postgresVersion(sql: Sql): Promise<string> {
	const [row] = await sql<{ version: string }[]>`SELECT version() AS version`;
	return row?.version ?? 'unknown';
}

/** After a bulk load: fresh planner statistics and a visibility map, as autovacuum would leave. */
export async function vacuumAnalyze(sql: Sql): Promise<void> {
	await sql`VACUUM ANALYZE auth_sessions`;
}
