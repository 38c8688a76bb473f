/**
 * Ends expired sessions in the background through the one door (session-ends.ts), then the TMDB
 * sessions queued to be ended, which TMDB never expires by itself: those of expired sessions and
 * every other one TMDB has not confirmed yet.
 * Every instance schedules it; one cleanup deletes at a time. Each batch is a transaction that
 * first takes a transaction-scoped advisory lock: a transaction-mode pooler keeps a transaction
 * on one server connection, and the lock ends with it, so none can stay held on a pooled
 * connection (a session-level lock could: its unlock may reach another server connection). A
 * round that finds the lock taken stops deleting and leaves that work to the instance holding it.
 */
import type { Sql } from '../db/client.ts';
import { deleteRateLimitsBefore } from '../db/auth.ts';
import { runWithLogger, type Logger } from '../log.ts';
import type { AppContext } from '../context.ts';
import { traceEndSessionQueueRound } from '../observability.ts';
import { RATE_LIMIT_WINDOW_MS } from './rate-limit.ts';

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

export type CleanupResult = {
	/** false when another instance was deleting, so this round did nothing. */
	ran: boolean;
	deleted: number;
	/** true when another instance took over between two batches of this round. */
	yielded: boolean;
};

type CleanupServices = Pick<AppContext, 'sql' | 'sessions'>;

/** Ends one batch under the cleanup lock; null when another instance holds it. */
async function endBatchUnderLock(services: CleanupServices, now: Date, batchSize: number) {
	return services.sql.begin(async (tx) => {
		// A transaction runs queries like the pool; postgres.js only types it without pool methods.
		const sql = tx as unknown as Sql;
		const [lock] = await sql<{ locked: boolean }[]>`
			SELECT pg_try_advisory_xact_lock(${CLEANUP_LOCK_KEY}) AS locked`;
		if (!lock?.locked) return null;
		const which = { expiredBy: now, limit: batchSize };
		const deleted = await services.sessions.endSessions(which, 'expired', { within: sql, now });
		// Rate-limit windows that have passed are dead weight too.
		if (deleted < batchSize)
			await deleteRateLimitsBefore(sql, new Date(now.getTime() - RATE_LIMIT_WINDOW_MS));
		return deleted;
	});
}

/**
 * Deletes every session expired by `now`, in batches, and queues their TMDB sessions to be
 * ended (the benchmark times this part alone).
 */
export async function deleteExpiredSessions(
	services: CleanupServices,
	now: Date = new Date(),
	batchSize = BATCH_SIZE
): Promise<CleanupResult> {
	let deleted = 0;
	for (let batch = 0; ; batch++) {
		const count = await endBatchUnderLock(services, now, batchSize);
		if (count === null) return { ran: batch > 0, deleted, yielded: batch > 0 };
		deleted += count;
		if (count < batchSize) return { ran: true, deleted, yielded: false };
		await new Promise((resolve) => setTimeout(resolve, PAUSE_BETWEEN_BATCHES_MS));
	}
}

export type CleanupRound = CleanupResult & {
	tmdbSessionsEnded: number;
	/** Queued TMDB sessions still to be ended after this round (TMDB failed, or not due yet). */
	tmdbSessionsWaiting: number;
};

/**
 * One round of the job: the expired sessions go, then the queued TMDB sessions that are due are
 * ended (`endQueuedTmdbSessions`). Every instance ends queued TMDB sessions, each claiming its
 * own. `signal` (the server stopping) ends the TMDB calls at once; the database work is short
 * and finishes.
 */
export async function cleanUpExpiredSessions(
	services: CleanupServices,
	options: { now?: Date; signal?: AbortSignal } = {}
): Promise<CleanupRound> {
	const result = await deleteExpiredSessions(services, options.now);
	const { ended, waiting } = await traceEndSessionQueueRound(() =>
		services.sessions.endQueuedTmdbSessions(options)
	);
	return { ...result, tmdbSessionsEnded: ended, tmdbSessionsWaiting: waiting };
}

/** Runs a cleanup round every `cleanupMinutes` until the returned stop function is called. */
export function startSessionCleanup(services: AppContext, log: Logger): () => Promise<void> {
	let running: Promise<void> | undefined;
	const stopping = new AbortController();
	// The first round after a start: the limits may have been lowered since the last.
	let capExpiries = true;
	const runOnce = async () => {
		const started = performance.now();
		try {
			if (capExpiries) {
				const count = await services.sessions.capStoredExpiries();
				capExpiries = false;
				if (count > 0) log.info({ event: 'session_expiries_capped', count }, 'expiries capped');
			}
			const { ran, deleted, yielded, tmdbSessionsEnded, tmdbSessionsWaiting } = await runWithLogger(
				log,
				() => cleanUpExpiredSessions(services, { signal: stopping.signal })
			);
			if (ran) {
				log.info(
					{
						event: 'session_cleanup',
						deleted,
						yielded,
						tmdbSessionsEnded,
						tmdbSessionsWaiting,
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
		Math.min(services.config.session.cleanupMinutes * 60_000, MAX_TIMER_MS)
	);
	timer.unref();
	return async () => {
		clearInterval(timer);
		stopping.abort();
		await running;
	};
}
