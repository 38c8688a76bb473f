/**
 * App sessions, whole: the random token in the cookie and the hash the database keeps, the
 * cookie itself, and validation on top of Lucia (sliding expiry capped by an absolute lifetime,
 * `last_seen_at` written at most hourly), and the periodic check that the TMDB session behind it
 * still lives. Every session ends through `endSessions` (session-ends.ts), Lucia's deletes too.
 * Lucia v3 is no longer maintained, so it stays behind this file: nothing else imports `lucia`.
 */
import type { RequestEvent } from '@sveltejs/kit';
import { PostgresJsAdapter } from '@lucia-auth/adapter-postgresql';
import { Lucia, TimeSpan, type DatabaseSession, type DatabaseUser } from 'lucia';
import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from '../db/client.ts';
import {
	capSessionExpiries,
	claimTmdbCheck,
	extendSessionExpiry,
	insertSession,
	listActiveUserSessions,
	selectSessionAndUser,
	touchSessionLastSeen,
	upsertTmdbUser,
	type SessionListing,
	type SessionRow,
	type UserRow
} from '../db/auth.ts';
import type { Logger } from '../log.ts';
import { countSessionCreated } from '../observability.ts';
import type { TmdbClient } from '../tmdb/client.ts';
import { isTmdbError } from '../tmdb/errors.ts';
import { decryptSecret, encryptSecret } from './keys.ts';
import { createSessionEnder, sessionLogId, type SessionEnder } from './session-ends.ts';
import type { AppSession, AppUser } from './types.ts';

// --- The token: 256 random bits in the cookie; the database keeps only its SHA-256. ---

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function generateSessionToken(): string {
	return randomBytes(32).toString('base64url');
}

/** Anything else in the cookie is tampering or junk: it is never hashed or looked up. */
export function isWellFormedSessionToken(value: string): boolean {
	return TOKEN_PATTERN.test(value);
}

export function hashSessionToken(token: string): string {
	return createHash('sha256').update(token).digest('hex');
}

// --- The cookies: HttpOnly, SameSite=Lax, Path=/, host-only (no Domain). Over https they are
// Secure with the `__Host-` prefix, which browsers accept only with exactly those attributes;
// plain http (development, the e2e suite on loopback) cannot set Secure cookies, so there the
// prefix goes too. The pending-login cookie (login.ts) is made the same way. ---

export type CookieEvent = Pick<RequestEvent, 'cookies' | 'url'>;

export function cookieNaming(event: CookieEvent, base: string) {
	const secure = event.url.protocol === 'https:';
	return {
		name: secure ? `__Host-${base}` : base,
		options: { path: '/', httpOnly: true, sameSite: 'lax', secure } as const
	};
}

const SESSION_COOKIE = 'marquee_session';

export function readSessionCookie(event: CookieEvent): string | null {
	return event.cookies.get(cookieNaming(event, SESSION_COOKIE).name) ?? null;
}

export function setSessionCookie(event: CookieEvent, token: string, expiresAt: Date): void {
	const { name, options } = cookieNaming(event, SESSION_COOKIE);
	event.cookies.set(name, token, { ...options, expires: expiresAt });
}

export function deleteSessionCookie(event: CookieEvent): void {
	const { name, options } = cookieNaming(event, SESSION_COOKIE);
	event.cookies.delete(name, options);
}

/** Enough for every session active at once on one instance; the oldest are forgotten first. */
const MAX_OPENED_SECRETS = 10_000;

/**
 * Every request with a session would otherwise pay an AES-GCM pass and a key lookup
 * (docs/performance.md). A sealed value never changes for its session, so the plaintexts of
 * recently seen ones are kept. This exposes nothing new: the process holds the keys anyway.
 */
function createSecretOpener(keys: readonly Buffer[]): (sealed: string) => string | null {
	const opened = new Map<string, string>();
	return (sealed) => {
		const cached = opened.get(sealed);
		if (cached !== undefined) return cached;
		const plaintext = decryptSecret(sealed, keys);
		if (plaintext === null) return null;
		if (opened.size >= MAX_OPENED_SECRETS) opened.delete(opened.keys().next().value!);
		opened.set(sealed, plaintext);
		return plaintext;
	};
}

// --- Lucia, with our SQL: one join per validation (shared by requests that arrive together),
// every slide capped at the absolute lifetime, and every delete through the one door. ---

/** The largest batch Lucia's `deleteExpiredSessions` ends in one statement. */
const EXPIRED_BATCH = 1_000;

class MarqueeAdapter extends PostgresJsAdapter {
	constructor(
		private readonly sql: Sql,
		private readonly maxDays: number,
		private readonly ender: SessionEnder
	) {
		super(sql, { user: 'users', session: 'auth_sessions' });
	}

	override async setSession(session: DatabaseSession): Promise<void> {
		await insertSession(this.sql, { ...(session.attributes as SessionRow), ...session });
	}

