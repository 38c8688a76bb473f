/**
 * What the app is made of: built once at start (`services.ts`, the composition root) and handed
 * to every request as `event.locals.app`, and to the cleanup job. Only the type lives here, so
 * the modules that use the context never import the module that builds it.
 */
import type { SessionManager } from './auth/sessions.ts';
import type { Config } from './config.ts';
import type { Sql } from './db/client.ts';
import type { TmdbClient } from './tmdb/client.ts';
import type { TmdbSandbox } from './tmdb-sandbox/sandbox.ts';

export type AppContext = {
	config: Config;
	sql: Sql;
	/** The one TMDB client; it logs with the current request's logger. */
	tmdb: TmdbClient;
	sessions: SessionManager;
	/** The in-app TMDB sandbox in sandbox mode (TMDB_SANDBOX=true), otherwise null. */
	sandbox: TmdbSandbox | null;
	/** The newest migration this build ships: what `/readyz` expects the database to have. */
	schemaVersion: number;
};
