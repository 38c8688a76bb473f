/**
 * Server start and stop, called from `hooks.server.ts`. A bad configuration stops the process with
 * a message naming each variable, not a stack trace.
 */
import { startSessionCleanup } from './auth/cleanup.ts';
import { ConfigError, loadConfig, type Config, type Env } from './config.ts';
import type { AppContext } from './context.ts';
import { closeDatabase, DatabaseStartError, openDatabase, type Sql } from './db/index.ts';
import { log, runWithLogger, setRootLogLevel } from './log.ts';
import { readTmdbSessionEndQueue, startMetrics, type MetricsOptions } from './observability.ts';
import { createAppContext } from './services.ts';
import { isTmdbError } from './tmdb/errors.ts';

const shutdownTasks: Array<() => Promise<void> | void> = [];

/** Registers work to do when adapter-node shuts down (SIGTERM/SIGINT), newest first. */
export function onShutdown(task: () => Promise<void> | void): void {
	shutdownTasks.unshift(task);
}

export function readConfigOrExit(env: Env, dev: boolean): Config {
	try {
		return loadConfig(env, { dev });
	} catch (error) {
		if (!(error instanceof ConfigError)) throw error;
		console.error(`Marquee cannot start.\n${error.message}`);
		process.exit(1);
	}
}

/** Builds the app context once; every request gets it as `locals.app`. */
export async function startServer(env: Env, dev: boolean): Promise<AppContext> {
	const config = readConfigOrExit(env, dev);
	setRootLogLevel(config.logLevel);
	if (!dev && !config.production) {
		log.warn('NODE_ENV is not production, so responses carry no HSTS; `npm start` sets it');
	}
	if (config.production && config.tmdb.sandbox) {
		log.warn(
			'TMDB_SANDBOX=true in production: sign-in uses the built-in TMDB sandbox, not TMDB. Never do this for real users.'
		);
	}
	// Before the pool opens, so its statements are counted from the first; the end-session queue
	// is read at each scrape once it is open.
	const pool: { sql?: Sql } = {};
	if (config.metrics) {
		const readQueue = async () => readTmdbSessionEndQueue(pool.sql!);
		onShutdown(await startMetricsOrExit({ ...config.metrics, readEndSessionQueue: readQueue }));
	}
	const database = await openDatabaseOrExit(config);
	pool.sql = database.sql;
	onShutdown(closeDatabase);
	const app = createAppContext({ config, ...database });
	onShutdown(startSessionCleanup(app, log.child({ task: 'session_cleanup' })));
	process.once('sveltekit:shutdown', (reason: string) => {
		log.info({ reason }, 'shutting down');
		void runShutdownTasks();
	});
	if (!config.tmdb.sandbox) void verifyTmdbCredential(app);
	return app;
}

async function startMetricsOrExit(options: MetricsOptions) {
	const where = `${options.host}:${options.port}`;
	try {
		const stop = await startMetrics(options);
		log.info({ event: 'metrics_started' }, `metrics at http://${where}/metrics`);
		return stop;
	} catch (error) {
		const code = (error as { code?: unknown }).code;
		console.error(`Marquee cannot start: cannot serve metrics on ${where} (${String(code)})`);
		process.exit(1);
	}
}

async function openDatabaseOrExit(config: Config) {
	try {
		return await openDatabase(config, log);
	} catch (error) {
		if (!(error instanceof DatabaseStartError)) throw error;
		log.fatal({ event: 'database_start_failed', host: error.host }, error.message);
		console.error(`Marquee cannot start: ${error.message}`);
		process.exit(1);
	}
}

/**
 * A wrong TMDB key shows up at start, in the logs, rather than at the first person's sign-in.
 * It does not stop the server: TMDB may merely be unreachable for a moment.
 */
async function verifyTmdbCredential(app: AppContext): Promise<void> {
	// Not part of a request: the task name stands where a request id would.
	const taskLog = log.child({ task: 'tmdb_credential_check' });
	try {
		await runWithLogger(taskLog, () => app.tmdb.checkCredential());
		taskLog.info('TMDB accepted the configured credential');
	} catch (error) {
		if (isTmdbError(error) && error.kind === 'invalid_credential') {
			taskLog.error(
				{ event: 'tmdb_credential_rejected', tmdbCode: error.statusCode },
				'TMDB rejected TMDB_API_KEY / TMDB_READ_ACCESS_TOKEN: sign-in will fail until it is fixed'
			);
		} else {
			taskLog.warn(
				{
					event: 'tmdb_credential_unchecked',
					tmdbError: isTmdbError(error) ? error.kind : 'unknown'
				},
				'could not check the TMDB credential at start'
			);
		}
	}
}

async function runShutdownTasks(): Promise<void> {
	for (const task of shutdownTasks.splice(0)) {
		try {
			await task();
		} catch (error) {
			log.error({ err: error }, 'shutdown task failed');
		}
	}
}
