import { afterEach, describe, expect, test, vi } from 'vitest';
import {
	cleanUpExpiredSessions,
	deleteExpiredSessions,
	startSessionCleanup
} from '../../../src/lib/server/auth/cleanup.ts';
import { decryptSecret, encryptSecret } from '../../../src/lib/server/auth/keys.ts';
import {
	createSessionEnder,
	MAX_TMDB_ENDS_PER_ROUND
} from '../../../src/lib/server/auth/session-ends.ts';
import { tmdbSessionIdOf } from '../../../src/lib/server/auth/sessions.ts';
import {
	revokeOtherSessions,
	revokeSession,
	signOut
} from '../../../src/lib/server/auth/sign-out.ts';
import type { AppSession } from '../../../src/lib/server/auth/types.ts';
import { queueTmdbSessionEnd, selectSessionAndUser } from '../../../src/lib/server/db/auth.ts';
import { CookieJar, eventFor, signIn, useHarness } from '../../helpers/auth-harness.ts';

const DAY = 24 * 60 * 60 * 1000;
const START = new Date('2026-03-01T12:00:00Z');

const harness = useHarness();
afterEach(() => {
	vi.useRealTimers();
});

/** A controllable clock: only Date moves, so database and network timers keep working. */
function setClock(at: Date) {
	vi.useFakeTimers({ toFake: ['Date'] });
	vi.setSystemTime(at);
}

async function storedExpiry(sessionId: string): Promise<Date> {
	const [row] = await harness.database
		.sql`SELECT expires_at FROM auth_sessions WHERE id = ${sessionId}`;
	return row!.expires_at as Date;
}

