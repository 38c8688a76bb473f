/**
 * The SQL of sign-in and sessions: users, sessions (the Lucia adapter's queries too), the TMDB
 * sessions still to be ended at TMDB, and the sign-in rate limit. Rows come back camelCase.
 * Times come from the caller (never SQL `now()`), so tests can move a controllable clock and
 * several instances agree on one notion of time.
 */
import { randomUUID } from 'node:crypto';
import type { TmdbAccount } from '../tmdb/client.ts';
import type postgres from 'postgres';
import type { Sql } from './client.ts';

/** A session row as stored, apart from its id, user and expiry (which Lucia manages). */
export type SessionRow = {
	createdAt: Date;
	lastSeenAt: Date;
	tmdbCheckedAt: Date;
	/** Sealed (see auth/sessions.ts), never the plain TMDB session id. */
	tmdbSessionId: string;
	userAgent: string | null;
};

/** A stored user: the TMDB account's profile, keyed by the account's id. */
export type UserRow = Omit<TmdbAccount, 'id'> & { tmdbAccountId: number };

export type SessionListing = {
	id: string;
	createdAt: Date;
	lastSeenAt: Date;
	expiresAt: Date;
	userAgent: string | null;
};

export async function insertSession(
	sql: Sql,
	session: { id: string; userId: string; expiresAt: Date } & SessionRow
): Promise<void> {
	await sql`
		INSERT INTO auth_sessions (id, user_id, expires_at, created_at, last_seen_at,
			tmdb_checked_at, tmdb_session_id, user_agent)
		VALUES (${session.id}, ${session.userId}, ${session.expiresAt}, ${session.createdAt},
			${session.lastSeenAt}, ${session.tmdbCheckedAt}, ${session.tmdbSessionId},
			${session.userAgent})`;
}

/** Session ids are SHA-256 digests in hex: checked, so one inlined cannot inject anything. */
const SESSION_ID = /^[0-9a-f]{64}$/;

type Row = postgres.Row;
type Lookup = {
	promise: Promise<Row | undefined>;
	resolve: (row: Row | undefined) => void;
	reject: (error: unknown) => void;
};
/** Lookups asked for in this turn of the event loop, by session id, per pool. */
const waitingLookups = new WeakMap<Sql, Map<string, Lookup>>();
/** Keeps a statement short; a busier turn sends several, pipelined on the pool's connections. */
const MAX_LOOKUPS_PER_STATEMENT = 100;

/**
 * Every request that looks up its session in the same turn of the event loop (requests that
 * arrived together) shares one statement: one exchange, one write, one run on the server for all
 * of them, instead of one each, which is most of what a signed-in request costs under load
 * (docs/performance.md). Each request still reads its row as it stands now, so a revoked session
 * is refused at once. Without parameters, the statement goes in one exchange also behind a
 * transaction-mode pooler (a parameterised one takes two there), and no prepared statement piles
 * up per session id. The join is in `auth_session_and_user` (migrations/0003), which keeps its
 * plan per server connection.
 */
function lookUpSession(sql: Sql, sessionId: string): Promise<Row | undefined> {
	let waiting = waitingLookups.get(sql);
	if (!waiting) {
		const batch = new Map<string, Lookup>();
		waitingLookups.set(sql, batch);
		// After the poll phase, when every request read in this turn has asked.
		setImmediate(() => {
			waitingLookups.delete(sql);
			runLookups(sql, batch);
		});
		waiting = batch;
	}
	let lookup = waiting.get(sessionId);
	if (!lookup) {
		const created = {} as Lookup;
		created.promise = new Promise((resolve, reject) => Object.assign(created, { resolve, reject }));
		waiting.set(sessionId, (lookup = created));
	}
	return lookup.promise;
}

function runLookups(sql: Sql, batch: Map<string, Lookup>): void {
	const ids = [...batch.keys()];
	for (let start = 0; start < ids.length; start += MAX_LOOKUPS_PER_STATEMENT) {
		const chunk = ids.slice(start, start + MAX_LOOKUPS_PER_STATEMENT);
		const list = chunk.map((id) => `'${id}'`).join(',');
		sql
			.unsafe(
				`SELECT s.* FROM unnest(ARRAY[${list}]::text[]) AS k(id), LATERAL auth_session_and_user(k.id) AS s`,
				[],
				{ prepare: false }
			)
			.then(
				(rows) => {
					const found = new Map(rows.map((row) => [row.id as string, row]));
					for (const id of chunk) batch.get(id)?.resolve(found.get(id));
				},
				(error: unknown) => {
					for (const id of chunk) batch.get(id)?.reject(error);
				}
			);
	}
}

