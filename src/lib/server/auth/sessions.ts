/**
 * App sessions on top of Lucia (R4, R6.2): hashed ids, sliding expiry capped by an absolute
 * lifetime, `last_seen_at` written at most hourly, and the TMDB session id sealed at rest.
 */
import type { Sql } from '../db/client.ts';
import {
	deleteOtherUserSessions,
	deleteUserSession,
	deleteUserSessionsBeyond,
	listActiveUserSessions,
	touchSessionLastSeen,
	type SessionListing
} from '../db/sessions.ts';
import { createLucia, type SessionRow, type UserRow } from './lucia.ts';
import { decryptSecret, encryptSecret } from './secret-box.ts';
import {
	generateSessionToken,
	hashSessionToken,
	isWellFormedSessionToken
} from './session-token.ts';
import type { AppSession, AppUser } from './types.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const LAST_SEEN_RESOLUTION_MS = 60 * 60 * 1000;
const MAX_USER_AGENT_LENGTH = 512;

export type SessionOptions = {
	encryptionKeys: readonly Buffer[];
	idleDays: number;
	maxDays: number;
	maxPerUser: number;
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

function toAppUser(id: string, row: UserRow): AppUser {
	return {
		id,
		tmdbAccountId: Number(row.tmdb_account_id),
		username: row.username,
		name: row.name,
		avatarPath: row.avatar_path,
		gravatarHash: row.gravatar_hash,
		language: row.language,
		region: row.region,
		includeAdult: row.include_adult
	};
}

export function createSessionManager(sql: Sql, options: SessionOptions) {
	const lucia = createLucia(sql, options);
	const openSecret = createSecretOpener(options.encryptionKeys);
	const absoluteEnd = (createdAt: Date) => new Date(createdAt.getTime() + options.maxDays * DAY_MS);

	function toAppSession(
		id: string,
		userId: string,
		expiresAt: Date,
		row: SessionRow,
		fresh: boolean
	): AppSession {
		return {
			id,
			userId,
			expiresAt: new Date(Math.min(expiresAt.getTime(), absoluteEnd(row.created_at).getTime())),
			createdAt: row.created_at,
			lastSeenAt: row.last_seen_at,
			tmdbCheckedAt: row.tmdb_checked_at,
			userAgent: row.user_agent,
			fresh
		};
	}

	return {
		/**
		 * Starts a session for `userId`. Pass the transaction the user was stored in, so a user is
		 * never stored without a session nor a session without a user.
		 */
		async createSession(
			tx: Sql,
			userId: string,
			tmdbSessionId: string,
			userAgent: string | null
		): Promise<{ token: string; session: AppSession }> {
			const token = generateSessionToken();
			const now = new Date();
			const attributes: SessionRow = {
				created_at: now,
				last_seen_at: now,
				tmdb_checked_at: now,
				tmdb_session_id: encryptSecret(tmdbSessionId, options.encryptionKeys),
				user_agent: userAgent?.slice(0, MAX_USER_AGENT_LENGTH) ?? null
			};
			const created = await createLucia(tx, options).createSession(userId, attributes, {
				sessionId: hashSessionToken(token)
			});
			const session = toAppSession(created.id, userId, created.expiresAt, attributes, true);
			tmdbSessionIds.set(session, tmdbSessionId);
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
			const tmdbSessionId = openSecret(row.tmdb_session_id);
			if (absoluteEnd(row.created_at) <= now || tmdbSessionId === null) {
				await lucia.invalidateSession(id);
				return { session: null, user: null };
			}
			if (now.getTime() - row.last_seen_at.getTime() >= LAST_SEEN_RESOLUTION_MS) {
				await touchSessionLastSeen(sql, id, now);
				row.last_seen_at = now;
			}
			const session = toAppSession(
				id,
				result.user.id,
				result.session.expiresAt,
				row,
				result.session.fresh
			);
			tmdbSessionIds.set(session, tmdbSessionId);
			return { session, user: toAppUser(result.user.id, result.user) };
		},

		async invalidateSession(sessionId: string): Promise<void> {
			await lucia.invalidateSession(sessionId);
		},

		/** The person's sessions, newest activity first. */
		async listSessions(userId: string): Promise<SessionListing[]> {
			return listActiveUserSessions(sql, userId, new Date());
		},

		/**
		 * Ends one of the person's own sessions and returns its TMDB session id (null when it could
		 * not be opened); another user's session, or none, gives null and changes nothing (R6.4).
		 */
		async revokeSession(
			userId: string,
			sessionId: string
		): Promise<{ tmdbSessionId: string | null } | null> {
			const deleted = await deleteUserSession(sql, userId, sessionId);
			return deleted && { tmdbSessionId: openSecret(deleted.tmdbSessionId) };
		},

		/**
		 * Ends the person's least recently used sessions beyond the cap, in the transaction that
		 * starts a new one; returns the TMDB session ids that ended with them.
		 */
		async endSessionsBeyondCap(tx: Sql, userId: string): Promise<string[]> {
			const sealed = await deleteUserSessionsBeyond(tx, userId, options.maxPerUser);
			return sealed.map(openSecret).filter((value): value is string => value !== null);
		},

		/** "Sign out everywhere else": returns the TMDB session ids that ended with them. */
		async revokeOtherSessions(userId: string, keepSessionId: string): Promise<string[]> {
			const sealed = await deleteOtherUserSessions(sql, userId, keepSessionId);
			return sealed.map(openSecret).filter((value): value is string => value !== null);
		}
	};
}

export type SessionManager = ReturnType<typeof createSessionManager>;
