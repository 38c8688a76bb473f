import type { Sql } from './client.ts';

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