/** A session and its user (see `lookUpSession`), or null when there is no such session. */
export async function selectSessionAndUser(
	sql: Sql,
	sessionId: string
): Promise<{
	session: { id: string; userId: string; expiresAt: Date } & SessionRow;
	user: { id: string } & UserRow;
} | null> {
	if (!SESSION_ID.test(sessionId)) return null;
	const row = await lookUpSession(sql, sessionId);
	if (!row) return null;
	return {
		session: {
			id: row.id,
			userId: row.user_id,
			expiresAt: row.expires_at,
			createdAt: row.created_at,
			lastSeenAt: row.last_seen_at,
			tmdbCheckedAt: row.tmdb_checked_at,
			tmdbSessionId: row.tmdb_session_id,
			userAgent: row.user_agent
		},
		user: {
			id: row.user_id,
			tmdbAccountId: Number(row.tmdb_account_id),
			username: row.username,
			name: row.name,
			avatarPath: row.avatar_path,
			gravatarHash: row.gravatar_hash,
			language: row.language,
			region: row.region,
			includeAdult: row.include_adult
		}
	};
}

/** Slides the expiry, never past the absolute lifetime from `created_at`. */
export async function extendSessionExpiry(
	sql: Sql,
	sessionId: string,
	expiresAt: Date,
	maxDays: number
): Promise<void> {
	await sql`
		UPDATE auth_sessions
		SET expires_at = LEAST(${expiresAt}::timestamptz, created_at + make_interval(days => ${maxDays}))
		WHERE id = ${sessionId}`;
}

export async function touchSessionLastSeen(sql: Sql, sessionId: string, now: Date): Promise<void> {
	await sql`UPDATE auth_sessions SET last_seen_at = ${now} WHERE id = ${sessionId}`;
}

export async function listActiveUserSessions(
	sql: Sql,
	userId: string,
	now: Date
): Promise<SessionListing[]> {
	return sql<SessionListing[]>`
		SELECT id, created_at AS "createdAt", last_seen_at AS "lastSeenAt",
			expires_at AS "expiresAt", user_agent AS "userAgent"
		FROM auth_sessions
		WHERE user_id = ${userId} AND expires_at > ${now}
		ORDER BY last_seen_at DESC`;
}

/** Deletes one session only if it belongs to `userId`; returns its sealed TMDB id if it did. */
export async function deleteUserSession(
	sql: Sql,
	userId: string,
	sessionId: string
): Promise<{ tmdbSessionId: string } | null> {
	const [row] = await sql<{ tmdbSessionId: string }[]>`
		DELETE FROM auth_sessions WHERE id = ${sessionId} AND user_id = ${userId}
		RETURNING tmdb_session_id AS "tmdbSessionId"`;
	return row ?? null;
}

/** Deletes every session of `userId` except `keepSessionId`; returns their sealed TMDB ids. */
export async function deleteOtherUserSessions(
	sql: Sql,
	userId: string,
	keepSessionId: string
): Promise<string[]> {
	const rows = await sql<{ tmdbSessionId: string }[]>`
		DELETE FROM auth_sessions WHERE user_id = ${userId} AND id <> ${keepSessionId}
		RETURNING tmdb_session_id AS "tmdbSessionId"`;
	return rows.map((row) => row.tmdbSessionId);
}

/**
 * Keeps the person's `keep` most recently used sessions and deletes the rest; returns the
 * deleted sessions' sealed TMDB ids.
 */
export async function deleteUserSessionsBeyond(
	sql: Sql,
	userId: string,
	keep: number
): Promise<string[]> {
	const rows = await sql<{ tmdbSessionId: string }[]>`
		DELETE FROM auth_sessions WHERE id IN (
			SELECT id FROM auth_sessions WHERE user_id = ${userId}
			ORDER BY last_seen_at DESC, created_at DESC OFFSET ${keep}
		)
		RETURNING tmdb_session_id AS "tmdbSessionId"`;
	return rows.map((row) => row.tmdbSessionId);
}

/**
 * Claims the periodic TMDB check of a session: only the first caller after `dueBefore` gets the
 * row back, so concurrent requests and instances check a session once per period.
 */
export async function claimTmdbCheck(
	sql: Sql,
	sessionId: string,
	dueBefore: Date,
	now: Date
): Promise<boolean> {
	const rows = await sql`
		UPDATE auth_sessions SET tmdb_checked_at = ${now}
		WHERE id = ${sessionId} AND tmdb_checked_at <= ${dueBefore}
		RETURNING id`;
	return rows.length > 0;
}

export async function deleteSessionById(sql: Sql, sessionId: string): Promise<void> {
	await sql`DELETE FROM auth_sessions WHERE id = ${sessionId}`;
}

/**
 * Deletes up to `limit` expired sessions and, in the same statement, queues their TMDB sessions
 * to be ended (due at `now`), so none is lost between the two. Returns how many it deleted.
 */
export async function deleteExpiredSessionBatch(
	sql: Sql,
	now: Date,
	limit: number
): Promise<number> {
	const result = await sql`
		WITH ended AS (
			DELETE FROM auth_sessions WHERE id IN (
				SELECT id FROM auth_sessions WHERE expires_at <= ${now}
				-- Ordered, so the batch comes from the expires_at index, not a scan past live rows.
				ORDER BY expires_at LIMIT ${limit}
				FOR UPDATE SKIP LOCKED
			)
			RETURNING tmdb_session_id
		)
		INSERT INTO tmdb_session_ends (tmdb_session_id, next_attempt_at)
		SELECT tmdb_session_id, ${now} FROM ended`;
	return result.count;
}

