/**
 * Everything sign-in needs, built once per process from the configuration. Tests build their own
 * with `createAuthServices` around a fresh database and the standalone TMDB sandbox.
 */
import { getConfig, type Config } from '../config.ts';
import type { Sql } from '../db/client.ts';
import { db } from '../db/index.ts';
import { currentLog, log as rootLog, type Logger } from '../log.ts';
import { createAppTmdbClient } from '../tmdb/index.ts';
import type { TmdbClient } from '../tmdb/client.ts';
import { createSessionManager, type SessionManager } from './sessions.ts';

export type AuthServices = {
	config: Config;
	sql: Sql;
	sessions: SessionManager;
	tmdb: TmdbClient;
	log: Logger;
};

export function createAuthServices(deps: {
	config: Config;
	sql: Sql;
	tmdb: TmdbClient;
	log: Logger;
}): AuthServices {
	return { ...deps, sessions: createSessionManager(deps.sql, deps.config.session) };
}

let services: AuthServices | undefined;

export function authServices(): AuthServices {
	if (!services) {
		const config = getConfig();
		services = createAuthServices({
			config,
			sql: db(),
			tmdb: createAppTmdbClient(config, currentLog),
			log: rootLog
		});
	}
	return services;
}
