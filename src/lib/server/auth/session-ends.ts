/**
 * Every way a session ends goes through one door, `endSessions(which, cause)`: sign-out, revoking
 * one or all others, the per-person cap, a new sign-in replacing the browser's session, idle and
 * absolute expiry (Lucia, the cleanup job), a lifetime lowered since, a sealed TMDB id no key
 * opens, and TMDB saying the session is gone. Its one statement deletes the rows and queues their
 * TMDB sessions (which TMDB never expires by itself) in `tmdb_session_ends`, and the cause is
 * logged once. For a person's own action TMDB is then told at once, bounded; whatever it did not
 * confirm, and everything else, the cleanup job ends from the queue (`endQueuedTmdbSessions`).
 */
import pLimit from 'p-limit';
import {
	claimDueTmdbSessionEnd,
	countTmdbSessionEnds,
	deleteSessionsAndQueueTmdbEnds,
	deleteTmdbSessionEnds,
	queueTmdbSessionEnd,
	type QueuedTmdbSessionEnd,
	type SessionSelector
} from '../db/auth.ts';
import type { Sql } from '../db/client.ts';
import type { Logger } from '../log.ts';
import { countSessionsEnded } from '../observability.ts';
import type { TmdbClient } from '../tmdb/client.ts';
import { isTmdbError, type TmdbErrorKind } from '../tmdb/errors.ts';
import { decryptSecret, encryptSecret } from './keys.ts';

/**
 * Why sessions ended, and whether TMDB is told at once. Only a person's own actions wait for
 * TMDB (bounded): the others happen while a request is being validated, where nobody should
 * wait, or when TMDB has already said the session is gone; the cleanup job ends theirs.
 */
const TELL_TMDB_AT_ONCE = {
	sign_out: true,
	revoked: true,
	signed_out_elsewhere: true,
	signed_out_everywhere: true,
	over_cap: true,
	replaced: true,
	expired: false,
	lifetime_lowered: false,
	unopenable: false,
	revoked_at_tmdb: false
} as const satisfies Record<string, boolean>;

export type SessionEndCause = keyof typeof TELL_TMDB_AT_ONCE;

/** What logs may show of a session: a prefix of the hashed id, never the token. */
export function sessionLogId(sessionId: string): string {
	return sessionId.slice(0, 12);
}

/** A person's action waits at most this long for TMDB before it carries on regardless. */
const TMDB_WAIT_MS = 3_000;
/** However many sessions end together, this process keeps at most 4 DELETEs in flight. */
const deleteSlots = pLimit(4);
/** After this many attempts (about 13 days at the default interval) a TMDB session is given up. */
const MAX_END_ATTEMPTS = 20;
const MAX_RETRY_DELAY_MS = 24 * 60 * 60_000;
/** Per round, so that a backlog (TMDB back after an outage) never holds up the next rounds. */
export const MAX_TMDB_ENDS_PER_ROUND = 500;
/** Failures that every next call would meet too: the round stops rather than retry into them. */
const FAILS_EVERY_CALL: ReadonlySet<TmdbErrorKind> = new Set([
	'network',
	'timeout',
	'unavailable',
	'rate_limited',
	'blocked',
	'invalid_credential'
]);

