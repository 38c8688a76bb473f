/**
 * Deletes expired sessions in the background. Every instance schedules it, but a
 * PostgreSQL advisory lock lets only one run at a time; the others skip that round.
 */
import type { Sql } from '../db/client.ts';
import { deleteExpiredSessionBatch, deleteRateLimitsBefore } from '../db/auth.ts';
import { RATE_LIMIT_WINDOW_MS } from './login.ts';
import type { Logger } from '../log.ts';

/** "marquee cleanup": shared by every instance. */
const CLEANUP_LOCK_KEY = 0x6d617263;
const BATCH_SIZE = 1_000;
/**
 * Cleanup is never urgent: a short rest between batches leaves the database's CPU to requests
 * (docs/performance.md: p99 during a 1M-row cleanup). 1M rows take about 10 s longer.
 */
const PAUSE_BETWEEN_BATCHES_MS = 10;
/** Node's timers hold 32-bit milliseconds; a longer delay fires after 1 ms, so cap it (~24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type CleanupResult = { ran: boolean; deleted: number };

/** One cleanup round: deletes every session expired by `now`, in batches. */
export async function deleteExpiredSessions(
	sql: Sql,
	now: Date = new Date(),
	batchSize = BATCH_SIZE
): Promise<CleanupResult> {
	const connection = await sql.reserve();
	try {
		const [lock] = await connection`SELECT pg_try_advisory_lock(${CLEANUP_LOCK_KEY}) AS locked`;
		if (!lock?.locked) return { ran: false, deleted: 0 };
		try {
			let deleted = 0;
			for (;;) {
				const count = await deleteExpiredSessionBatch(connection, now, batchSize);
				deleted += count;
				if (count < batchSize) {
					// Rate-limit windows that have passed are dead weight too.
					await deleteRateLimitsBefore(connection, new Date(now.getTime() - RATE_LIMIT_WINDOW_MS));
					return { ran: true, deleted };
				}
				await new Promise((resolve) => setTimeout(resolve, PAUSE_BETWEEN_BATCHES_MS));
			}
		} finally {
			await connection`SELECT pg_advisory_unlock(${CLEANUP_LOCK_KEY})`;
		}
	} finally {
		connection.release();
	}
}

/** Runs cleanup every `intervalMinutes` until the returned stop function is called. */
export function startSessionCleanup(
	sql: Sql,
	log: Logger,
	intervalMinutes: number
): () => Promise<void> {
	let running: Promise<void> | undefined;
	const runOnce = async () => {
		const started = performance.now();
		try {
			const result = await deleteExpiredSessions(sql);
			if (result.ran) {
				log.info(
					{
						event: 'session_cleanup',
						deleted: result.deleted,
						durationMs: Math.round(performance.now() - started)
					},
					'expired sessions deleted'
				);
			}
		} catch (error) {
			log.warn({ event: 'session_cleanup_failed', err: error }, 'session cleanup failed');
		}
	};
	const timer = setInterval(
		() => {
			running ??= runOnce().finally(() => (running = undefined));
		},
		Math.min(intervalMinutes * 60_000, MAX_TIMER_MS)
	);
	timer.unref();
	return async () => {
		clearInterval(timer);
		await running;
	};
}
