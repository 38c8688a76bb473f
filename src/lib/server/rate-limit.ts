/**
 * Rate limiting of sign-in starts and callbacks per client address, in PostgreSQL so the limit
 * holds across instances (R7.3). A fixed one-minute window keeps it to one statement a hit.
 * Addresses are stored hashed: the limiter needs to tell them apart, not to know them.
 */
import { createHash } from 'node:crypto';
import type { Sql } from './db/client.ts';
import { countRateLimitHit } from './db/rate-limits.ts';

export const RATE_LIMIT_WINDOW_MS = 60_000;

export type RateLimitBucket = 'sign_in' | 'callback';

export type RateLimitVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export async function hitRateLimit(
	sql: Sql,
	bucket: RateLimitBucket,
	clientAddress: string,
	limitPerWindow: number,
	now: Date = new Date()
): Promise<RateLimitVerdict> {
	const windowStart = new Date(
		Math.floor(now.getTime() / RATE_LIMIT_WINDOW_MS) * RATE_LIMIT_WINDOW_MS
	);
	const addressHash = createHash('sha256').update(clientAddress).digest('base64url').slice(0, 22);
	const hits = await countRateLimitHit(sql, `${bucket}:${addressHash}`, windowStart);
	if (hits <= limitPerWindow) return { allowed: true };
	const windowEnd = windowStart.getTime() + RATE_LIMIT_WINDOW_MS;
	return {
		allowed: false,
		retryAfterSeconds: Math.max(1, Math.ceil((windowEnd - now.getTime()) / 1000))
	};
}
