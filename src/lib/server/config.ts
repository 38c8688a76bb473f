/**
 * The one place that reads the environment. `parseConfig` is pure so tests can feed it any
 * environment; `loadConfig` reads `process.env` once, fills development defaults, and caches.
 *
 * The caller passes the environment (`$env/dynamic/private` in the app, which includes `.env`
 * files under `vite dev`), so plain Node scripts and tests can load this module too.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
	constructor(readonly problems: string[]) {
		super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
		this.name = 'ConfigError';
	}
}

/** The sandbox's built-in credential: only ever accepted by the sandbox. */
export const SANDBOX_API_KEY = 'marquee-sandbox-api-key';

/** In sandbox mode TMDB is the app's own sandbox: its pages are served under this path. */
export const SANDBOX_BASE_PATH = '/sandbox/tmdb';
/**
 * In sandbox mode the TMDB client's calls are answered in-process (see services.ts), never
 * over HTTP, so credentials and session ids never appear in URLs a request log sees.
 */
const SANDBOX_API_URL = 'http://in-app-sandbox.invalid';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackHost(hostname: string): boolean {
	if (LOOPBACK_HOSTS.has(hostname)) return true;
	return isIP(hostname) === 4 && hostname.startsWith('127.');
}

/** The host part of a URL's authority, read as text: `new URL` rejects `h1:5432,h2:5432`. */
const hostsOf = (url: string) => {
	const authority = url.replace(/^[^:]*:\/\//, '').split(/[/?#]/)[0] ?? '';
	return authority.slice(authority.lastIndexOf('@') + 1);
};

const emptyAsUndefined = (value: unknown) =>
	typeof value === 'string' && value.trim() === '' ? undefined : value;

const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());

/** A TMDB base URL: https, or http only when it points at this machine. */
const tmdbUrl = (fallback: string) =>
	z.preprocess(
		emptyAsUndefined,
		z
			.url({ message: 'expected an absolute URL such as https://api.themoviedb.org' })
			.default(fallback)
			.refine(
				(value) => {
					// zod runs refinements even after the URL check failed; that failure is reported already.
					if (!URL.canParse(value)) return true;
					const url = new URL(value);
					return (
						url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))
					);
				},
				{ message: 'must use https:// (plain http:// is allowed only for loopback addresses)' }
			)
			.transform((value) => value.replace(/\/+$/, ''))
	);

const booleanFlag = z.preprocess(
	emptyAsUndefined,
	z
		.enum(['true', 'false', '1', '0'], { message: 'expected true or false' })
		.transform((value) => value === 'true' || value === '1')
		.optional()
);

const positiveInteger = (fallback: number, unit: string) =>
	z.preprocess(
		emptyAsUndefined,
		z.coerce
			.number({ message: `expected a whole number of ${unit}` })
			.int({ message: `expected a whole number of ${unit}` })
			.positive({ message: `expected a positive number of ${unit}` })
			.default(fallback)
	);

/** adapter-node's optional server settings, in seconds. */
const optionalSeconds = z.preprocess(
	emptyAsUndefined,
	z.coerce
		.number({ message: 'expected a whole number of seconds' })
		.int({ message: 'expected a whole number of seconds' })
		.positive({ message: 'expected a positive number of seconds' })
		.optional()
);

/** A TCP port; 0 (any free one) only where `lowest` allows it. */
const portNumber = (lowest: 0 | 1) => {
	const message = `expected a port number (${lowest}-65535)`;
	return z.coerce
		.number({ message })
		.int({ message })
		.min(lowest, { message })
		.max(65_535, { message });
};

