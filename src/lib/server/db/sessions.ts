/**
 * Session queries that Lucia does not cover. Times come from the caller (never SQL `now()`),
 * so tests can move a controllable clock and several instances agree on one notion of time.
 */
import type { Sql } from './client.ts';

export type SessionListing = {
	id: string;
	createdAt: Date;
	lastSeenAt: Date;
	expiresAt: Date;
	userAgent: string | null;
};

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

/** Deletes one session only if it belongs to `userId` (R6.4); returns whether it did. */
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

/** Deletes up to `limit` expired sessions; returns how many it deleted. */
export async function deleteExpiredSessionBatch(
	sql: Sql,
	now: Date,
	limit: number
): Promise<number> {
	const result = await sql`
		DELETE FROM auth_sessions WHERE id IN (
			SELECT id FROM auth_sessions WHERE expires_at <= ${now}
			-- Ordered, so the batch comes from the expires_at index, not a scan past live rows.
			ORDER BY expires_at LIMIT ${limit}
			FOR UPDATE SKIP LOCKED
		)`;
	return result.count;
}
