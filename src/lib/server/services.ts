/**
 * Where the app is wired together, once per process: the configuration, the database pool, the
 * TMDB client and the session manager become one `AppContext` (context.ts). In sandbox mode the
 * TMDB client's calls go to the in-app sandbox in-process (the configuration already points
 * TMDB's URLs at it), so nothing below knows the sandbox exists. Tests build their own.
 */
import { getRequestEvent } from '$app/server';
import { SANDBOX_API_KEY, SANDBOX_BASE_PATH, type Config } from './config.ts';
import type { AppContext } from './context.ts';
import type { Sql } from './db/client.ts';
import { createSessionManager } from './auth/sessions.ts';
import { log, taskLogger, type Logger } from './log.ts';
import { createTmdbClient, type TmdbClient } from './tmdb/client.ts';
import { createDatabaseState, type SandboxState } from './tmdb-sandbox/protocol-state.ts';
import { createTmdbSandbox, type TmdbSandbox } from './tmdb-sandbox/sandbox.ts';

/**
 * `log` gives the logger to write to at the moment of writing: the current request's by default,
 * so one client and one session manager serve every request and the job.
 */
export function createAppContext(deps: {
	config: Config;
	sql: Sql;
	schemaVersion: number;
	tmdb?: TmdbClient;
	log?: () => Logger;
}): AppContext {
	const { config, sql, schemaVersion, log: currentLog = requestLog } = deps;
	const sandbox = config.tmdb.sandbox ? createAppSandbox(config, createDatabaseState(sql)) : null;
	const tmdb = deps.tmdb ?? createAppTmdbClient(config, sandbox, currentLog);
	const sessions = createSessionManager(sql, config.session, tmdb, currentLog);
	return { config, sql, tmdb, sessions, sandbox, schemaVersion };
}

/**
 * The in-app sandbox of sandbox mode (TMDB_SANDBOX). Its state is in the app's database, so
 * every instance answers for every other, and a restart (or Vite reloading a module) forgets
 * nothing.
 */
export function createAppSandbox(config: Config, state: SandboxState): TmdbSandbox {
	const { credential } = config.tmdb;
	return createTmdbSandbox({
		credentials: [
			SANDBOX_API_KEY,
			credential.kind === 'api_key' ? credential.apiKey : credential.token
		],
		webBasePath: SANDBOX_BASE_PATH,
		state
	});
}

/** TMDB as configured: in sandbox mode, the in-app sandbox called in-process. */
export function createAppTmdbClient(
	config: Config,
	sandbox: TmdbSandbox | null,
	log: () => Logger = requestLog
): TmdbClient {
	return createTmdbClient({
		apiUrl: config.tmdb.apiUrl,
		credential: config.tmdb.credential,
		timeoutMs: config.tmdb.timeoutMs,
		retryBudgetMs: config.tmdb.retryBudgetMs,
		log,
		fetch: sandbox ? (input, init) => sandbox.handle(new Request(input, init)) : undefined
	});
}

/** The current request's logger (it carries the request id), else the task's, else the root. */
function requestLog(): Logger {
	try {
		return getRequestEvent().locals.log ?? log;
	} catch {
		return taskLogger() ?? log;
	}
}
