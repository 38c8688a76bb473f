/**
 * What the sandbox remembers, with TMDB's rules: request tokens live 60 minutes, are single use
 * and belong to the credential that created them; sessions last until deleted or revoked; each
 * account has a movie watchlist, seeded on first use.
 *
 * The app keeps it in PostgreSQL (`createDatabaseState`), so that with several instances every
 * one answers for the tokens, sessions and watchlists another handed out (issue 26), and a
 * restart forgets nothing. The tests' standalone sandbox keeps it in memory
 * (tests/support/tmdb-sandbox/memory-state.ts). Token values and session ids are stored as
 * SHA-256 digests, and credentials only ever as digests (`credentialDigest`).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from '../db/client.ts';
import { sandboxAccountForUsername, type SandboxAccount } from './accounts.ts';
import { seedFor, type WatchlistChange } from './watchlists.ts';

export const REQUEST_TOKEN_LIFETIME_MS = 60 * 60 * 1000;
const OPAQUE_ID = /^[0-9a-f]{40}$/;

export type TokenDecision = { approved: true; account: SandboxAccount } | { approved: false };

export type RequestToken = {
	value: string;
	/** The digest of the credential that created it. */
	credential: string;
	expiresAt: number;
	decision: TokenDecision | null;
	used: boolean;
};

export type SandboxSession = { id: string; credential: string; account: SandboxAccount };

export type TokenLookup =
	{ status: 'ok'; token: RequestToken } | { status: 'unknown' | 'expired' | 'used' };

export type SandboxState = {
	createToken(credential: string): Promise<RequestToken>;
	lookupToken(value: string): Promise<TokenLookup>;
	/** The last decision counts until the app redeems the token. */
	decideToken(value: string, decision: TokenDecision): Promise<void>;
	/** Uses the token up and opens a session for `account`; null when another call used it first. */
	redeemToken(token: RequestToken, account: SandboxAccount): Promise<SandboxSession | null>;
	findSession(id: string): Promise<SandboxSession | undefined>;
	deleteSession(id: string): Promise<boolean>;
	/** The account's watchlist: movie ids in the order they were added. */
	watchlist(account: SandboxAccount): Promise<number[]>;
	setOnWatchlist(
		account: SandboxAccount,
		movieId: number,
		onList: boolean
	): Promise<WatchlistChange>;
};

/** 40 lower-case hex characters, like TMDB's request tokens and session ids. */
export function newOpaqueId(): string {
	return randomBytes(20).toString('hex');
}

export function isOpaqueId(value: unknown): value is string {
	return typeof value === 'string' && OPAQUE_ID.test(value);
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** How the state knows a credential: never the key or token itself. */
export const credentialDigest = sha256;

export function lookupOf(token: RequestToken | undefined, now: number): TokenLookup {
	if (!token) return { status: 'unknown' };
	if (token.used) return { status: 'used' };
	if (token.expiresAt <= now) return { status: 'expired' };
	return { status: 'ok', token };
}

export function newRequestToken(credential: string, now: number): RequestToken {
	const expiresAt = now + REQUEST_TOKEN_LIFETIME_MS;
	return { value: newOpaqueId(), credential, expiresAt, decision: null, used: false };
}

/** The sandbox's state in the app's database (migrations/0006_tmdb_sandbox.sql). */
export function createDatabaseState(sql: Sql, now: () => number = Date.now): SandboxState {
	const accountNamed = (username: string) => sandboxAccountForUsername(username)!;
	// One statement: an instance that reads while another seeds waits for the seed's row.
	const seedOnce = (account: SandboxAccount) => sql`
		WITH list AS (
			INSERT INTO tmdb_sandbox_watchlists (account_id) VALUES (${account.id})
			ON CONFLICT DO NOTHING RETURNING account_id)
		INSERT INTO tmdb_sandbox_watchlist_movies (account_id, movie_id)
		SELECT list.account_id, seed.movie_id
		FROM list, unnest(${seedFor(account)}::int[]) WITH ORDINALITY AS seed (movie_id, n)
		ORDER BY seed.n`;

	return {
		async createToken(credential) {
			const token = newRequestToken(credential, now());
			await sql`DELETE FROM tmdb_sandbox_request_tokens WHERE expires_at <= ${new Date(now())}`;
			await sql`
				INSERT INTO tmdb_sandbox_request_tokens (token_hash, credential, expires_at)
				VALUES (${sha256(token.value)}, ${credential}, ${new Date(token.expiresAt)})`;
			return token;
		},

		async lookupToken(value) {
			const [row] = await sql<
				{
					credential: string;
					expiresAt: Date;
					approved: boolean | null;
					username: string | null;
					used: boolean;
				}[]
			>`
				SELECT credential, expires_at AS "expiresAt", approved, username, used
				FROM tmdb_sandbox_request_tokens WHERE token_hash = ${sha256(value)}`;
			const decision: TokenDecision | null =
				row?.approved == null
					? null
					: row.approved
						? { approved: true, account: accountNamed(row.username!) }
						: { approved: false };
			const token = row && {
				value,
				credential: row.credential,
				expiresAt: row.expiresAt.getTime(),
				decision,
				used: row.used
			};
			return lookupOf(token, now());
		},

		async decideToken(value, decision) {
			await sql`
				UPDATE tmdb_sandbox_request_tokens
				SET approved = ${decision.approved},
					username = ${decision.approved ? decision.account.username : null}
				WHERE token_hash = ${sha256(value)} AND NOT used`;
		},

		async redeemToken(token, account) {
			const id = newOpaqueId();
			const rows = await sql`
				WITH redeemed AS (
					UPDATE tmdb_sandbox_request_tokens SET used = true
					WHERE token_hash = ${sha256(token.value)} AND NOT used RETURNING credential)
				INSERT INTO tmdb_sandbox_sessions (session_hash, credential, username)
				SELECT ${sha256(id)}, credential, ${account.username} FROM redeemed
				RETURNING 1`;
			return rows.length === 1 ? { id, credential: token.credential, account } : null;
		},

		async findSession(id) {
			const [row] = await sql<{ credential: string; username: string }[]>`
				SELECT credential, username FROM tmdb_sandbox_sessions WHERE session_hash = ${sha256(id)}`;
			return row && { id, credential: row.credential, account: accountNamed(row.username) };
		},

		async deleteSession(id) {
			const rows = await sql`
				DELETE FROM tmdb_sandbox_sessions WHERE session_hash = ${sha256(id)} RETURNING 1`;
			return rows.length === 1;
		},

		async watchlist(account) {
			await seedOnce(account);
			const rows = await sql<{ movieId: number }[]>`
				SELECT movie_id AS "movieId" FROM tmdb_sandbox_watchlist_movies
				WHERE account_id = ${account.id} ORDER BY position`;
			return rows.map((row) => row.movieId);
		},

		async setOnWatchlist(account, movieId, onList) {
			await seedOnce(account);
			if (!onList) {
				await sql`
					DELETE FROM tmdb_sandbox_watchlist_movies
					WHERE account_id = ${account.id} AND movie_id = ${movieId}`;
				return 'removed';
			}
			const added = await sql`
				INSERT INTO tmdb_sandbox_watchlist_movies (account_id, movie_id)
				VALUES (${account.id}, ${movieId}) ON CONFLICT DO NOTHING RETURNING 1`;
			return added.length === 1 ? 'added' : 'already_there';
		}
	};
}
