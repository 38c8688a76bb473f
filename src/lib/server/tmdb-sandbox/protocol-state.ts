/**
 * Request tokens and sessions, with TMDB's rules: tokens live 60 minutes, are single use and
 * belong to the credential that created them; sessions last until deleted or revoked.
 */
import { randomBytes } from 'node:crypto';
import type { SandboxAccount } from './accounts.ts';

export const REQUEST_TOKEN_LIFETIME_MS = 60 * 60 * 1000;
/** Keeps a dev server that creates tokens in a loop from growing without bound. */
const MAX_PENDING_TOKENS = 10_000;
const OPAQUE_ID = /^[0-9a-f]{40}$/;

export type RequestToken = {
	value: string;
	credential: string;
	expiresAt: number;
	decision: { approved: true; account: SandboxAccount } | { approved: false } | null;
	used: boolean;
};

export type SandboxSession = { id: string; credential: string; account: SandboxAccount };

export type TokenLookup =
	{ status: 'ok'; token: RequestToken } | { status: 'unknown' | 'expired' | 'used' };

/** 40 lower-case hex characters, like TMDB's request tokens and session ids. */
export function newOpaqueId(): string {
	return randomBytes(20).toString('hex');
}

export function isOpaqueId(value: unknown): value is string {
	return typeof value === 'string' && OPAQUE_ID.test(value);
}

export function createProtocolState(now: () => number) {
	const tokens = new Map<string, RequestToken>();
	const sessions = new Map<string, SandboxSession>();

	function dropExpiredTokens() {
		const cutoff = now();
		for (const [value, token] of tokens) {
			if (token.expiresAt <= cutoff) tokens.delete(value);
		}
		while (tokens.size >= MAX_PENDING_TOKENS) {
			const oldest = tokens.keys().next().value;
			if (oldest === undefined) break;
			tokens.delete(oldest);
		}
	}

	return {
		createToken(credential: string): RequestToken {
			dropExpiredTokens();
			const token: RequestToken = {
				value: newOpaqueId(),
				credential,
				expiresAt: now() + REQUEST_TOKEN_LIFETIME_MS,
				decision: null,
				used: false
			};
			tokens.set(token.value, token);
			return token;
		},

		lookupToken(value: string): TokenLookup {
			const token = tokens.get(value);
			if (!token) return { status: 'unknown' };
			if (token.used) return { status: 'used' };
			if (token.expiresAt <= now()) return { status: 'expired' };
			return { status: 'ok', token };
		},

		/** Marks the token used and opens a session for the account that approved it. */
		redeemToken(token: RequestToken, account: SandboxAccount): SandboxSession {
			token.used = true;
			const session = { id: newOpaqueId(), credential: token.credential, account };
			sessions.set(session.id, session);
			return session;
		},

		findSession(id: string): SandboxSession | undefined {
			return sessions.get(id);
		},

		deleteSession(id: string): boolean {
			return sessions.delete(id);
		},

		/** Ends every session of one account, like revoking app access on TMDB's site. */
		deleteAccountSessions(match: (account: SandboxAccount) => boolean): number {
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
		}
	};
}

export type ProtocolState = ReturnType<typeof createProtocolState>;