	override async getSessionAndUser(
		sessionId: string
	): Promise<[session: DatabaseSession | null, user: DatabaseUser | null]> {
		const found = await selectSessionAndUser(this.sql, sessionId);
		if (!found) return [null, null];
		const { id, userId, expiresAt, ...attributes } = found.session;
		const { id: foundUserId, ...userAttributes } = found.user;
		return [
			{ id, userId, expiresAt, attributes },
			{ id: foundUserId, attributes: userAttributes }
		];
	}

	override async updateSessionExpiration(sessionId: string, expiresAt: Date): Promise<void> {
		await extendSessionExpiry(this.sql, sessionId, expiresAt, this.maxDays);
	}

	/** Lucia calls this for a session it found expired: it ends, its TMDB session queued. */
	override async deleteSession(sessionId: string): Promise<void> {
		await this.ender.endSessions({ sessionId }, 'expired');
	}

	override async deleteUserSessions(userId: string): Promise<void> {
		await this.ender.endSessions({ userId }, 'signed_out_everywhere');
	}

	override async deleteExpiredSessions(): Promise<void> {
		const which = { expiredBy: new Date(), limit: EXPIRED_BATCH };
		while ((await this.ender.endSessions(which, 'expired')) === EXPIRED_BATCH);
	}
}

function createLucia(
	sql: Sql,
	options: { idleDays: number; maxDays: number },
	ender: SessionEnder
) {
	return new Lucia(new MarqueeAdapter(sql, options.maxDays, ender), {
		sessionExpiresIn: new TimeSpan(options.idleDays, 'd'),
		getSessionAttributes: (attributes) => attributes,
		getUserAttributes: (attributes) => attributes
	});
}

declare module 'lucia' {
	interface Register {
		Lucia: ReturnType<typeof createLucia>;
		DatabaseSessionAttributes: SessionRow;
		DatabaseUserAttributes: UserRow;
	}
}

// --- The session manager ---

const DAY_MS = 24 * 60 * 60 * 1000;
const LAST_SEEN_RESOLUTION_MS = 60 * 60 * 1000;
const MAX_USER_AGENT_LENGTH = 512;

export type SessionOptions = {
	encryptionKeys: readonly Buffer[];
	idleDays: number;
	maxDays: number;
	/** How often a session's TMDB session is checked again. */
	tmdbCheckMinutes: number;
	/** How often the cleanup job runs; also the first retry delay of a queued TMDB session end. */
	cleanupMinutes: number;
};

export type ValidatedSession =
	{ session: AppSession; user: AppUser } | { session: null; user: null };

/**
 * The decrypted TMDB session id travels beside the session, not on it: `locals.session` is read
 * by pages, and keeping the secret off that object means no load can hand it to the browser.
 */
const tmdbSessionIds = new WeakMap<AppSession, string>();

export function tmdbSessionIdOf(session: AppSession): string | null {
	return tmdbSessionIds.get(session) ?? null;
}