describe('sessions', () => {
	test('R4.1 the expiry slides forward once half the idle window has passed, and not before', async () => {
		setClock(START);
		const { token, session } = await signIn(harness);
		expect(session.expiresAt.getTime()).toBe(START.getTime() + 30 * DAY);

		vi.setSystemTime(START.getTime() + 10 * DAY);
		const early = await harness.services.sessions.validateSessionToken(token);
		expect(early.session?.fresh).toBe(false);
		expect((await storedExpiry(session.id)).getTime()).toBe(START.getTime() + 30 * DAY);

		vi.setSystemTime(START.getTime() + 16 * DAY);
		const slid = await harness.services.sessions.validateSessionToken(token);
		expect(slid.session?.fresh).toBe(true);
		expect(slid.session?.expiresAt.getTime()).toBe(START.getTime() + 46 * DAY);
		expect((await storedExpiry(session.id)).getTime()).toBe(START.getTime() + 46 * DAY);
	});

	test('R4.3 R6.6 a session idle past its window is invalid and ends when presented; cleanup ends its TMDB session', async () => {
		setClock(START);
		const { token, session } = await signIn(harness);
		vi.setSystemTime(START.getTime() + 31 * DAY);
		expect((await harness.services.sessions.validateSessionToken(token)).session).toBeNull();
		// Lucia's delete of the expired session went through the one door: row gone, TMDB queued.
		expect(await cleanUpExpiredSessions(harness.services)).toEqual({
			ran: true,
			deleted: 0,
			yielded: false,
			tmdbSessionsEnded: 1,
			tmdbSessionsWaiting: 0
		});
		const rows = await harness.database.sql`SELECT 1 FROM auth_sessions WHERE id = ${session.id}`;
		expect(rows).toHaveLength(0);
		// TMDB no longer knows the session: revoking it there finds nothing.
		expect(harness.sandbox.sandbox.revokeSession(tmdbSessionIdOf(session)!)).toBe(false);
	});

	test('R4.1 the absolute lifetime ends even a session used every day', async () => {
		setClock(START);
		const { token } = await signIn(harness);
		for (let day = 14; day < 90; day += 14) {
			vi.setSystemTime(START.getTime() + day * DAY);
			const { session } = await harness.services.sessions.validateSessionToken(token);
			expect(session).not.toBeNull();
			// The cookie never outlives the absolute lifetime.
			expect(session!.expiresAt.getTime()).toBeLessThanOrEqual(START.getTime() + 90 * DAY);
		}
		vi.setSystemTime(START.getTime() + 90 * DAY + 1000);
		expect((await harness.services.sessions.validateSessionToken(token)).session).toBeNull();
	});

	test('last_seen_at is written at most once an hour', async () => {
		setClock(START);
		const { token, session } = await signIn(harness);
		const lastSeen = async () =>
			(
				await harness.database.sql`SELECT last_seen_at FROM auth_sessions WHERE id = ${session.id}`
			)[0]!.last_seen_at as Date;
		vi.setSystemTime(START.getTime() + 30 * 60_000);
		await harness.services.sessions.validateSessionToken(token);
		expect((await lastSeen()).getTime()).toBe(START.getTime());
		vi.setSystemTime(START.getTime() + 61 * 60_000);
		await harness.services.sessions.validateSessionToken(token);
		expect((await lastSeen()).getTime()).toBe(START.getTime() + 61 * 60_000);
	});

	test('validating a session costs exactly one database round trip', async () => {
		const { token } = await signIn(harness);
		const queries: string[] = [];
		harness.database.onQuery = (query) => queries.push(query);
		try {
			const { session } = await harness.services.sessions.validateSessionToken(token);
			expect(session).not.toBeNull();
			expect(queries).toHaveLength(1);
			expect(queries[0]).toMatch(/auth_session_and_user/);
		} finally {
			harness.database.onQuery = undefined;
		}
	});

	test('R4.2 R4.3 sessions looked up in the same turn share one statement, and each gets its own row', async () => {
		const first = await signIn(harness, { username: 'first' });
		const second = await signIn(harness, { username: 'second' });
		const unknown = 'f'.repeat(64);
		const queries: string[] = [];
		harness.database.onQuery = (query) => queries.push(query);
		try {
			const found = await Promise.all(
				[first.session.id, second.session.id, unknown, first.session.id].map((id) =>
					selectSessionAndUser(harness.database.sql, id)
				)
			);
			expect(queries).toHaveLength(1);
			expect(found.map((row) => row && [row.session.id, row.user.username])).toEqual([
				[first.session.id, 'first'],
				[second.session.id, 'second'],
				null,
				[first.session.id, 'first']
			]);
			// The next turn asks again: a session ended in between is not found.
			await harness.database.sql`DELETE FROM auth_sessions WHERE id = ${first.session.id}`;
			queries.length = 0;
			expect(await selectSessionAndUser(harness.database.sql, first.session.id)).toBeNull();
			expect(queries).toHaveLength(1);
		} finally {
			harness.database.onQuery = undefined;
		}
	});

	test('R4.3 a busy turn splits its lookups into statements of at most 100 sessions', async () => {
		const ids = Array.from({ length: 150 }, (_, n) => n.toString(16).padStart(64, '0'));
		const queries: string[] = [];
		harness.database.onQuery = (query) => queries.push(query);
		try {
			const found = await Promise.all(
				ids.map((id) => selectSessionAndUser(harness.database.sql, id))
			);
			expect(found.every((row) => row === null)).toBe(true);
			const lookups = queries.filter((query) => query.includes('auth_session_and_user'));
			expect(lookups.map((query) => query.match(/'[0-9a-f]{64}'/g)?.length)).toEqual([100, 50]);
		} finally {
			harness.database.onQuery = undefined;
		}
	});

	test('R4.3 when the shared statement fails, every lookup in it fails with the error', async () => {
		const { session } = await signIn(harness);
		const ended = harness.database.connect({ max: 1 });
		await ended.end();
		const results = await Promise.allSettled(
			[session.id, 'e'.repeat(64)].map((id) => selectSessionAndUser(ended, id))
		);
		expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
		expect(results.map((result) => (result as PromiseRejectedResult).reason.code)).toEqual([
			'CONNECTION_ENDED',
			'CONNECTION_ENDED'
		]);
	});

	test.each([
		['SQL in place of the id', "' OR '1'='1"],
		['an id of the wrong shape', 'A'.repeat(64)],
		['an id in capitals', 'F'.repeat(64)]
	])('the session lookup inlines only a hex digest: %s is never sent', async (_case, id) => {
		await signIn(harness);
		const queries: string[] = [];
		harness.database.onQuery = (query) => queries.push(query);
		try {
			expect(await selectSessionAndUser(harness.database.sql, id)).toBeNull();
			expect(queries).toEqual([]);
		} finally {
			harness.database.onQuery = undefined;
		}
	});

	test.each([
		['empty', ''],
		['random junk', 'not-a-token'],
		['truncated', 'A'.repeat(42)],
		['oversized', 'A'.repeat(4096)],
		['unknown but well-formed', 'A'.repeat(43)]
	])('R4.3 a %s cookie token is no session', async (_case, value) => {
		await signIn(harness);
		expect(await harness.services.sessions.validateSessionToken(value)).toEqual({
			session: null,
			user: null
		});
	});

	test('R6.2 keys rotate: old sessions still open with the old key second, and die without it', async () => {
		const { token } = await signIn(harness);
		const oldKey = harness.encryptionKeys[0]!.toString('base64');
		const newKey = Buffer.alloc(32, 7).toString('base64');

		const rotated = harness.servicesWith({ SESSION_ENCRYPTION_KEYS: `${newKey},${oldKey}` });
		expect((await rotated.sessions.validateSessionToken(token)).user?.username).toBe('ada');
		// New sessions are sealed with the new key, which the old configuration cannot open.
		const fresh = await signIn({ ...harness, services: rotated });
		const [row] = await harness.database
			.sql`SELECT tmdb_session_id FROM auth_sessions WHERE id = ${fresh.session.id}`;
		expect(String(row!.tmdb_session_id).split('.')[1]).not.toBe(String(oldKey).slice(0, 8));
		expect((await rotated.sessions.validateSessionToken(fresh.token)).session).not.toBeNull();

		const retired = harness.servicesWith({ SESSION_ENCRYPTION_KEYS: newKey });
		expect((await retired.sessions.validateSessionToken(token)).session).toBeNull();
		expect(
			await harness.database.sql`SELECT 1 FROM auth_sessions WHERE id = ${fresh.session.id}`
		).toHaveLength(1);
	});

	test('R6.2 a row whose TMDB session id was tampered with is an invalid session', async () => {
		const { token, session } = await signIn(harness);
		await harness.database.sql`
			UPDATE auth_sessions SET tmdb_session_id = overlay(tmdb_session_id placing 'AAAA' from 20 for 4)
			WHERE id = ${session.id}`;
		expect((await harness.services.sessions.validateSessionToken(token)).session).toBeNull();
		expect(
			await harness.database.sql`SELECT 1 FROM auth_sessions WHERE id = ${session.id}`
		).toHaveLength(0);
	});
});

