import type { TmdbAccount } from '../tmdb/client.ts';
import type { Sql } from './client.ts';
import { randomUUID } from 'node:crypto';

/** Inserts or refreshes the user of a TMDB account and returns our user id. */
export async function upsertTmdbUser(sql: Sql, account: TmdbAccount, now: Date): Promise<string> {
	const [row] = await sql<{ id: string }[]>`
		INSERT INTO users (id, tmdb_account_id, username, name, avatar_path, gravatar_hash, language,
			region, include_adult, created_at, updated_at)
		VALUES (${randomUUID()}, ${account.id}, ${account.username}, ${account.name},
			${account.avatarPath}, ${account.gravatarHash}, ${account.language}, ${account.region},
			${account.includeAdult}, ${now}, ${now})
		ON CONFLICT (tmdb_account_id) DO UPDATE SET
			username = EXCLUDED.username, name = EXCLUDED.name, avatar_path = EXCLUDED.avatar_path,
			gravatar_hash = EXCLUDED.gravatar_hash, language = EXCLUDED.language,
			region = EXCLUDED.region, include_adult = EXCLUDED.include_adult, updated_at = EXCLUDED.updated_at
		RETURNING id`;
	return row!.id;
}

/** Keeps the stored profile in step with TMDB after a periodic check (R4.4). */
export async function refreshTmdbProfile(
	sql: Sql,
	userId: string,
	account: TmdbAccount,
	now: Date
): Promise<void> {
	await sql`
		UPDATE users SET username = ${account.username}, name = ${account.name},
			avatar_path = ${account.avatarPath}, gravatar_hash = ${account.gravatarHash},
			language = ${account.language}, region = ${account.region},
			include_adult = ${account.includeAdult}, updated_at = ${now}
		WHERE id = ${userId} AND tmdb_account_id = ${account.id}`;
}