export function createSessionManager(
	sql: Sql,
	options: SessionOptions,
	tmdb: Pick<TmdbClient, 'getAccount' | 'deleteSession'>,
	currentLog: () => Logger
) {
	const ender = createSessionEnder({
		sql,
		tmdb,
		encryptionKeys: options.encryptionKeys,
		retryBaseMs: options.cleanupMinutes * 60_000,
		log: currentLog
	});
	const lucia = createLucia(sql, options, ender);
	const openSecret = createSecretOpener(options.encryptionKeys);
	const absoluteEnd = (createdAt: Date) => new Date(createdAt.getTime() + options.maxDays * DAY_MS);
	/**
	 * When a session last seen at `lastSeenAt` has been idle too long by today's setting: Lucia
	 * only knows the expiry stored under an older, longer one. The hour of slack is how stale
	 * `last_seen_at` may be, so this never ends a session earlier than Lucia's own window.
	 */
	const idleMs = options.idleDays * DAY_MS + LAST_SEEN_RESOLUTION_MS;
	const idleEnd = (lastSeenAt: Date) => new Date(lastSeenAt.getTime() + idleMs);
	const tmdbCheckDueBefore = (now: Date) =>
		new Date(now.getTime() - options.tmdbCheckMinutes * 60_000);

	/**
	 * At most once per period per session across all instances (the claim is an UPDATE), the
	 * account is fetched again. TMDB saying the session is gone ends ours; TMDB merely in trouble
	 * keeps the person signed in; the stored profile is refreshed. Returns whether the session is
	 * still valid at TMDB (true when TMDB could not tell).
	 */
	async function revalidateTmdbSession(session: AppSession, log: Logger): Promise<boolean> {
		const now = new Date();
		const tmdbSessionId = tmdbSessionIdOf(session);
		if (!tmdbSessionId || !(await claimTmdbCheck(sql, session.id, tmdbCheckDueBefore(now), now))) {
			return true;
		}
		try {
			const account = await tmdb.getAccount(tmdbSessionId);
			await upsertTmdbUser(sql, account, now);
			log.debug(
				{ event: 'tmdb_session_checked', session: sessionLogId(session.id) },
				'TMDB session valid'
			);
			return true;
		} catch (error) {
			if (isTmdbError(error) && error.kind === 'session_invalid') {
				await ender.endSessions({ sessionId: session.id }, 'revoked_at_tmdb');
				return false;
			}
			log.warn(
				{
					event: 'tmdb_session_check_failed',
					tmdbError: isTmdbError(error) ? error.kind : 'unknown'
				},
				'could not check the TMDB session; keeping the person signed in'
			);
			return true;
		}
	}

	function toAppSession(
		id: string,
		userId: string,
		expiresAt: Date,
		row: SessionRow,
		fresh: boolean,
		tmdbSessionId: string
	): AppSession {
		const session: AppSession = {
			id,
			userId,
			expiresAt: new Date(Math.min(expiresAt.getTime(), absoluteEnd(row.createdAt).getTime())),
			createdAt: row.createdAt,
			lastSeenAt: row.lastSeenAt,
			tmdbCheckedAt: row.tmdbCheckedAt,
			userAgent: row.userAgent,
			fresh
		};
		tmdbSessionIds.set(session, tmdbSessionId);
		return session;
	}

	return {
		/** Starts a session for `userId`, whose row is stored already. */
		async createSession(
			userId: string,
			tmdbSessionId: string,
			userAgent: string | null
		): Promise<{ token: string; session: AppSession }> {
			const token = generateSessionToken();
			const now = new Date();
			const row: SessionRow = {
				createdAt: now,
				lastSeenAt: now,
				tmdbCheckedAt: now,
				tmdbSessionId: encryptSecret(tmdbSessionId, options.encryptionKeys),
				userAgent: userAgent?.slice(0, MAX_USER_AGENT_LENGTH) ?? null
			};
			const created = await lucia.createSession(userId, row, {
				sessionId: hashSessionToken(token)
			});
			const session = toAppSession(created.id, userId, created.expiresAt, row, true, tmdbSessionId);
			countSessionCreated();
			return { token, session };
		},

		/** One round trip when nothing changes; a write only when the window slides or hourly. */
		async validateSessionToken(token: string): Promise<ValidatedSession> {
			if (!isWellFormedSessionToken(token)) return { session: null, user: null };
			const id = hashSessionToken(token);
			const result = await lucia.validateSession(id);
			if (!result.session) return { session: null, user: null };
			const now = new Date();
			const row: SessionRow = result.session;
			const tmdbSessionId = openSecret(row.tmdbSessionId);
			// Lucia has checked the stored expiry; these are what it cannot know.
			const lifetimeOver = absoluteEnd(row.createdAt) <= now || idleEnd(row.lastSeenAt) <= now;
			if (tmdbSessionId === null || lifetimeOver) {
				const cause = tmdbSessionId === null ? 'unopenable' : 'lifetime_lowered';
				await ender.endSessions({ sessionId: id }, cause);
				return { session: null, user: null };
			}
			if (now.getTime() - row.lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_MS) {
				await touchSessionLastSeen(sql, id, now);
				row.lastSeenAt = now;
			}
			const { id: userId, ...user } = result.user;
			return {
				session: toAppSession(
					id,
					userId,
					result.session.expiresAt,
					row,
					result.session.fresh,
					tmdbSessionId
				),
				user: { id: userId, ...user }
			};
		},

		revalidateTmdbSession,

		/**
		 * Validation ends a session past a lowered lifetime when it is presented; this moves the
		 * expiry of every other one there too, so the cleanup job ends them (and their TMDB
		 * sessions) on time rather than at the longer expiry they were made with.
		 */
		capStoredExpiries: () => capSessionExpiries(sql, { maxDays: options.maxDays, idleMs }),

		/** Checks the session at TMDB when due, off the critical path: the request does not wait. */
		scheduleTmdbCheck(session: AppSession, log: Logger): void {
			if (session.tmdbCheckedAt > tmdbCheckDueBefore(new Date())) return;
			void revalidateTmdbSession(session, log).catch((error: unknown) =>
				log.warn({ event: 'tmdb_session_check_failed', err: error }, 'TMDB session check crashed')
			);
		},

		endSessions: ender.endSessions,
		endQueuedTmdbSessions: ender.endQueuedTmdbSessions,
		endUnusedTmdbSession: ender.endUnusedTmdbSession,

		/** The person's sessions, newest activity first. */
		listSessions: (userId: string): Promise<SessionListing[]> =>
			listActiveUserSessions(sql, userId, new Date())
	};
}

export type SessionManager = ReturnType<typeof createSessionManager>;