describe('cleanup', () => {
	async function seedSessions(expired: number, valid: number) {
		const { session } = await signIn(harness);
		await harness.database.sql`
			INSERT INTO auth_sessions (id, user_id, expires_at, tmdb_session_id)
			SELECT 'expired-' || n, ${session.userId}, now() - interval '1 day', 'v1.x.y.z'
			FROM generate_series(1, ${expired}) AS n`;
		await harness.database.sql`
			INSERT INTO auth_sessions (id, user_id, expires_at, tmdb_session_id)
			SELECT 'valid-' || n, ${session.userId}, now() + interval '1 day', 'v1.x.y.z'
			FROM generate_series(1, ${valid}) AS n`;
	}

	test('R6.6 deletes every expired session in batches and keeps the rest', async () => {
		await seedSessions(2_500, 10);
		const result = await deleteExpiredSessions(harness.services, new Date(), 1_000);
		expect(result).toEqual({ ran: true, deleted: 2_500, yielded: false });
		const [row] = await harness.database.sql`SELECT count(*)::int AS count FROM auth_sessions`;
		expect(row!.count).toBe(11);
		// Each deleted session's TMDB session is queued to be ended.
		const [queued] = await harness.database.sql`
			SELECT count(*)::int AS count FROM tmdb_session_ends WHERE tmdb_session_id = 'v1.x.y.z'`;
		expect(queued!.count).toBe(2_500);
	});

	test.skipIf(!process.env.TEST_DATABASE_URL)(
		'R6.6 two concurrent cleanup runners delete each expired row once (needs TEST_DATABASE_URL: the embedded database serves one connection)',
		async () => {
			await seedSessions(5_000, 10);
			const other = harness.database.connect({ max: 2 });
			try {
				const results = await Promise.all([
					deleteExpiredSessions(harness.services, new Date(), 500),
					deleteExpiredSessions(harness.servicesWith({}, { sql: other }), new Date(), 500)
				]);
				expect(results.reduce((sum, result) => sum + result.deleted, 0)).toBe(5_000);
				expect(results.some((result) => result.ran)).toBe(true);
				// A runner that found the lock taken deleted nothing.
				for (const result of results) if (!result.ran) expect(result.deleted).toBe(0);
				const [row] = await harness.database.sql`SELECT count(*)::int AS count FROM auth_sessions`;
				expect(row!.count).toBe(11);
			} finally {
				await other.end();
			}
		}
	);

	test('R6.6 a runner that finds the lock taken skips its round, and runs once it is free', async () => {
		await seedSessions(5, 0);
		const other = harness.database.embedded ? undefined : harness.database.connect({ max: 1 });
		try {
			// Another instance in the middle of a batch holds the transaction-scoped lock.
			await harness.database.sql.begin(async (tx) => {
				await tx`SELECT pg_advisory_xact_lock(${0x6d617263})`;
				if (other) {
					expect(await deleteExpiredSessions(harness.servicesWith({}, { sql: other }))).toEqual({
						ran: false,
						deleted: 0,
						yielded: false
					});
				} else {
					// One connection: the runner would wait for it; the lock itself is what is checked.
					const [row] = await tx`SELECT pg_try_advisory_xact_lock(${0x6d617263}) AS locked`;
					expect(row!.locked).toBe(true);
				}
			});
			// The lock ended with that transaction.
			const result = await deleteExpiredSessions(
				other ? harness.servicesWith({}, { sql: other }) : harness.services
			);
			expect(result).toEqual({ ran: true, deleted: 5, yielded: false });
		} finally {
			await other?.end();
		}
	});
});

