/**
 * The sign-in stack as the app wires it, around a fresh database and the standalone TMDB
 * sandbox over HTTP. Cookies go through a small jar that records what would be sent.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Cookies, RequestEvent } from '@sveltejs/kit';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { AppContext } from '../../src/lib/server/context.ts';
import { createAppContext } from '../../src/lib/server/services.ts';
import { completeTmdbLogin, startTmdbLogin } from '../../src/lib/server/auth/login.ts';
import type { AppSession } from '../../src/lib/server/auth/types.ts';
import { parseConfig } from '../../src/lib/server/config.ts';
import { latestMigrationVersion } from '../../src/lib/server/db/migrate.ts';
import { createLogger, type Logger } from '../../src/lib/server/log.ts';
import { createTmdbClient } from '../../src/lib/server/tmdb/client.ts';
import { startSandboxServer, type SandboxServer } from '../support/tmdb-sandbox/server.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

export const API_KEY = 'c0ffee00c0ffee00c0ffee00c0ffee00';
export const ORIGIN = 'https://marquee.test';
export const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0';

type CookieOptions = Parameters<Cookies['set']>[2];
export type SetCookie = { value: string; options: CookieOptions };

export class CookieJar {
	readonly store = new Map<string, SetCookie>();
	get(name: string): string | undefined {
		return this.store.get(name)?.value;
	}
	set(name: string, value: string, options: CookieOptions): void {
		this.store.set(name, { value, options });
	}
	delete(name: string, _options: CookieOptions): void {
		this.store.delete(name);
	}
}

export type Harness = {
	database: TestDatabase;
	sandbox: SandboxServer;
	/** The app context the sign-in code gets as `locals.app`. */
	services: AppContext;
	logs: string[];
	/** The logger the services' TMDB client and the tests' contexts write to. */
	log: Logger;
	encryptionKeys: Buffer[];
	close(): Promise<void>;
	/**
	 * Services sharing the sandbox, with other settings (e.g. keys), a `fetch`, or another pool on
	 * the database (as another instance would have).
	 */
	servicesWith(
		overrides: Record<string, string>,
		options?: { fetch?: typeof globalThis.fetch; sql?: TestDatabase['sql'] }
	): AppContext;
};

export async function startHarness(): Promise<Harness> {
	const database = await createTestDatabase();
	const schemaVersion = await latestMigrationVersion();
	const sandbox = await startSandboxServer({ port: 0, credentials: [API_KEY] });
	const logs: string[] = [];
	const destination = new Writable({
		write(chunk, _encoding, done) {
			logs.push(String(chunk));
			done();
		}
	});
	const log = createLogger('debug', destination);
	const encryptionKeys = [randomBytes(32)];
	const baseEnv = {
		NODE_ENV: 'production',
		DATABASE_URL: database.url,
		TMDB_API_KEY: API_KEY,
		TMDB_API_URL: sandbox.url,
		TMDB_WEB_URL: sandbox.url,
		ORIGIN,
		TMDB_TIMEOUT_MS: '1000',
		TMDB_RETRY_BUDGET_MS: '1500',
		// Every sign-in of these tests comes from one address; the limit has tests of its own.
		SIGN_IN_RATE_LIMIT_PER_MINUTE: '100000',
		SESSION_ENCRYPTION_KEYS: encryptionKeys.map((key) => key.toString('base64')).join(',')
	};
	const servicesWith: Harness['servicesWith'] = (overrides, options = {}) => {
		const config = parseConfig({ ...baseEnv, ...overrides }, { dev: false });
		const tmdb = createTmdbClient({
			apiUrl: config.tmdb.apiUrl,
			credential: config.tmdb.credential,
			timeoutMs: config.tmdb.timeoutMs,
			retryBudgetMs: config.tmdb.retryBudgetMs,
			baseDelayMs: 5,
			log,
			fetch: options.fetch
		});
		return createAppContext({
			config,
			sql: options.sql ?? database.sql,
			schemaVersion,
			tmdb,
			log: () => log
		});
	};
	return {
		database,
		sandbox,
		services: servicesWith({}),
		logs,
		log,
		encryptionKeys,
		servicesWith,
		close: async () => {
			await sandbox.stop();
			await database.drop();
		}
	};
}

/**
 * The parts of a SvelteKit request the sign-in code reads: cookies (in the jar), the URL (on
 * the app's https origin, so cookies get their `__Host-` names), the user agent, the client
 * address, and the request's locals.
 */
export function eventFor(
	harness: Harness,
	jar: CookieJar,
	options: { session?: AppSession | null; params?: URLSearchParams; app?: AppContext } = {}
): RequestEvent {
	const url = new URL(options.params ? `/auth/callback?${options.params}` : '/auth/login', ORIGIN);
	return {
		url,
		cookies: jar as unknown as Cookies,
		request: new Request(url, { headers: { 'user-agent': USER_AGENT } }),
		locals: {
			app: options.app ?? harness.services,
			requestId: 'test',
			log: harness.log,
			user: null,
			session: options.session ?? null
		},
		getClientAddress: () => '203.0.113.10',
		setHeaders: () => undefined
	} as unknown as RequestEvent;
}

/** Starts sign-in and returns the request token from the approval URL, as TMDB would see it. */
export async function startLogin(harness: Harness, jar: CookieJar, returnTo?: string) {
	const approvalUrl = new URL(await startTmdbLogin(eventFor(harness, jar), returnTo));
	const requestToken = approvalUrl.pathname.split('/').pop()!;
	return { approvalUrl, requestToken };
}

export function callbackParams(requestToken: string, verdict: 'approved' | 'denied' = 'approved') {
	return new URLSearchParams({ request_token: requestToken, [verdict]: 'true' });
}

/** The whole handshake for `username`; returns the cookie token and the session. */
export async function signIn(
	harness: Harness,
	options: { username?: string; jar?: CookieJar; returnTo?: string; services?: AppContext } = {}
) {
	const services = options.services ?? harness.services;
	const jar = options.jar ?? new CookieJar();
	const { requestToken } = await startLogin({ ...harness, services }, jar, options.returnTo);
	harness.sandbox.sandbox.decideRequestToken(requestToken, {
		approve: true,
		username: options.username ?? 'ada'
	});
	const outcome = await completeTmdbLogin(
		eventFor(harness, jar, { params: callbackParams(requestToken), app: services })
	);
	if (outcome.kind !== 'signed_in') throw new Error('expected a new session');
	return { jar, requestToken, token: jar.get('__Host-marquee_session')!, ...outcome };
}

export async function countRows(harness: Harness) {
	const [row] = await harness.database.sql<{ users: number; sessions: number }[]>`
		SELECT (SELECT count(*)::int FROM users) AS users,
			(SELECT count(*)::int FROM auth_sessions) AS sessions`;
	return row!;
}

/**
 * One harness per test file, filled in before the first test; every test starts with no users,
 * sessions or queued TMDB sessions, and a fresh sandbox.
 */
export function useHarness(): Harness {
	const harness = {} as Harness;
	beforeAll(async () => {
		Object.assign(harness, await startHarness());
	});
	afterAll(async () => {
		await harness.close?.();
	});
	beforeEach(async () => {
		harness.sandbox.sandbox.reset();
		await harness.database.sql`DELETE FROM users`;
		await harness.database.sql`DELETE FROM tmdb_session_ends`;
	});
	return harness;
}