const encryptionKeys = z.preprocess(
	emptyAsUndefined,
	z
		.string()
		.transform((value, ctx) => {
			const keys = value.split(',').map((part) => part.trim());
			const decoded: Buffer[] = [];
			for (const [index, key] of keys.entries()) {
				const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(key) ? Buffer.from(key, 'base64') : null;
				if (!bytes || bytes.length !== 32) {
					ctx.addIssue({
						code: 'custom',
						message: `key ${index + 1} is not a base64-encoded 32-byte key (generate one with: openssl rand -base64 32)`
					});
					return z.NEVER;
				}
				decoded.push(bytes);
			}
			return decoded;
		})
		.optional()
);

const logLevel = z.preprocess(
	emptyAsUndefined,
	z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
		message: 'expected one of fatal, error, warn, info, debug, trace, silent'
	})
);

/** The standard OTEL_TRACES_SAMPLER values this app honours (OTEL_TRACES_SAMPLER_ARG: the ratio). */
const TRACES_SAMPLERS = [
	'always_on',
	'traceidratio',
	'parentbased_always_on',
	'parentbased_traceidratio'
] as const;

const envSchema = z.object({
	NODE_ENV: optionalString,
	DATABASE_URL: z.preprocess(
		emptyAsUndefined,
		z
			.url({ message: 'expected a PostgreSQL URL such as postgres://user@host:5432/db' })
			.refine((value) => !URL.canParse(value) || /^postgres(ql)?:$/.test(new URL(value).protocol), {
				message: 'expected a postgres:// or postgresql:// URL'
			})
			// The app's own socket (db/client.ts) connects to one host; a list would use its first
			// host only, silently, so it is refused.
			.refine((value) => !hostsOf(value).includes(','), {
				message:
					'name one host: host lists (failover) are not supported; use the single address or DNS name your provider fails over'
			})
			.optional()
	),
	// Small on purpose: on the benchmark's two cores a pool of 10 made PostgreSQL's backends fight
	// the app for CPU (docs/performance.md); raise it where the database has cores of its own.
	DATABASE_POOL_SIZE: positiveInteger(4, 'connections'),
	DATABASE_POOLER: z.preprocess(
		emptyAsUndefined,
		z
			.enum(['transaction'], {
				message:
					'expected transaction (DATABASE_URL points at a transaction-mode pooler such as PgBouncer), or leave it unset for a direct connection'
			})
			.optional()
	),
	DATABASE_CONNECT_TIMEOUT_MS: positiveInteger(5_000, 'milliseconds'),
	DATABASE_QUERY_TIMEOUT_MS: positiveInteger(10_000, 'milliseconds'),
	DATABASE_START_TIMEOUT_SECONDS: positiveInteger(60, 'seconds'),
	TMDB_API_KEY: optionalString,
	TMDB_READ_ACCESS_TOKEN: optionalString,
	TMDB_API_URL: tmdbUrl('https://api.themoviedb.org'),
	TMDB_WEB_URL: tmdbUrl('https://www.themoviedb.org'),
	TMDB_IMAGE_URL: tmdbUrl('https://image.tmdb.org/t/p'),
	TMDB_SANDBOX: booleanFlag,
	TMDB_TIMEOUT_MS: positiveInteger(4_000, 'milliseconds'),
	TMDB_RETRY_BUDGET_MS: positiveInteger(10_000, 'milliseconds'),
	TMDB_REVALIDATE_MINUTES: positiveInteger(60, 'minutes'),
	SESSION_ENCRYPTION_KEYS: encryptionKeys,
	SESSION_IDLE_DAYS: positiveInteger(30, 'days'),
	SESSION_MAX_DAYS: positiveInteger(90, 'days'),
	SESSION_CLEANUP_MINUTES: positiveInteger(5, 'minutes'),
	SESSION_MAX_PER_USER: positiveInteger(20, 'sessions'),
	SIGN_IN_RATE_LIMIT_PER_MINUTE: positiveInteger(10, 'attempts'),
	ORIGIN: z.preprocess(
		emptyAsUndefined,
		z
			.url({ message: 'expected the public URL of the app, such as https://marquee.example' })
			.optional()
	),
	LOG_LEVEL: logLevel.optional(),
	// Read by the OpenTelemetry exporter itself; checked here so a typo stops the server.
	OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(
		emptyAsUndefined,
		z
			.url({
				protocol: /^https?$/,
				message: 'expected the OTLP/HTTP base URL, such as http://collector:4318'
			})
			.optional()
	),
	OTEL_EXPORTER_OTLP_PROTOCOL: z.preprocess(
		emptyAsUndefined,
		z
			.enum(['http/json'], {
				message: 'only http/json is supported (the OTLP/HTTP JSON exporter); leave it unset'
			})
			.optional()
	),
	OTEL_TRACES_SAMPLER: z.preprocess(
		emptyAsUndefined,
		z.enum(TRACES_SAMPLERS, { message: `expected one of ${TRACES_SAMPLERS.join(', ')}` }).optional()
	),
	OTEL_TRACES_SAMPLER_ARG: z.preprocess(
		emptyAsUndefined,
		z.coerce
			.number({ message: 'expected the share of traces to keep, from 0 to 1 (such as 0.1)' })
			.min(0, { message: 'expected the share of traces to keep, from 0 to 1 (such as 0.1)' })
			.max(1, { message: 'expected the share of traces to keep, from 0 to 1 (such as 0.1)' })
			.optional()
	),
	METRICS_PORT: z.preprocess(emptyAsUndefined, portNumber(1).optional()),
	METRICS_HOST: z.preprocess(emptyAsUndefined, z.string().default('127.0.0.1')),
	// The HTTP server (http-server.ts). HOST, PORT, KEEP_ALIVE_TIMEOUT, HEADERS_TIMEOUT and
	// SHUTDOWN_TIMEOUT are adapter-node's names, kept where its entry is replaced.
	HOST: z.preprocess(emptyAsUndefined, z.string().default('0.0.0.0')),
	PORT: z.preprocess(emptyAsUndefined, portNumber(0).default(3000)),
	SOCKET_PATH: z.preprocess(
		emptyAsUndefined,
		z.undefined({ message: 'not supported by Marquee’s server: listen on HOST and PORT' })
	),
	PROTOCOL_HEADER: optionalString,
	REQUEST_TIMEOUT: positiveInteger(30, 'seconds'),
	HEADERS_TIMEOUT: optionalSeconds,
	KEEP_ALIVE_TIMEOUT: optionalSeconds,
	SHUTDOWN_TIMEOUT: positiveInteger(30, 'seconds')
});

