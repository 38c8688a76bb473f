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

/** `log` gives the logger to write to at the moment of writing (the current request's by default). */
export function createAuthServices(deps: {
	config: Config;
	sql: Sql;
	tmdb: TmdbClient;
	log?: () => Logger;
}): AuthServices {
	const { config, sql, tmdb, log = requestLog } = deps;
	return { config, sql, tmdb, sessions: createSessionManager(sql, config.session, tmdb, log) };
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
