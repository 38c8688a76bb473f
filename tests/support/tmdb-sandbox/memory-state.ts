/**
 * The standalone sandbox's state, in memory: the same rules as the app's database state
 * (src/lib/server/tmdb-sandbox/protocol-state.ts), plus what only tests do synchronously (decide
 * a token, revoke sessions, forget everything).
 */
import type { SandboxAccount } from '../../../src/lib/server/tmdb-sandbox/accounts.ts';
import {
	lookupOf,
	newOpaqueId,
	newRequestToken,
	type RequestToken,
	type SandboxSession,
	type SandboxState,
	type TokenDecision,
	type TokenLookup
} from '../../../src/lib/server/tmdb-sandbox/protocol-state.ts';
import { seedFor } from '../../../src/lib/server/tmdb-sandbox/watchlists.ts';

export function createMemoryState(now: () => number = Date.now) {
	const tokens = new Map<string, RequestToken>();
	const sessions = new Map<string, SandboxSession>();
	/** Account id → movie ids in the order they were added. */
	const lists = new Map<number, number[]>();

	const lookupToken = (value: string): TokenLookup => lookupOf(tokens.get(value), now());
	const listOf = (account: SandboxAccount) => {
		if (!lists.has(account.id)) lists.set(account.id, seedFor(account));
		return lists.get(account.id)!;
	};

	const state: SandboxState = {
		async createToken(credential) {
			for (const [value, token] of tokens) {
				if (token.expiresAt <= now()) tokens.delete(value);
			}
			const token = newRequestToken(credential, now());
			tokens.set(token.value, token);
			return token;
		},
		lookupToken: async (value) => lookupToken(value),
		async decideToken(value, decision) {
			decideToken(value, decision);
		},
		async redeemToken(token, account) {
			const stored = tokens.get(token.value);
			if (!stored || stored.used) return null;
			stored.used = true;
			const session = { id: newOpaqueId(), credential: stored.credential, account };
			sessions.set(session.id, session);
			return session;
		},
		findSession: async (id) => sessions.get(id),
		deleteSession: async (id) => sessions.delete(id),
		watchlist: async (account) => [...listOf(account)],
		async setOnWatchlist(account, movieId, onList) {
			const list = listOf(account);
			const index = list.indexOf(movieId);
			if (!onList) {
				if (index !== -1) list.splice(index, 1);
				return 'removed';
			}
			if (index !== -1) return 'already_there';
			list.push(movieId);
			return 'added';
		}
	};

	function decideToken(value: string, decision: TokenDecision): boolean {
		const lookup = lookupToken(value);
		if (lookup.status !== 'ok') return false;
		lookup.token.decision = decision;
		return true;
	}

	return {
		state,
		/** Approves or denies a usable token; false otherwise. */
		decideToken,
		revokeSession: (id: string) => sessions.delete(id),
		/** Ends every session of the accounts that `match`, like revoking app access on TMDB's site. */
		revokeAccountSessions(match: (account: SandboxAccount) => boolean): number {
			let count = 0;
			for (const [id, session] of sessions) {
				if (match(session.account)) {
					sessions.delete(id);
					count += 1;
				}
			}
			return count;
		},
		clear() {
			tokens.clear();
			sessions.clear();
			lists.clear();
		}
	};
}