export function createSessionEnder(deps: {
	sql: Sql;
	tmdb: Pick<TmdbClient, 'deleteSession'>;
	encryptionKeys: readonly Buffer[];
	/** The first retry's delay, doubling per attempt up to a day (SESSION_CLEANUP_MINUTES). */
	retryBaseMs: number;
	/** The current request's logger, read per call. */
	log: () => Logger;
	/** The app's is MAX_TMDB_ENDS_PER_ROUND; a test proves the cap with a small one. */
	maxEndsPerRound?: number;
}) {
	const { sql, tmdb, encryptionKeys: keys, retryBaseMs, log } = deps;
	const maxEndsPerRound = deps.maxEndsPerRound ?? MAX_TMDB_ENDS_PER_ROUND;
	/** Queued as already claimed by the attempt about to be made, so the job waits its turn. */
	const claimedNow = (now = new Date()) => ({
		attempts: 1,
		dueAt: new Date(now.getTime() + retryBaseMs)
	});

	/**
	 * Tells TMDB now, bounded; confirmed ones leave the queue, the rest wait for the job. An entry
	 * without an id was never queued (see `endUnusedTmdbSession`).
	 */
	async function endAtTmdbNow(entries: readonly { id?: string; sealed: string }[]): Promise<void> {
		const signal = AbortSignal.timeout(TMDB_WAIT_MS);
		const confirmed = await Promise.all(
			entries.map((entry) =>
				deleteSlots(async () => {
					const tmdbSessionId = decryptSecret(entry.sealed, keys);
					if (tmdbSessionId === null || signal.aborted) return false;
					try {
						await tmdb.deleteSession(tmdbSessionId, { signal });
						return true;
					} catch (error) {
						log().warn(
							{
								event: 'tmdb_session_end_deferred',
								reason: signal.aborted ? 'timeout' : 'tmdb_error',
								tmdbError: isTmdbError(error) ? error.kind : undefined
							},
							'TMDB did not confirm the end of a session; the cleanup job retries it'
						);
						return false;
					}
				})
			)
		);
		const ended = entries.flatMap((entry, index) => (confirmed[index] && entry.id) || []);
		try {
			await deleteTmdbSessionEnds(sql, ended);
		} catch (error) {
			// Harmless: the job will DELETE them again, and TMDB answers "already gone".
			log().warn({ event: 'tmdb_session_ends_not_cleared', err: error }, 'queue not cleared');
		}
	}

	return {
		/**
		 * Ends the chosen sessions and queues their TMDB sessions, in one statement; returns how
		 * many ended. `within` runs it in the caller's transaction (the cleanup job's lock); only
		 * causes that do not tell TMDB at once may use it, as the queue is not visible before commit.
		 * `now` is the cleanup round's clock.
		 */
		async endSessions(
			which: SessionSelector,
			cause: SessionEndCause,
			options: { within?: Sql; now?: Date } = {}
		): Promise<number> {
			const { within = sql, now = new Date() } = options;
			const atOnce = TELL_TMDB_AT_ONCE[cause];
			const queued = await deleteSessionsAndQueueTmdbEnds(
				within,
				which,
				atOnce ? claimedNow(now) : { attempts: 0, dueAt: now }
			);
			if (queued.length === 0) return 0;
			countSessionsEnded(cause, queued.length);
			const session = 'sessionId' in which ? sessionLogId(which.sessionId) : undefined;
			// Expiry is routine and comes in batches of 1,000: the job logs one line per round.
			log()[cause === 'expired' ? 'debug' : 'info'](
				{ event: 'sessions_ended', cause, count: queued.length, session },
				'sessions ended'
			);
			if (atOnce) await endAtTmdbNow(queued);
			return queued.length;
		},

		/**
		 * A TMDB session no session row holds: a sign-in that failed on our side after TMDB made it.
		 * Queued first when the database allows (it may be why the sign-in failed), then ended now.
		 */
		async endUnusedTmdbSession(tmdbSessionId: string): Promise<void> {
			const sealed = encryptSecret(tmdbSessionId, keys);
			let queued: QueuedTmdbSessionEnd | undefined;
			try {
				queued = await queueTmdbSessionEnd(sql, sealed, claimedNow());
			} catch (error) {
				log().error(
					{ event: 'tmdb_sessions_not_queued', count: 1, err: error },
					'a TMDB session could not be queued; it stays valid at TMDB unless ended now'
				);
			}
			await endAtTmdbNow([{ id: queued?.id, sealed }]);
		},

		/**
		 * One round of the queue: ends the due TMDB sessions one at a time, at most
		 * `maxEndsPerRound` (500). Each claim counts the attempt and moves the item's next one twice
		 * as far off, so an item that fails (or that no key opens yet: a restored key can still end
		 * it) waits its own turn and never holds the others up. "Already gone" at TMDB counts as
		 * ended (the client says so). A failure that every call would meet (TMDB down,
		 * rate-limiting, refusing our key) ends the round, and so does `signal` (the server
		 * stopping).
		 */
		async endQueuedTmdbSessions(
			options: { now?: Date; signal?: AbortSignal } = {}
		): Promise<{ ended: number; waiting: number }> {
			const { now = new Date(), signal } = options;
			const retryDelayMs = { baseMs: retryBaseMs, maxMs: MAX_RETRY_DELAY_MS };
			let ended = 0;
			for (let claimed = 0; claimed < maxEndsPerRound && !signal?.aborted; claimed++) {
				const entry = await claimDueTmdbSessionEnd(sql, now, retryDelayMs);
				if (!entry) break;
				const tmdbSessionId = decryptSecret(entry.sealed, keys);
				if (entry.attempts > MAX_END_ATTEMPTS) {
					await deleteTmdbSessionEnds(sql, [entry.id]);
					log().warn(
						{
							event: 'tmdb_session_abandoned',
							reason: tmdbSessionId === null ? 'no_key_opens_it' : 'too_many_attempts'
						},
						'TMDB session given up; it stays valid at TMDB'
					);
					continue;
				}
				if (tmdbSessionId === null) continue;
				try {
					await tmdb.deleteSession(tmdbSessionId, { signal });
				} catch (error) {
					if (signal?.aborted || (isTmdbError(error) && FAILS_EVERY_CALL.has(error.kind))) break;
					continue;
				}
				await deleteTmdbSessionEnds(sql, [entry.id]);
				ended++;
			}
			return { ended, waiting: await countTmdbSessionEnds(sql) };
		}
	};
}

export type SessionEnder = ReturnType<typeof createSessionEnder>;
