import { describe, expect, test } from 'vitest';
import {
	ConfigError,
	parseConfig,
	SANDBOX_API_KEY,
	tracingRequested,
	type Env
} from '../../src/lib/server/config.ts';

const KEY_A = Buffer.alloc(32, 1).toString('base64');
const KEY_B = Buffer.alloc(32, 2).toString('base64');

const productionEnv: Env = {
	NODE_ENV: 'production',
	DATABASE_URL: 'postgres://marquee@db.internal:5432/marquee',
	SESSION_ENCRYPTION_KEYS: KEY_A,
	TMDB_API_KEY: 'k'.repeat(32)
};

function problemsOf(env: Env, dev = false): string[] {
	try {
		parseConfig(env, { dev });
	} catch (error) {
		if (error instanceof ConfigError) return error.problems;
		throw error;
	}
	return [];
}

describe('R7.1 configuration', () => {
	test('R7.2 development with no configuration at all uses the sandbox and the embedded database', () => {
		const config = parseConfig({}, { dev: true, developmentKeys: () => [Buffer.alloc(32, 9)] });
		expect(config.tmdb.sandbox).toBe(true);
		expect(config.database.url).toBeUndefined();
		expect(config.tmdb.credential).toEqual({ kind: 'api_key', apiKey: SANDBOX_API_KEY });
		// TMDB's pages are the in-app sandbox's; its API is answered in-process, never over HTTP.
		expect(config.tmdb.webUrl).toBe('/sandbox/tmdb');
		expect(config.tmdb.imageUrl).toBe('/sandbox/tmdb/t/p');
		expect(new URL(config.tmdb.apiUrl).hostname).toMatch(/\.invalid$/);
		expect(config.logLevel).toBe('debug');
		expect(config.session.encryptionKeys).toEqual([Buffer.alloc(32, 9)]);
	});

	test('a complete production configuration is accepted with its defaults', () => {
		const config = parseConfig(productionEnv, { dev: false });
		expect(config.production).toBe(true);
		expect(config.tmdb.sandbox).toBe(false);
		expect(config.logLevel).toBe('info');
		expect(config.session).toMatchObject({ idleDays: 30, maxDays: 90, tmdbCheckMinutes: 60 });
		expect(config.database.poolSize).toBe(4);
		expect(config.tmdb).toMatchObject({
			timeoutMs: 4000,
			retryBudgetMs: 10000
		});
		// Issue 21, item 4: a request, headers included, is bounded to 30 s, not Node's 300 s.
		expect(config.server).toEqual({
			host: '0.0.0.0',
			port: 3000,
			requestTimeoutMs: 30_000,
			headersTimeoutMs: 30_000,
			keepAliveTimeoutMs: undefined,
			shutdownTimeoutMs: 30_000,
			protocolHeader: undefined
		});
	});

	test('a read access token is sent as Bearer and preferred over a key', () => {
		const config = parseConfig(
			{ ...productionEnv, TMDB_READ_ACCESS_TOKEN: 'eyJ.token' },
			{ dev: false }
		);
		expect(config.tmdb.credential).toEqual({ kind: 'bearer', token: 'eyJ.token' });
	});

	test('several encryption keys: all decoded in order (the first encrypts)', () => {
		const config = parseConfig(
			{ ...productionEnv, SESSION_ENCRYPTION_KEYS: `${KEY_A}, ${KEY_B}` },
			{ dev: false }
		);
		expect(config.session.encryptionKeys.map((key) => key[0])).toEqual([1, 2]);
	});

	test('a TMDB credential in development turns the sandbox off unless asked for', () => {
		expect(parseConfig({ TMDB_API_KEY: 'k' }, { dev: true }).tmdb.sandbox).toBe(false);
		expect(
			parseConfig({ TMDB_API_KEY: 'k', TMDB_SANDBOX: 'true' }, { dev: true }).tmdb.sandbox
		).toBe(true);
	});

	test('R6.3 loopback http TMDB URLs are allowed and trailing slashes dropped', () => {
		const config = parseConfig(
			{
				...productionEnv,
				TMDB_API_URL: 'http://127.0.0.1:5999/',
				TMDB_WEB_URL: 'http://localhost:5999'
			},
			{ dev: false }
		);
		expect(config.tmdb.apiUrl).toBe('http://127.0.0.1:5999');
		expect(config.tmdb.webUrl).toBe('http://localhost:5999');
	});

	test.each([
		['TMDB_API_URL', 'http://api.themoviedb.org', /TMDB_API_URL: must use https/],
		['TMDB_WEB_URL', 'http://evil.example', /TMDB_WEB_URL: must use https/],
		['TMDB_API_URL', 'not a url', /TMDB_API_URL: expected an absolute URL/],
		['DATABASE_URL', 'mysql://db/x', /DATABASE_URL: expected a postgres:\/\//],
		['DATABASE_URL', 'postgres://u@h1,h2/db', /DATABASE_URL: name one host: host lists/],
		['DATABASE_URL', 'postgres://u:p@h1:5432,h2:5432/db', /DATABASE_URL: name one host/],
		[
			'SESSION_ENCRYPTION_KEYS',
			'c2hvcnQ=',
			/SESSION_ENCRYPTION_KEYS: key 1 is not a base64-encoded 32-byte key/
		],
		['SESSION_ENCRYPTION_KEYS', `${KEY_A},!!`, /SESSION_ENCRYPTION_KEYS: key 2 is not/],
		['TMDB_SANDBOX', 'yes', /TMDB_SANDBOX: expected true or false/],
		['LOG_LEVEL', 'loud', /LOG_LEVEL: expected one of/],
		['TMDB_TIMEOUT_MS', '-5', /TMDB_TIMEOUT_MS: expected a positive number of milliseconds/],
		['SESSION_IDLE_DAYS', '1.5', /SESSION_IDLE_DAYS: expected a whole number of days/],
		['SESSION_MAX_DAYS', '7', /SESSION_MAX_DAYS: must be at least SESSION_IDLE_DAYS/],
		['REQUEST_TIMEOUT', '0', /REQUEST_TIMEOUT: expected a positive number of seconds/],
		['HEADERS_TIMEOUT', '31', /HEADERS_TIMEOUT: must be at most REQUEST_TIMEOUT/],
		['PORT', '70000', /PORT: expected a port number/],
		['SOCKET_PATH', '/run/marquee.sock', /SOCKET_PATH: not supported/]
	])('R7.1 rejects a bad %s (%s) naming the variable', (name, value, message) => {
		const problems = problemsOf({ ...productionEnv, [name]: value });
		expect(problems.join('\n')).toMatch(message);
	});

	test.each([
		['DATABASE_URL', /DATABASE_URL: required outside development/],
		['SESSION_ENCRYPTION_KEYS', /SESSION_ENCRYPTION_KEYS: required outside development/],
		['TMDB_API_KEY', /TMDB_API_KEY: set TMDB_API_KEY or TMDB_READ_ACCESS_TOKEN/]
	])('R7.1 production refuses to start without %s', (name, message) => {
		const problems = problemsOf({ ...productionEnv, [name]: undefined });
		expect(problems.join('\n')).toMatch(message);
	});

	test('a DATABASE_URL whose password holds a comma still names one host', () => {
		const url = 'postgres://marquee:pa,ss@db.internal:5432/marquee?sslmode=require';
		const config = parseConfig({ ...productionEnv, DATABASE_URL: url }, { dev: false });
		expect(config.database.url).toBe(url);
	});

	test('outside development the keys are required without NODE_ENV=production too', () => {
		const env = { ...productionEnv, NODE_ENV: undefined, SESSION_ENCRYPTION_KEYS: undefined };
		expect(problemsOf(env).map((problem) => problem.split(':')[0])).toEqual([
			'SESSION_ENCRYPTION_KEYS'
		]);
		expect(parseConfig({ ...env, SESSION_ENCRYPTION_KEYS: KEY_A }, { dev: false }).production).toBe(
			false
		);
	});

	test('production with TMDB_SANDBOX=true needs no TMDB credential', () => {
		const config = parseConfig(
			{ ...productionEnv, TMDB_API_KEY: undefined, TMDB_SANDBOX: 'true' },
			{ dev: false }
		);
		expect(config.tmdb.sandbox).toBe(true);
	});

	test('every problem is reported at once', () => {
		const problems = problemsOf({ NODE_ENV: 'production', TMDB_API_URL: 'ftp://x' });
		expect(problems.map((problem) => problem.split(':')[0])).toEqual(['TMDB_API_URL']);
		const missing = problemsOf({ NODE_ENV: 'production' });
		expect(missing.map((problem) => problem.split(':')[0])).toEqual([
			'TMDB_API_KEY',
			'DATABASE_URL',
			'SESSION_ENCRYPTION_KEYS'
		]);
	});
});

describe('observability settings', () => {
	test('metrics are off unless METRICS_PORT is set, and then bound to loopback unless told', () => {
		expect(parseConfig(productionEnv, { dev: false }).metrics).toBeNull();
		expect(parseConfig({ ...productionEnv, METRICS_PORT: '9464' }, { dev: false }).metrics).toEqual(
			{ host: '127.0.0.1', port: 9464 }
		);
		const everywhere = { ...productionEnv, METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' };
		expect(parseConfig(everywhere, { dev: false }).metrics?.host).toBe('0.0.0.0');
	});

	test.each(['0', '65536', '9464.5', 'metrics'])('METRICS_PORT=%s stops the server', (port) => {
		expect(problemsOf({ ...productionEnv, METRICS_PORT: port })).toEqual([
			'METRICS_PORT: expected a port number (1-65535)'
		]);
	});

	test('tracing is wanted only with an OTLP endpoint, all traces unless a sampler says', () => {
		expect(tracingRequested({})).toBeNull();
		expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBeNull();
		expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({
			sampler: 'parentbased_always_on',
			ratio: 1
		});
		const sampled = {
			OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
			OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
			OTEL_TRACES_SAMPLER_ARG: '0.1'
		};
		expect(tracingRequested(sampled)).toEqual({ sampler: 'parentbased_traceidratio', ratio: 0.1 });
		expect(parseConfig({ ...productionEnv, ...sampled }, { dev: false })).toBeTruthy();
	});

	test('a bad OTLP endpoint, protocol or sampler stops the server, each named', () => {
		const problems = problemsOf({
			...productionEnv,
			OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
			OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
			OTEL_TRACES_SAMPLER: 'jaeger_remote',
			OTEL_TRACES_SAMPLER_ARG: '10'
		});
		expect(problems.map((problem) => problem.split(':')[0])).toEqual([
			'OTEL_EXPORTER_OTLP_ENDPOINT',
			'OTEL_EXPORTER_OTLP_PROTOCOL',
			'OTEL_TRACES_SAMPLER',
			'OTEL_TRACES_SAMPLER_ARG'
		]);
		expect(problems[1]).toMatch(/only http\/json/);
	});
});
