/**
 * Where the app is wired together, once per process: the configuration, the database pool, the
 * TMDB client and the session manager. In sandbox mode the TMDB client's calls go to the in-app
 * sandbox in-process (the configuration already points TMDB's URLs at it), so nothing below
 * knows the sandbox exists. Tests build their own with `createAuthServices`.
 */
import { getRequestEvent } from '$app/server';
import { getConfig, type Config } from './config.ts';
import type { Sql } from './db/client.ts';
import { db } from './db/index.ts';
import { createSessionManager, type SessionManager } from './auth/sessions.ts';
import { log, type Logger } from './log.ts';
import { createTmdbClient, type TmdbClient } from './tmdb/client.ts';
import { getAppSandbox } from './tmdb-sandbox/app-sandbox.ts';

export type AuthServices = {
	config: Config;
	sql: Sql;
	sessions: SessionManager;
	tmdb: TmdbClient;
};

export function createAuthServices(deps: {
	config: Config;
	sql: Sql;
	tmdb: TmdbClient;
}): AuthServices {
	return { ...deps, sessions: createSessionManager(deps.sql, deps.config.session, deps.tmdb) };
}

/** The current request's logger (it carries the request id); the root logger outside a request. */
function requestLog(): Logger {
	try {
		return getRequestEvent().locals.log ?? log;
	} catch {
		return log;
	}
}

/** Logs with the request's logger by default; a task outside requests passes its own. */
export function createAppTmdbClient(
	config: Config,
	logger: Logger | (() => Logger) = requestLog
): TmdbClient {
	const sandbox = config.tmdb.sandbox ? getAppSandbox(config) : null;
	return createTmdbClient({
		apiUrl: config.tmdb.apiUrl,
		credential: config.tmdb.credential,
		timeoutMs: config.tmdb.timeoutMs,
		retryBudgetMs: config.tmdb.retryBudgetMs,
		log: logger,
		fetch: sandbox ? (input, init) => sandbox.handle(new Request(input, init)) : undefined
	});
}

let services: AuthServices | undefined;

export function authServices(): AuthServices {
	if (!services) {
		const config = getConfig();
		services = createAuthServices({ config, sql: db(), tmdb: createAppTmdbClient(config) });
	}
	return services;
}