describe('cleanup at TMDB', () => {
	async function expireEverySession() {
		await harness.database.sql`UPDATE auth_sessions SET expires_at = now() - interval '1 minute'`;
	}

	function deleteCalls() {
		return harness.sandbox.sandbox
			.receivedRequests()
			.filter((request) => request.endpoint === 'session/delete');
	}

	function queuedEnds() {
		return harness.database.sql<
			{ tmdb_session_id: string; attempts: number; next_attempt_at: Date }[]
		>`
			SELECT tmdb_session_id, attempts, next_attempt_at FROM tmdb_session_ends ORDER BY id`;
	}

	/** TMDB still knows a session when revoking it there finds it (which also ends it). */
	const knownAtTmdb = (session: AppSession) =>
		harness.sandbox.sandbox.revokeSession(tmdbSessionIdOf(session)!);

	test('R6.6 when TMDB fails, the round still deletes the sessions and stops calling TMDB; later rounds end them', async () => {
		const sessions = [];
		for (let index = 0; index < 3; index++)
			sessions.push(await signIn(harness, { username: 'ada' }));
		await expireEverySession();
		// TMDB rejects the app's key, on every call (the client's check of the key after a 7 on
		// DELETE too): not retried, so every call the round makes shows.
		harness.sandbox.sandbox.injectFault(
			'any',
			{ kind: 'tmdb_error', httpStatus: 401, statusCode: 7 },
			10
		);
		harness.sandbox.sandbox.clearReceivedRequests();
		const now = new Date();
		expect(await cleanUpExpiredSessions(harness.services, { now })).toEqual({
			ran: true,
			deleted: 3,
			yielded: false,
			tmdbSessionsEnded: 0,
			tmdbSessionsWaiting: 3
		});
		expect(await harness.database.sql`SELECT 1 FROM auth_sessions`).toHaveLength(0);
		expect(deleteCalls()).toHaveLength(1);

		harness.sandbox.sandbox.clearFaults();
		// The two never tried are due at once; the one that failed, SESSION_CLEANUP_MINUTES later.
		expect(await cleanUpExpiredSessions(harness.services, { now })).toMatchObject({
			tmdbSessionsEnded: 2,
			tmdbSessionsWaiting: 1
		});
		const later = new Date(now.getTime() + 5 * 60_000);
		expect(await cleanUpExpiredSessions(harness.services, { now: later })).toMatchObject({
			tmdbSessionsEnded: 1,
			tmdbSessionsWaiting: 0
		});
		expect(deleteCalls()).toHaveLength(4);
		for (const { session } of sessions) expect(knownAtTmdb(session)).toBe(false);
	});

	test('R3.1 R6.6 a TMDB session whose DELETE failed at sign-out is queued, sealed, and ended by the next round', async () => {
		const { token, jar, session } = await signIn(harness);
		jar.set('__Host-marquee_session', token, { path: '/' });
		// The DELETE and the check of the key that a 7 there leads to.
		harness.sandbox.sandbox.injectFault(
			'any',
			{ kind: 'tmdb_error', httpStatus: 401, statusCode: 7 },
			2
		);
		await signOut(eventFor(harness, jar, { session }));
		expect(await harness.database.sql`SELECT 1 FROM auth_sessions`).toHaveLength(0);
		const [queued] = await queuedEnds();
		// The attempt at sign-out counts; the next is due SESSION_CLEANUP_MINUTES later.
		expect(queued!.attempts).toBe(1);
		expect(queued!.tmdb_session_id).not.toContain(tmdbSessionIdOf(session)!);
		expect(decryptSecret(queued!.tmdb_session_id, harness.encryptionKeys)).toBe(
			tmdbSessionIdOf(session)
		);

		const later = new Date(Date.now() + 5 * 60_000);
		expect(await cleanUpExpiredSessions(harness.services, { now: later })).toMatchObject({
			deleted: 0,
			tmdbSessionsEnded: 1,
			tmdbSessionsWaiting: 0
		});
		expect(knownAtTmdb(session)).toBe(false);
	});

	test('R6.6 each failed attempt doubles the wait before the next, up to a day', async () => {
		await signIn(harness);
		await expireEverySession();
		harness.sandbox.sandbox.injectFault(
			'any',
			{ kind: 'tmdb_error', httpStatus: 401, statusCode: 7 },
			100
		);
		let now = new Date();
		const waits: number[] = [];
		await cleanUpExpiredSessions(harness.services, { now });
		for (let attempt = 1; attempt <= 3; attempt++) {
			const [queued] = await queuedEnds();
			expect(queued!.attempts).toBe(attempt);
			waits.push((queued!.next_attempt_at.getTime() - now.getTime()) / 60_000);
			now = queued!.next_attempt_at;
			await cleanUpExpiredSessions(harness.services, { now });
		}
		expect(waits).toEqual([5, 10, 20]);
		await harness.database
			.sql`UPDATE tmdb_session_ends SET attempts = 12, next_attempt_at = ${now}`;
		await cleanUpExpiredSessions(harness.services, { now });
		const [queued] = await queuedEnds();
		expect(queued!.next_attempt_at.getTime() - now.getTime()).toBe(24 * 60 * 60_000);
	});

	test('R6.6 a queued TMDB session no key opens, or one tried 20 times, is given up and logged', async () => {
		const { session } = await signIn(harness);
		await expireEverySession();
		// The DELETE and the check of the key that a 7 there leads to.
		harness.sandbox.sandbox.injectFault(
			'any',
			{ kind: 'tmdb_error', httpStatus: 401, statusCode: 7 },
			2
		);
		const now = new Date();
		await cleanUpExpiredSessions(harness.services, { now });
		await queueTmdbSessionEnd(harness.database.sql, 'v1.unknownkey.bm9uY2U.c2VhbGVk', {
			attempts: 0,
			dueAt: now
		});
		await harness.database
			.sql`UPDATE tmdb_session_ends SET attempts = 20, next_attempt_at = ${now}`;
		harness.sandbox.sandbox.clearReceivedRequests();
		harness.logs.length = 0;
		expect(await cleanUpExpiredSessions(harness.services, { now })).toMatchObject({
			tmdbSessionsEnded: 0,
			tmdbSessionsWaiting: 0
		});
		expect(deleteCalls()).toHaveLength(0);
		const abandoned = harness.logs
			.map((line) => JSON.parse(line) as Record<string, unknown>)
			.filter((line) => line.event === 'tmdb_session_abandoned')
			.map((line) => line.reason);
		expect(abandoned.sort()).toEqual(['no_key_opens_it', 'too_many_attempts']);
		expect(knownAtTmdb(session)).toBe(true);
	});

	test('R6.6 a round ends at most 500 queued TMDB sessions, so a backlog never holds up the next rounds', async () => {
		expect(MAX_TMDB_ENDS_PER_ROUND).toBe(500);
		// The same rounds with a cap of 3, so that the backlog beyond it costs 4 TMDB calls, not 501.
		const { config, sql, tmdb } = harness.services;
		const keys = config.session.encryptionKeys;
		const ender = createSessionEnder({
			sql,
			tmdb,
			encryptionKeys: keys,
			retryBaseMs: config.session.cleanupMinutes * 60_000,
			log: () => harness.log,
			maxEndsPerRound: 3
		});
		// TMDB answers a DELETE of a session it does not know as gone: each counts as ended.
		for (let index = 0; index < 4; index++) {
			const sealed = encryptSecret(index.toString(16).padStart(40, '0'), keys);
			await queueTmdbSessionEnd(sql, sealed, { attempts: 0, dueAt: new Date() });
		}
		expect(await ender.endQueuedTmdbSessions()).toEqual({ ended: 3, waiting: 1 });
		expect(deleteCalls()).toHaveLength(3);
		expect(await ender.endQueuedTmdbSessions()).toEqual({ ended: 1, waiting: 0 });
		expect(deleteCalls()).toHaveLength(4);
	});

	test.skipIf(!process.env.TEST_DATABASE_URL)(
		'R6.6 instances ending queued TMDB sessions together end each once (needs TEST_DATABASE_URL: the embedded database serves one connection)',
		async () => {
			const sessions = [];
			for (let index = 0; index < 8; index++) sessions.push(await signIn(harness));
			await expireEverySession();
			await deleteExpiredSessions(harness.services);
			harness.sandbox.sandbox.clearReceivedRequests();
			const other = harness.database.connect({ max: 2 });
			try {
				const rounds = await Promise.all([
					harness.services.sessions.endQueuedTmdbSessions(),
					harness.servicesWith({}, { sql: other }).sessions.endQueuedTmdbSessions()
				]);
				expect(rounds.reduce((sum, round) => sum + round.ended, 0)).toBe(8);
				expect(deleteCalls().map((call) => call.status)).toEqual(Array(8).fill(200));
				for (const { session } of sessions) expect(knownAtTmdb(session)).toBe(false);
			} finally {
				await other.end();
			}
		}
	);

	test('R6.6 the job runs a round every SESSION_CLEANUP_MINUTES and logs what it ended', async () => {
		const { session } = await signIn(harness);
		await expireEverySession();
		harness.logs.length = 0;
		const roundLogged = () =>
			harness.logs
				.map((line) => JSON.parse(line) as Record<string, unknown>)
				.find((line) => line.event === 'session_cleanup');
		// Only the job's interval is faked, so that five minutes pass at once.
		vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
		const stop = startSessionCleanup(harness.services, harness.log);
		vi.advanceTimersByTime(5 * 60_000 - 1);
		expect(roundLogged()).toBeUndefined();
		vi.advanceTimersByTime(1);
		vi.useRealTimers();
		await vi.waitFor(() => expect(roundLogged()).toBeDefined());
		await stop();
		expect(roundLogged()).toMatchObject({
			deleted: 1,
			tmdbSessionsEnded: 1,
			tmdbSessionsWaiting: 0
		});
		expect(
			await harness.database.sql`SELECT 1 FROM auth_sessions WHERE id = ${session.id}`
		).toHaveLength(0);
		expect(harness.sandbox.sandbox.revokeSession(tmdbSessionIdOf(session)!)).toBe(false);
	});

	test('R6.6 stopping the server ends the round’s TMDB calls at once', async () => {
		for (let index = 0; index < 3; index++) await signIn(harness, { username: 'ada' });
		await expireEverySession();
		harness.sandbox.sandbox.injectFault('session/delete', { kind: 'hang' }, 10);
		harness.sandbox.sandbox.clearReceivedRequests();
		// Without the signal, the hanging call would hold the round for a minute.
		const patient = harness.servicesWith({
			TMDB_TIMEOUT_MS: '60000',
			TMDB_RETRY_BUDGET_MS: '60000'
		});
		const stopping = new AbortController();
		const round = cleanUpExpiredSessions(patient, { signal: stopping.signal });
		await vi.waitFor(() => expect(deleteCalls()).toHaveLength(1));
		stopping.abort();
		expect(await round).toMatchObject({ deleted: 3, tmdbSessionsEnded: 0, tmdbSessionsWaiting: 3 });
	});
});

