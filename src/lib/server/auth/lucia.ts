/**
 * Lucia v3 is no longer maintained, so it stays behind this file: nothing else imports `lucia`.
 *
 * The stock PostgreSQL adapter validates a session with two parallel queries (session, then
 * user). `SingleQueryAdapter` replaces that with one join, so validating costs one round trip,
 * and caps every sliding extension at the session's absolute lifetime.
 */
import { PostgresJsAdapter } from '@lucia-auth/adapter-postgresql';
import { Lucia, TimeSpan, type DatabaseSession, type DatabaseUser } from 'lucia';
import type { Sql } from '../db/client.ts';

export type SessionRow = {
	created_at: Date;
	last_seen_at: Date;
	tmdb_checked_at: Date;
	tmdb_session_id: string;
	user_agent: string | null;
};

export type UserRow = {
	tmdb_account_id: string | number;
	username: string;
	name: string;
	avatar_path: string | null;
	gravatar_hash: string | null;
	language: string | null;
	region: string | null;
	include_adult: boolean;
};

class SingleQueryAdapter extends PostgresJsAdapter {
	constructor(
		private readonly sql: Sql,
		private readonly maxDays: number
	) {
		super(sql, { user: 'users', session: 'auth_sessions' });
	}

	override async getSessionAndUser(
		sessionId: string
	): Promise<[session: DatabaseSession | null, user: DatabaseUser | null]> {
		const [row] = await this.sql`
			SELECT s.id, s.user_id, s.expires_at, s.created_at, s.last_seen_at, s.tmdb_checked_at,
				s.tmdb_session_id, s.user_agent,
				u.tmdb_account_id, u.username, u.name, u.avatar_path, u.gravatar_hash, u.language,
				u.region, u.include_adult
			FROM auth_sessions s JOIN users u ON u.id = s.user_id
			WHERE s.id = ${sessionId}`;
		if (!row) return [null, null];
		const session: DatabaseSession = {
			id: row.id,
			userId: row.user_id,
			expiresAt: row.expires_at,
			attributes: {
				created_at: row.created_at,
				last_seen_at: row.last_seen_at,
				tmdb_checked_at: row.tmdb_checked_at,
				tmdb_session_id: row.tmdb_session_id,
				user_agent: row.user_agent
			} satisfies SessionRow
		};
		const user: DatabaseUser = {
			id: row.user_id,
			attributes: {
				tmdb_account_id: row.tmdb_account_id,
				username: row.username,
				name: row.name,
				avatar_path: row.avatar_path,
				gravatar_hash: row.gravatar_hash,
				language: row.language,
				region: row.region,
				include_adult: row.include_adult
			} satisfies UserRow
		};
		return [session, user];
	}

	override async updateSessionExpiration(sessionId: string, expiresAt: Date): Promise<void> {
		await this.sql`
			UPDATE auth_sessions
			SET expires_at = LEAST(${expiresAt}::timestamptz, created_at + make_interval(days => ${this.maxDays}))
			WHERE id = ${sessionId}`;
	}
}

export function createLucia(sql: Sql, options: { idleDays: number; maxDays: number }) {
	return new Lucia(new SingleQueryAdapter(sql, options.maxDays), {
		sessionExpiresIn: new TimeSpan(options.idleDays, 'd'),
		getSessionAttributes: (attributes) => attributes,
		getUserAttributes: (attributes) => attributes
	});
}

export type AuthLucia = ReturnType<typeof createLucia>;

declare module 'lucia' {
	interface Register {
		Lucia: AuthLucia;
		DatabaseSessionAttributes: SessionRow;
		DatabaseUserAttributes: UserRow;
	}
}
