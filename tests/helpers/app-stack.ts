/**
 * The whole app as integration tests run it: a fresh database, the standalone TMDB sandbox, and
 * the built server. A test file (or a describe block) calls `useAppStack()` once; `startAppStack`
 * is for a test that starts its own, and `appEnv` for more servers on the same two.
 */
import { afterAll, beforeAll } from 'vitest';
import { startSandboxServer, type SandboxServer } from '../support/tmdb-sandbox/server.ts';
import { startApp, type AppProcess } from './app-process.ts';
import { createTestDatabase, databaseEnv, type TestDatabase } from './database.ts';

export const APP_TMDB_KEY = 'deadbeefdeadbeefdeadbeefdeadbeef';

/** Env for an app instance that uses `database` and the standalone sandbox as TMDB. */
export function appEnv(
	database: TestDatabase,
	sandbox: SandboxServer,
	extra: Record<string, string> = {}
) {
	return {
		...databaseEnv(database),
		TMDB_API_KEY: APP_TMDB_KEY,
		TMDB_API_URL: sandbox.url,
		TMDB_WEB_URL: sandbox.url,
		TMDB_IMAGE_URL: `${sandbox.url}/t/p`,
		// One attempt may take the whole budget: on a loaded CI machine (three suites side by side
		// on two cores) the sandbox's answers took longer than 1.5 s. Retries and backoff are the
		// budget's, as before; no test here waits for a timeout of the app's.
		TMDB_TIMEOUT_MS: '3000',
		TMDB_RETRY_BUDGET_MS: '3000',
		SIGN_IN_RATE_LIMIT_PER_MINUTE: '100000',
		...extra
	};
}

export async function startAppStack(extra: Record<string, string> = {}) {
	const database = await createTestDatabase({ sharedWithApp: true });
	const sandbox = await startSandboxServer({ port: 0, credentials: [APP_TMDB_KEY] });
	let app: AppProcess;
	try {
		app = await startApp(appEnv(database, sandbox, extra));
	} catch (error) {
		await sandbox.stop();
		await database.drop();
		throw error;
	}
	return {
		database,
		sandbox,
		app,
		async rowCounts() {
			const [row] = await database.sql<{ users: number; sessions: number }[]>`
				SELECT (SELECT count(*)::int FROM users) AS users,
					(SELECT count(*)::int FROM auth_sessions) AS sessions`;
			return row!;
		},
		async stop() {
			await app.stop();
			await sandbox.stop();
			await database.drop();
		}
	};
}

export type AppStack = Awaited<ReturnType<typeof startAppStack>>;

/**
 * One app stack for the enclosing file or describe block: started before its first test, stopped
 * after its last. The returned object reads through to the running stack, so tests write
 * `stack.app.url` as with a stack of their own.
 */
export function useAppStack(extra: Record<string, string> = {}): AppStack {
	let started: AppStack | undefined;
	beforeAll(async () => {
		started = await startAppStack(extra);
	}, 60_000);
	afterAll(async () => {
		await started?.stop();
	});
	const running = () => {
		if (!started)
			throw new Error('the app stack starts in beforeAll: use it inside a test or hook');
		return started;
	};
	return {
		get database() {
			return running().database;
		},
		get sandbox() {
			return running().sandbox;
		},
		get app() {
			return running().app;
		},
		rowCounts: () => running().rowCounts(),
		stop: () => running().stop()
	};
}