describe('revocation and sign-out', () => {
	test('R4.4 a TMDB session revoked at TMDB ends the app session at the next check', async () => {
		setClock(START);
		const { token } = await signIn(harness);
		harness.sandbox.sandbox.revokeAccountSessions({ username: 'ada' });
		vi.setSystemTime(START.getTime() + 61 * 60_000);
		const { session } = await harness.services.sessions.validateSessionToken(token);
		expect(await harness.services.sessions.revalidateTmdbSession(session!, harness.log)).toBe(
			false
		);
		expect((await harness.services.sessions.validateSessionToken(token)).session).toBeNull();
		// Through the one door: its TMDB session is queued, and the queue takes "gone" as done.
		vi.useRealTimers();
		harness.sandbox.sandbox.clearReceivedRequests();
		expect(await cleanUpExpiredSessions(harness.services)).toMatchObject({
			tmdbSessionsEnded: 1,
			tmdbSessionsWaiting: 0
		});
		// The sandbox answers as TMDB does for a session it no longer knows: 404, status_code 34.
		const deletes = harness.sandbox.sandbox
			.receivedRequests()
			.filter((request) => request.endpoint === 'session/delete');
		expect(deletes.map((request) => request.status)).toEqual([404]);
	});

	test('R4.4 TMDB trouble during the check keeps the person signed in', async () => {
		setClock(START);
		const { token } = await signIn(harness);
		harness.sandbox.sandbox.injectFault('account', { kind: 'unavailable' }, 50);
		vi.setSystemTime(START.getTime() + 61 * 60_000);
		const { session } = await harness.services.sessions.validateSessionToken(token);
		expect(await harness.services.sessions.revalidateTmdbSession(session!, harness.log)).toBe(true);
		expect((await harness.services.sessions.validateSessionToken(token)).session).not.toBeNull();
	});

	test('R4.4 the check runs at most once per period and refreshes the stored profile', async () => {
		setClock(START);
		const { token } = await signIn(harness);
		await harness.database.sql`UPDATE users SET username = 'stale'`;
		vi.setSystemTime(START.getTime() + 61 * 60_000);
		const { session } = await harness.services.sessions.validateSessionToken(token);
		harness.sandbox.sandbox.clearReceivedRequests();
		await Promise.all([
			harness.services.sessions.revalidateTmdbSession(session!, harness.log),
			harness.services.sessions.revalidateTmdbSession(session!, harness.log)
		]);
		const accountCalls = harness.sandbox.sandbox
			.receivedRequests()
			.filter((r) => r.endpoint === 'account');
		expect(accountCalls).toHaveLength(1);
		const [user] = await harness.database.sql`SELECT username FROM users`;
		expect(user!.username).toBe('ada');
	});

	test('R3.1 R3.2 sign-out deletes the row, the cookie and the TMDB session', async () => {
		const { token, jar, session } = await signIn(harness);
		jar.set('__Host-marquee_session', token, { path: '/' });
		await signOut(eventFor(harness, jar, { session }));
		expect(jar.store.has('__Host-marquee_session')).toBe(false);
		expect(await harness.database.sql`SELECT 1 FROM auth_sessions`).toHaveLength(0);
		const deleted = harness.sandbox.sandbox
			.receivedRequests()
			.filter((r) => r.endpoint === 'session/delete' && r.status === 200);
		expect(deleted).toHaveLength(1);
	});

	test('R6.4 a person can end one of their other sessions, but never another person’s', async () => {
		const adaHere = await signIn(harness, { username: 'ada' });
		const adaThere = await signIn(harness, { username: 'ada' });
		const grace = await signIn(harness, { username: 'grace' });

		expect(
			await revokeSession(
				eventFor(harness, new CookieJar(), { session: adaHere.session }),
				grace.session.id
			)
		).toBe(false);
		expect(
			(await harness.services.sessions.validateSessionToken(grace.token)).session
		).not.toBeNull();

		expect(
			await revokeSession(
				eventFor(harness, new CookieJar(), { session: adaHere.session }),
				adaThere.session.id
			)
		).toBe(true);
		expect(
			(await harness.services.sessions.validateSessionToken(adaThere.token)).session
		).toBeNull();
		expect(
			(await harness.services.sessions.validateSessionToken(adaHere.token)).session
		).not.toBeNull();
	});

	test('R6.4 "sign out everywhere else" ends the person’s other sessions only', async () => {
		const here = await signIn(harness, { username: 'ada' });
		const others = [
			await signIn(harness, { username: 'ada' }),
			await signIn(harness, { username: 'ada' })
		];
		const grace = await signIn(harness, { username: 'grace' });
		expect(
			await revokeOtherSessions(eventFor(harness, new CookieJar(), { session: here.session }))
		).toBe(2);
		for (const other of others) {
			expect(
				(await harness.services.sessions.validateSessionToken(other.token)).session
			).toBeNull();
		}
		expect(
			(await harness.services.sessions.validateSessionToken(here.token)).session
		).not.toBeNull();
		expect(
			(await harness.services.sessions.validateSessionToken(grace.token)).session
		).not.toBeNull();
		const deletes = harness.sandbox.sandbox
			.receivedRequests()
			.filter((r) => r.endpoint === 'session/delete' && r.status === 200);
		expect(deletes).toHaveLength(2);
	});
});