/**
 * Whether OpenTelemetry tracing is wanted, and which traces to keep (the standard sampler
 * variables; by default all): `src/instrumentation.server.ts` asks before the app loads, so the
 * SDK is imported only then (docs/observability.md). Lenient, as it runs before the checks:
 * a bad value stops the server once `parseConfig` reads it.
 */
export function tracingRequested(env: Env): TracingSettings | null {
	if (!emptyAsUndefined(env.OTEL_EXPORTER_OTLP_ENDPOINT)) return null;
	const sampler = TRACES_SAMPLERS.find((name) => name === env.OTEL_TRACES_SAMPLER);
	const ratio = Number(env.OTEL_TRACES_SAMPLER_ARG ?? 1);
	return {
		sampler: sampler ?? 'parentbased_always_on',
		ratio: ratio >= 0 && ratio <= 1 ? ratio : 1
	};
}

export type TracingSettings = { sampler: (typeof TRACES_SAMPLERS)[number]; ratio: number };

export type ParseOptions = {
	/** true under `vite dev` (and the test runner): enables the development defaults. */
	dev: boolean;
	/** Keys to use when SESSION_ENCRYPTION_KEYS is unset in development. */
	developmentKeys?: () => Buffer[];
};

/** The parsed variables of `schema`, or a ConfigError naming every bad one. */
function readEnv<Schema extends z.ZodType>(schema: Schema, env: Env): z.output<Schema> {
	const result = schema.safeParse(env);
	if (result.success) return result.data;
	throw new ConfigError(
		result.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`)
	);
}

/** Validates an environment. Throws a ConfigError naming every bad variable. */
export function parseConfig(env: Env, options: ParseOptions) {
	const vars = readEnv(envSchema, env);
	const production = vars.NODE_ENV === 'production' && !options.dev;
	const hasCredential = Boolean(vars.TMDB_API_KEY || vars.TMDB_READ_ACCESS_TOKEN);
	const sandbox = vars.TMDB_SANDBOX ?? (options.dev && !hasCredential);
	const problems: string[] = [];

	if (!options.dev && !sandbox && !hasCredential) {
		problems.push(
			'TMDB_API_KEY: set TMDB_API_KEY or TMDB_READ_ACCESS_TOKEN (or TMDB_SANDBOX=true to use the built-in sandbox)'
		);
	}
	if (!options.dev && !vars.DATABASE_URL) {
		problems.push(
			'DATABASE_URL: required outside development (postgres://user@host:5432/db); only `npm run dev` falls back to the embedded database'
		);
	}
	// Not only with NODE_ENV=production: a built server started as `node build` would otherwise
	// seal with a key generated on its disk, and every session would end when that disk went.
	if (!options.dev && !vars.SESSION_ENCRYPTION_KEYS) {
		problems.push(
			'SESSION_ENCRYPTION_KEYS: required outside development (comma-separated base64 32-byte keys; openssl rand -base64 32); only `npm run dev` generates one into .data/'
		);
	}
	if (vars.SESSION_MAX_DAYS < vars.SESSION_IDLE_DAYS) {
		problems.push('SESSION_MAX_DAYS: must be at least SESSION_IDLE_DAYS');
	}
	// Node refuses a headers bound longer than the request bound.
	if ((vars.HEADERS_TIMEOUT ?? 0) > vars.REQUEST_TIMEOUT) {
		problems.push('HEADERS_TIMEOUT: must be at most REQUEST_TIMEOUT');
	}
	if (problems.length > 0) throw new ConfigError(problems);

	const encryptionKeys = vars.SESSION_ENCRYPTION_KEYS ??
		options.developmentKeys?.() ?? [randomBytes(32)];

	return {
		dev: options.dev,
		production,
		database: parseDatabaseConfig(env),
		/** The HTTP server's settings (http-server.ts), in milliseconds. */
		server: {
			host: vars.HOST,
			port: vars.PORT,
			/** Whole request, headers and body: a client trickling bytes is cut off after this (408). */
			requestTimeoutMs: vars.REQUEST_TIMEOUT * 1000,
			/** Headers alone; at most `requestTimeoutMs`. */
			headersTimeoutMs: (vars.HEADERS_TIMEOUT ?? vars.REQUEST_TIMEOUT) * 1000,
			/** Idle keep-alive connections; undefined: Node's default. */
			keepAliveTimeoutMs: vars.KEEP_ALIVE_TIMEOUT && vars.KEEP_ALIVE_TIMEOUT * 1000,
			/** How long a shutdown waits for requests in flight before closing their connections. */
			shutdownTimeoutMs: vars.SHUTDOWN_TIMEOUT * 1000,
			/** adapter-node's PROTOCOL_HEADER (lower-case): https or http when ORIGIN is unset. */
			protocolHeader: vars.PROTOCOL_HEADER?.toLowerCase()
		},
		origin: vars.ORIGIN?.replace(/\/+$/, ''),
		logLevel: vars.LOG_LEVEL ?? (options.dev ? 'debug' : 'info'),
		/** Prometheus metrics at http://host:port/metrics, apart from the site; null: off. */
		metrics: vars.METRICS_PORT ? { host: vars.METRICS_HOST, port: vars.METRICS_PORT } : null,
		tmdb: {
			sandbox,
			apiUrl: sandbox ? SANDBOX_API_URL : vars.TMDB_API_URL,
			webUrl: sandbox ? SANDBOX_BASE_PATH : vars.TMDB_WEB_URL,
			imageUrl: sandbox ? `${SANDBOX_BASE_PATH}/t/p` : vars.TMDB_IMAGE_URL,
			credential: vars.TMDB_READ_ACCESS_TOKEN
				? { kind: 'bearer' as const, token: vars.TMDB_READ_ACCESS_TOKEN }
				: { kind: 'api_key' as const, apiKey: vars.TMDB_API_KEY ?? SANDBOX_API_KEY },
			timeoutMs: vars.TMDB_TIMEOUT_MS,
			retryBudgetMs: vars.TMDB_RETRY_BUDGET_MS
		},
		session: {
			encryptionKeys,
			idleDays: vars.SESSION_IDLE_DAYS,
			maxDays: vars.SESSION_MAX_DAYS,
			/** How often a session's TMDB session is checked again. */
			tmdbCheckMinutes: vars.TMDB_REVALIDATE_MINUTES,
			cleanupMinutes: vars.SESSION_CLEANUP_MINUTES,
			/** Signing in beyond this many sessions ends the person's least recently used ones. */
			maxPerUser: vars.SESSION_MAX_PER_USER,
			/** Sign-in starts (and, separately, callbacks) allowed per client address per minute. */
			signInRateLimitPerMinute: vars.SIGN_IN_RATE_LIMIT_PER_MINUTE
		}
	};
}

/**
 * Just the database settings: everything `db/client.ts` needs to open a pool, for tools such as
 * `npm run migrate` that need nothing else.
 */
export function parseDatabaseConfig(env: Env) {
	const vars = readEnv(
		envSchema.pick({
			DATABASE_URL: true,
			DATABASE_POOL_SIZE: true,
			DATABASE_POOLER: true,
			DATABASE_CONNECT_TIMEOUT_MS: true,
			DATABASE_QUERY_TIMEOUT_MS: true,
			DATABASE_START_TIMEOUT_SECONDS: true
		}),
		env
	);
	return {
		url: vars.DATABASE_URL,
		poolSize: vars.DATABASE_POOL_SIZE,
		/** `transaction`: DATABASE_URL is a transaction-mode pooler (no prepared statements, no session state). */
		pooler: vars.DATABASE_POOLER,
		/** Bound on opening a connection, TCP and start-up handshake included. */
		connectTimeoutMs: vars.DATABASE_CONNECT_TIMEOUT_MS,
		/** Server-side statement timeout; the client drops a connection that stays silent longer. */
		queryTimeoutMs: vars.DATABASE_QUERY_TIMEOUT_MS,
		/** How long start-up keeps retrying an unreachable database before giving up. */
		startTimeoutSeconds: vars.DATABASE_START_TIMEOUT_SECONDS
	};
}

export type Config = ReturnType<typeof parseConfig>;
export type DatabaseConfig = ReturnType<typeof parseDatabaseConfig>;

/** Where development keeps its embedded database and generated key. */
export const DATA_DIR = path.resolve(process.env.MARQUEE_DATA_DIR ?? '.data');

/** Development only: one key generated on first start and kept in `.data/`, so sessions survive restarts. */
export function readOrCreateDevelopmentKey(dataDir = DATA_DIR): Buffer[] {
	const file = path.join(dataDir, 'session-encryption-key');
	if (!existsSync(file)) {
		mkdirSync(dataDir, { recursive: true });
		writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
	}
	return [Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')];
}

let loaded: Config | undefined;

/** The app's configuration, read from the environment on first use and cached for the process. */
export function loadConfig(env: Env, options: { dev: boolean }): Config {
	loaded ??= parseConfig(env, {
		dev: options.dev,
		developmentKeys: () => readOrCreateDevelopmentKey()
	});
	return loaded;
}
