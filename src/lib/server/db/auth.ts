/**
 * The SQL of sign-in and sessions: users, sessions (the Lucia adapter's queries too), the TMDB
 * sessions still to be ended at TMDB, and the sign-in rate limit. Rows come back camelCase.
 * Times come from the caller (never SQL `now()`), so tests can move a controllable clock and
 * several instances agree on one notion of time.
 */
import { randomUUID } from 'node:crypto';
import type { TmdbAccount } from '../tmdb/schemas.ts';
import type postgres from 'postgres';
import { traceSessionLookup } from '../observability.ts';
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
/** A row found, and how many requests shared the statement that found it (for the trace). */
type Found = { row: Row | undefined; sharedBy: number };
type Lookup = PromiseWithResolvers<Found> & { askedBy: number };
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
function lookUpSession(sql: Sql, sessionId: string): Promise<Found> {
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
	if (!lookup) waiting.set(sessionId, (lookup = { ...Promise.withResolvers<Found>(), askedBy: 0 }));
	lookup.askedBy++;
	return lookup.promise;
}

function runLookups(sql: Sql, batch: Map<string, Lookup>): void {
	const ids = [...batch.keys()];
	for (let start = 0; start < ids.length; start += MAX_LOOKUPS_PER_STATEMENT) {
		const chunk = ids.slice(start, start + MAX_LOOKUPS_PER_STATEMENT);
		const list = chunk.map((id) => `'${id}'`).join(',');
		const sharedBy = chunk.reduce((requests, id) => requests + batch.get(id)!.askedBy, 0);
		sql
			.unsafe(
				`SELECT s.* FROM unnest(ARRAY[${list}]::text[]) AS k(id), LATERAL auth_session_and_user(k.id) AS s`,
				[],
				{ prepare: false }
			)
			.then(
				(rows) => {
					const found = new Map(rows.map((row) => [row.id as string, row]));
					for (const id of chunk) batch.get(id)?.resolve({ row: found.get(id), sharedBy });
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
	const { row } = await traceSessionLookup(() => lookUpSession(sql, sessionId));
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

/**
 * Brings every stored expiry within the lifetimes given (after SESSION_MAX_DAYS or
 * SESSION_IDLE_DAYS was lowered, rows keep the later expiry they were made with). One scan of
 * the table; returns how many rows moved.
 */
export async function capSessionExpiries(
	sql: Sql,
	limits: { maxDays: number; idleMs: number }
): Promise<number> {
	const end = sql`least(created_at + make_interval(days => ${limits.maxDays}),
		last_seen_at + interval '1 millisecond' * ${limits.idleMs})`;
	const result = await sql`UPDATE auth_sessions SET expires_at = ${end} WHERE expires_at > ${end}`;
	return result.count;
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

/**
 * Which sessions end: always a set named in full. `keepNewest` keeps the person's most recently
 * used sessions; `expiredBy` takes a bounded batch, oldest expiry first (from the expires_at
 * index, not a scan past live rows), skipping rows another cleanup has locked.
 */
export type SessionSelector =
	| { sessionId: string; userId?: string }
	| { userId: string; exceptSessionId: string }
	| { userId: string; keepNewest: number }
	| { userId: string }
	| { expiredBy: Date; limit: number };

function sessionIdsChosenBy(sql: Sql, selector: SessionSelector) {
	if ('sessionId' in selector) {
		const owner = selector.userId === undefined ? sql`` : sql`AND user_id = ${selector.userId}`;
		return sql`SELECT id FROM auth_sessions WHERE id = ${selector.sessionId} ${owner}`;
	}
	if ('exceptSessionId' in selector) {
		return sql`SELECT id FROM auth_sessions
			WHERE user_id = ${selector.userId} AND id <> ${selector.exceptSessionId}`;
	}
	if ('keepNewest' in selector) {
		return sql`SELECT id FROM auth_sessions WHERE user_id = ${selector.userId}
			ORDER BY last_seen_at DESC, created_at DESC OFFSET ${selector.keepNewest}`;
	}
	if ('expiredBy' in selector) {
		return sql`SELECT id FROM auth_sessions WHERE expires_at <= ${selector.expiredBy}
			ORDER BY expires_at LIMIT ${selector.limit} FOR UPDATE SKIP LOCKED`;
	}
	return sql`SELECT id FROM auth_sessions WHERE user_id = ${selector.userId}`;
}

/** A TMDB session waiting in the queue to be ended at TMDB; `sealed` as stored. */
export type QueuedTmdbSessionEnd = { id: string; sealed: string; attempts: number };

/**
 * The one statement that ends sessions (auth/session-ends.ts is its one caller): it deletes the
 * chosen rows and, in the same statement, queues their TMDB sessions to be ended at TMDB, so no
 * deleted row ever leaves its TMDB session behind. `attempts` and `dueAt` set the queue entries
 * as a claim would (see `claimDueTmdbSessionEnd`).
 */
export async function deleteSessionsAndQueueTmdbEnds(
	sql: Sql,
	selector: SessionSelector,
	queued: { attempts: number; dueAt: Date }
): Promise<QueuedTmdbSessionEnd[]> {
	return sql<QueuedTmdbSessionEnd[]>`
		WITH ended AS (
			DELETE FROM auth_sessions WHERE id IN (${sessionIdsChosenBy(sql, selector)})
			RETURNING tmdb_session_id
		)
		INSERT INTO tmdb_session_ends (tmdb_session_id, attempts, next_attempt_at)
		SELECT tmdb_session_id, ${queued.attempts}, ${queued.dueAt} FROM ended
		RETURNING id::text, tmdb_session_id AS sealed, attempts`;
}

/** Queues a sealed TMDB session id that no session row holds (a sign-in that failed on our side). */
export async function queueTmdbSessionEnd(
	sql: Sql,
	sealed: string,
	queued: { attempts: number; dueAt: Date }
): Promise<QueuedTmdbSessionEnd> {
	const [row] = await sql<QueuedTmdbSessionEnd[]>`
		INSERT INTO tmdb_session_ends (tmdb_session_id, attempts, next_attempt_at)
		VALUES (${sealed}, ${queued.attempts}, ${queued.dueAt})
		RETURNING id::text, tmdb_session_id AS sealed, attempts`;
	return row!;
}

/**
 * Claims the queued TMDB session that has been due longest: counts the attempt and moves its
 * next one `retryDelayMs(attempts)` later, in one statement, so no other round or instance takes
 * it meanwhile and a crash mid-call only delays it. Undefined when none is due.
 */
export async function claimDueTmdbSessionEnd(
	sql: Sql,
	now: Date,
	retryDelayMs: { baseMs: number; maxMs: number }
): Promise<QueuedTmdbSessionEnd | undefined> {
	const [row] = await sql<QueuedTmdbSessionEnd[]>`
		UPDATE tmdb_session_ends SET attempts = attempts + 1,
			next_attempt_at = ${now}::timestamptz + interval '1 millisecond' *
				least(${retryDelayMs.baseMs}::float8 * power(2, attempts), ${retryDelayMs.maxMs})
		WHERE id = (
			SELECT id FROM tmdb_session_ends WHERE next_attempt_at <= ${now}
			ORDER BY next_attempt_at LIMIT 1
			FOR UPDATE SKIP LOCKED
		)
		RETURNING id::text, tmdb_session_id AS sealed, attempts`;
	return row;
}

export async function deleteTmdbSessionEnds(sql: Sql, ids: readonly string[]): Promise<void> {
	if (ids.length === 0) return;
	await sql`DELETE FROM tmdb_session_ends WHERE id = ANY(${ids}::bigint[])`;
}

export async function countTmdbSessionEnds(sql: Sql): Promise<number> {
	const [row] = await sql<
		{ count: number }[]
	>`SELECT count(*)::int AS count FROM tmdb_session_ends`;
	return row?.count ?? 0;
}

/**
 * Inserts or refreshes the user of a TMDB account (at sign-in, and after each periodic check of
 * the TMDB session) and returns our user id.
 */
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

/** Takes back every hit counted under `key`. */
export async function forgetRateLimitHits(sql: Sql, key: string): Promise<void> {
	await sql`DELETE FROM rate_limits WHERE key = ${key}`;
}

export async function deleteRateLimitsBefore(sql: Sql, before: Date): Promise<number> {
	const result = await sql`DELETE FROM rate_limits WHERE window_start < ${before}`;
	return result.count;
}