describe('R6.4 R3.1 finding 4: ending many sessions at once is bounded', () => {
	/** A fetch to the real sandbox that counts the TMDB session DELETEs in flight. */
	function countingFetch() {
		const counts = { inFlight: 0, peak: 0, started: 0 };
		const fetch: typeof globalThis.fetch = async (input, init) => {
			const isDelete =
				(init?.method ?? (input instanceof Request ? input.method : 'GET')) === 'DELETE';
			if (!isDelete) return globalThis.fetch(input, init);
			counts.started++;
			counts.peak = Math.max(counts.peak, ++counts.inFlight);
			try {
				return await globalThis.fetch(input, init);
			} finally {
				counts.inFlight--;
			}
		};
		return { fetch, counts };
	}

	test('"sign out everywhere else" keeps at most 4 TMDB DELETEs in flight', async () => {
		const here = await signIn(harness, { username: 'ada' });
		for (let index = 0; index < 12; index++) await signIn(harness, { username: 'ada' });
		harness.sandbox.sandbox.injectFault('session/delete', { kind: 'hang', delayMs: 150 }, 12);
		const { fetch, counts } = countingFetch();
		const services = harness.servicesWith({}, { fetch });
		expect(
			await revokeOtherSessions(
				eventFor(harness, new CookieJar(), { session: here.session, app: services })
			)
		).toBe(12);
		expect(counts.started).toBe(12);
		expect(counts.peak).toBe(4);
	});

	test('when the 3 s wait is over, every retry stops instead of going on in the background', async () => {
		const here = await signIn(harness, { username: 'ada' });
		await signIn(harness, { username: 'ada' });
		// Each attempt times out after 2 s and the budget would allow attempts at 0, 2, 4, 6 s...
		harness.sandbox.sandbox.injectFault('session/delete', { kind: 'hang', delayMs: 2_500 }, 10);
		const { fetch, counts } = countingFetch();
		const services = harness.servicesWith(
			{ TMDB_TIMEOUT_MS: '2000', TMDB_RETRY_BUDGET_MS: '20000' },
			{ fetch }
		);
		await revokeOtherSessions(
			eventFor(harness, new CookieJar(), { session: here.session, app: services })
		);
		await new Promise((resolve) => setTimeout(resolve, 2_500));
		// ...but the wait ends at 3 s: the attempts at 0 and 2 s, and nothing after.
		expect(counts.started).toBe(2);
		expect(counts.inFlight).toBe(0);
	});

	test('signing in beyond SESSION_MAX_PER_USER ends the least recently used sessions, at TMDB too', async () => {
		const services = harness.servicesWith({ SESSION_MAX_PER_USER: '3' });
		const first = await signIn(harness, { username: 'ada', services });
		const kept = [
			await signIn(harness, { username: 'ada', services }),
			await signIn(harness, { username: 'ada', services })
		];
		const grace = await signIn(harness, { username: 'grace', services });
		kept.push(await signIn(harness, { username: 'ada', services }));

		expect((await services.sessions.validateSessionToken(first.token)).session).toBeNull();
		for (const session of kept) {
			expect((await services.sessions.validateSessionToken(session.token)).session).not.toBeNull();
		}
		expect((await services.sessions.validateSessionToken(grace.token)).session).not.toBeNull();
		const firstTmdbSession = tmdbSessionIdOf(first.session)!;
		expect(harness.sandbox.sandbox.revokeSession(firstTmdbSession)).toBe(false);
	});
});

