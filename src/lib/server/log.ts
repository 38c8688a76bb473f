/**
 * One pino root logger for the process. Request handlers use a child logger carrying the
 * request id. Redaction is a safety net: code must not log secrets in the first place.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';

export type { Logger };

/** Field names that may hold secrets anywhere in a log object. */
const SECRET_FIELDS = [
	'apiKey',
	'api_key',
	'token',
	'requestToken',
	'request_token',
	'sessionId',
	'session_id',
	'sessionToken',
	'tmdbSessionId',
	'cookie',
	'authorization',
	'password'
];

export const REDACT_PATHS = [
	...SECRET_FIELDS,
	...SECRET_FIELDS.map((field) => `*.${field}`),
	'req.headers.cookie',
	'req.headers.authorization',
	'res.headers["set-cookie"]'
];

/** The ids of the active span, when tracing is on (docs/observability.md): a log line finds its trace. */
function traceIds(): object {
	const span = trace.getActiveSpan()?.spanContext();
	return span ? { trace_id: span.traceId, span_id: span.spanId } : {};
}

/** LOG_LEVEL when pino knows it; a bad value starts at info, and config.ts then names it. */
function levelFromEnv(value = process.env.LOG_LEVEL): string {
	return value && (value in pino.levels.values || value === 'silent') ? value : 'info';
}

export function createLogger(
	level: string = levelFromEnv(),
	destination?: pino.DestinationStream
): Logger {
	const options: pino.LoggerOptions = {
		level,
		base: { app: 'marquee' },
		redact: { paths: REDACT_PATHS, censor: '[redacted]' },
		timestamp: pino.stdTimeFunctions.isoTime,
		mixin: traceIds
	};
	return destination ? pino(options, destination) : pino(options);
}

/** Where the root logger writes: one JSON object per line on stdout, unless `setLogOutput` changed it. */
let output: { write(line: string): unknown } = pino.destination(1);

/** The process's root logger; `setRootLogLevel` adjusts it once configuration is read. */
export const log: Logger = createLogger(undefined, { write: (line) => output.write(line) });

/** Sends the root logger's lines elsewhere: `hooks.server.ts` makes them readable in development. */
export function setLogOutput(stream: { write(line: string): unknown }): void {
	output = stream;
}

export function setRootLogLevel(level: string): void {
	log.level = level;
}

const taskLoggers = new AsyncLocalStorage<Logger>();

/**
 * Runs work that belongs to no request (the cleanup job, the credential check at start) with
 * `logger` as its current logger, so the lines of shared clients name the task.
 */
export function runWithLogger<T>(logger: Logger, work: () => T): T {
	return taskLoggers.run(logger, work);
}

/** The logger of the task running now (see `runWithLogger`), if any. */
export function taskLogger(): Logger | undefined {
	return taskLoggers.getStore();
}

/** A request path as logged: the sandbox's approval page carries a request token in its path. */
export function loggablePath(pathname: string): string {
	return pathname.replace(/\/authenticate\/[^/]+/, '/authenticate/[redacted]');
}