/** Queues sealed TMDB session ids to be ended at TMDB from `dueAt` on. */
export async function queueTmdbSessionEnds(
	sql: Sql,
	sealedTmdbSessionIds: readonly string[],
	dueAt: Date
): Promise<void> {
	if (sealedTmdbSessionIds.length === 0) return;
	const rows = sealedTmdbSessionIds.map((id) => ({ tmdb_session_id: id, next_attempt_at: dueAt }));
	await sql`INSERT INTO tmdb_session_ends ${sql(rows)}`;
}

export type TmdbSessionEnd = { id: string; tmdbSessionId: string; attempts: number };

/**
 * Claims the queued TMDB session that has been due longest: counts the attempt and moves its
 * next one `retryDelayMs(attempts)` later, in one statement, so no other round or instance takes
 * it meanwhile and a crash mid-call only delays it. Undefined when none is due.
 */
export async function claimDueTmdbSessionEnd(
	sql: Sql,
	now: Date,
	retryDelayMs: { baseMs: number; maxMs: number }
): Promise<TmdbSessionEnd | undefined> {
	const [row] = await sql<TmdbSessionEnd[]>`
		UPDATE tmdb_session_ends SET attempts = attempts + 1,
			next_attempt_at = ${now}::timestamptz + interval '1 millisecond' *
				least(${retryDelayMs.baseMs}::float8 * power(2, attempts), ${retryDelayMs.maxMs})
		WHERE id = (
			SELECT id FROM tmdb_session_ends WHERE next_attempt_at <= ${now}
			ORDER BY next_attempt_at LIMIT 1
			FOR UPDATE SKIP LOCKED
		)
		RETURNING id::text, tmdb_session_id AS "tmdbSessionId", attempts`;
	return row;
}

export async function deleteTmdbSessionEnd(sql: Sql, id: string): Promise<void> {
	await sql`DELETE FROM tmdb_session_ends WHERE id = ${id}`;
}

export async function countTmdbSessionEnds(sql: Sql): Promise<number> {
	const [row] = await sql<
		{ count: number }[]
	>`SELECT count(*)::int AS count FROM tmdb_session_ends`;
	return row?.count ?? 0;
}

/** Inserts or refreshes the user of a TMDB account and returns our user id. */
export async function upsertTmdbUser(sql: Sql, account: TmdbAccount, now: Date): Promise<string> {
	const [row] = await sql<{ id: string }[]>`
		INSERT INTO users (id, tmdb_account_id, username, name, avatar_path, gravatar_hash, language,
			region, include_adult, created_at, updated_at)
		VALUES (${randomUUID()}, ${account.id}, ${account.username}, ${account.name},
			${account.avatarPath}, ${account.gravatarHash}, ${account.language}, ${account.region},
			${account.includeAdult}, ${now}, ${now})
		ON CONFLICT (tmdb_account_id) DO UPDATE SET
			username = EXCLUDED.username, name = EXCLUDED.name, avatar_path = EXCLUDED.avatar_path,
			gravatar_hash = EXCLUDED.gravatar_hash, language = EXCLUDED.language,
			region = EXCLUDED.region, include_adult = EXCLUDED.include_adult, updated_at = EXCLUDED.updated_at
		RETURNING id`;
	return row!.id;
}

/** Keeps the stored profile in step with TMDB after a periodic check. */
export async function refreshTmdbProfile(
	sql: Sql,
	userId: string,
	account: TmdbAccount,
	now: Date
): Promise<void> {
	await sql`
		UPDATE users SET username = ${account.username}, name = ${account.name},
			avatar_path = ${account.avatarPath}, gravatar_hash = ${account.gravatarHash},
			language = ${account.language}, region = ${account.region},
			include_adult = ${account.includeAdult}, updated_at = ${now}
		WHERE id = ${userId} AND tmdb_account_id = ${account.id}`;
}

/** Counts one hit in the current window in one statement; returns the hits so far. */
export async function countRateLimitHit(sql: Sql, key: string, windowStart: Date): Promise<number> {
	const [row] = await sql<{ hits: number }[]>`
		INSERT INTO rate_limits (key, window_start, hits) VALUES (${key}, ${windowStart}, 1)
		ON CONFLICT (key) DO UPDATE SET
			hits = CASE WHEN rate_limits.window_start = EXCLUDED.window_start
				THEN rate_limits.hits + 1 ELSE 1 END,
			window_start = EXCLUDED.window_start
		RETURNING hits`;
	return row!.hits;
}

export async function deleteRateLimitsBefore(sql: Sql, before: Date): Promise<number> {
	const result = await sql`DELETE FROM rate_limits WHERE window_start < ${before}`;
	return result.count;
}