describe('every way out ends the TMDB session too', () => {
	const queuedCount = async () =>
		(await harness.database.sql`SELECT 1 FROM tmdb_session_ends`).length;
	const knownAtTmdb = (session: AppSession) =>
		harness.sandbox.sandbox.revokeSession(tmdbSessionIdOf(session)!);

	test('R4.1 R6.6 a session past a lowered SESSION_MAX_DAYS ends when presented, and its TMDB session with it', async () => {
		setClock(START);
		const { token, session } = await signIn(harness);
		vi.setSystemTime(START.getTime() + 20 * DAY);
		const lowered = harness.servicesWith({ SESSION_MAX_DAYS: '10', SESSION_IDLE_DAYS: '5' });
		expect((await lowered.sessions.validateSessionToken(token)).session).toBeNull();
		expect(await harness.database.sql`SELECT 1 FROM auth_sessions`).toHaveLength(0);
		expect(await queuedCount()).toBe(1);
		vi.useRealTimers();
		expect(await cleanUpExpiredSessions(lowered)).toMatchObject({ tmdbSessionsEnded: 1 });
		expect(knownAtTmdb(session)).toBe(false);
	});

	test('R4.1 R6.6 after SESSION_MAX_DAYS or SESSION_IDLE_DAYS is lowered, the job ends sessions nobody presents at the new limits, TMDB sessions too', async () => {
		setClock(START);
		const old = await signIn(harness, { username: 'ada' });
		vi.setSystemTime(START.getTime() + 12 * DAY);
		const idle = await signIn(harness, { username: 'grace' });
		vi.setSystemTime(START.getTime() + 18 * DAY);
		const recent = await signIn(harness, { username: 'alan' });
		// Made with 90 and 30 days; at day 20 it is 10 days at most, and 5 idle.
		const lowered = harness.servicesWith({ SESSION_MAX_DAYS: '10', SESSION_IDLE_DAYS: '5' });
		vi.setSystemTime(START.getTime() + 20 * DAY);
		expect((await cleanUpExpiredSessions(lowered)).deleted).toBe(0);

		// The job's first round after a start brings every expiry within the new limits.
		harness.logs.length = 0;
		const logged = (event: string) =>
			harness.logs
				.map((line) => JSON.parse(line) as Record<string, unknown>)
				.find((line) => line.event === event);
		vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
		vi.setSystemTime(START.getTime() + 20 * DAY);
		const stop = startSessionCleanup(lowered, harness.log);
		vi.advanceTimersByTime(5 * 60_000);
		await vi.waitFor(() => expect(logged('session_cleanup')).toBeDefined());
		await stop();
		// All three moved; two are past the new limits.
		expect(logged('session_expiries_capped')).toMatchObject({ count: 3 });
		expect(logged('session_cleanup')).toMatchObject({ deleted: 2, tmdbSessionsEnded: 2 });
		expect(await lowered.sessions.validateSessionToken(recent.token)).toMatchObject({
			user: { username: 'alan' }
		});
		expect(knownAtTmdb(old.session)).toBe(false);
		expect(knownAtTmdb(idle.session)).toBe(false);
		expect(knownAtTmdb(recent.session)).toBe(true);
	});

	test('R4.1 a session idle past a lowered SESSION_IDLE_DAYS ends, though its stored expiry is later', async () => {
		setClock(START);
		const { token } = await signIn(harness);
		vi.setSystemTime(START.getTime() + 8 * DAY);
		const lowered = harness.servicesWith({ SESSION_IDLE_DAYS: '7' });
		expect((await lowered.sessions.validateSessionToken(token)).session).toBeNull();
		expect(await queuedCount()).toBe(1);
	});

	test('R6.2 a session whose sealed TMDB id no key opens ends, and a restored key still ends its TMDB session', async () => {
		const { token, session } = await signIn(harness);
		const oldKey = harness.encryptionKeys[0]!.toString('base64');
		const newKey = Buffer.alloc(32, 9).toString('base64');
		const retired = harness.servicesWith({ SESSION_ENCRYPTION_KEYS: newKey });
		expect((await retired.sessions.validateSessionToken(token)).session).toBeNull();
		expect(await harness.database.sql`SELECT 1 FROM auth_sessions`).toHaveLength(0);
		// Without the key the queue can only wait: the attempt counts, nothing is sent.
		harness.sandbox.sandbox.clearReceivedRequests();
		expect(await cleanUpExpiredSessions(retired)).toMatchObject({
			tmdbSessionsEnded: 0,
			tmdbSessionsWaiting: 1
		});
		expect(harness.sandbox.sandbox.receivedRequests()).toEqual([]);
		const restored = harness.servicesWith({ SESSION_ENCRYPTION_KEYS: `${newKey},${oldKey}` });
		const later = new Date(Date.now() + 5 * 60_000);
		expect(await cleanUpExpiredSessions(restored, { now: later })).toMatchObject({
			tmdbSessionsEnded: 1,
			tmdbSessionsWaiting: 0
		});
		expect(knownAtTmdb(session)).toBe(false);
	});

	test.each([
		['401, status_code 3', 401, 3],
		['404, status_code 6', 404, 6],
		['404, status_code 34', 404, 34],
		['404, status_code 37', 404, 37],
		// 7 ("invalid API key") while the key works on its own: about the session, then.
		['401, status_code 7, with a working key', 401, 7]
	])(
		'R3.1 TMDB answering the end of a session with "already gone" (%s) is done, not retried',
		async (_case, httpStatus, statusCode) => {
			const { jar, session } = await signIn(harness);
			harness.sandbox.sandbox.injectFault(
				'session/delete',
				{ kind: 'tmdb_error', httpStatus, statusCode },
				1
			);
			await signOut(eventFor(harness, jar, { session }));
			expect(await queuedCount()).toBe(0);
			const deletes = harness.sandbox.sandbox
				.receivedRequests()
				.filter((request) => request.endpoint === 'session/delete');
			expect(deletes.map((request) => request.status)).toEqual([httpStatus]);
		}
	);

	test('R6.6 a bad item at the head of the queue never holds up the good ones behind it', async () => {
		const sessions = [];
		for (let index = 0; index < 3; index++) sessions.push(await signIn(harness));
		await harness.database.sql`UPDATE auth_sessions SET expires_at = now() - interval '1 minute'`;
		// Oldest first: one no key opens, then one TMDB answers with an error of its own.
		const now = new Date();
		await queueTmdbSessionEnd(harness.database.sql, 'v1.unknownkey.bm9uY2U.c2VhbGVk', {
			attempts: 0,
			dueAt: new Date(now.getTime() - 60_000)
		});
		harness.sandbox.sandbox.injectFault(
			'session/delete',
			{ kind: 'tmdb_error', httpStatus: 422, statusCode: 5 },
			1
		);
		expect(await cleanUpExpiredSessions(harness.services, { now })).toMatchObject({
			deleted: 3,
			tmdbSessionsEnded: 2,
			tmdbSessionsWaiting: 2
		});
		expect(sessions.filter(({ session }) => knownAtTmdb(session))).toHaveLength(1);
	});
});
