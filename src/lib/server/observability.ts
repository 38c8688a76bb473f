/**
 * What an operator sees (docs/observability.md): OpenTelemetry traces and Prometheus metrics,
 * each off unless configured. Tracing starts in `src/instrumentation.server.ts`, before the app
 * is imported, when OTEL_EXPORTER_OTLP_ENDPOINT is set; metrics start with the server when
 * METRICS_PORT is. Either way the SDK or prom-client is imported only then. The rest of the app
 * records what happened with one-line calls to the functions below; while both are off, each is
 * a check of two variables.
 */
import {
	context,
	INVALID_SPAN_CONTEXT,
	propagation,
	SpanStatusCode,
	trace,
	type Attributes,
	type Span,
	type Tracer
} from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { createServer } from 'node:http';
import type { Gauge, Registry } from 'prom-client';
import type { SessionEndCause } from './auth/session-ends.ts';
import type { TracingSettings } from './config.ts';
import type { Sql } from './db/client.ts';
import { loggablePath } from './log.ts';
import { SIGN_IN_FAILURES, type SignInFailure } from '../failures.ts';

// --- Traces ---

let tracer: Tracer | null = null;
const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * Registers the OpenTelemetry SDK: W3C trace context, the sampler asked for, spans batched to the
 * OTLP/HTTP (JSON) exporter, which reads the standard OTEL_EXPORTER_OTLP_* variables; the service
 * is `marquee` unless OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES) says otherwise.
 */
export async function startTracing(settings: TracingSettings): Promise<void> {
	const [sdk, { OTLPTraceExporter }, { AsyncLocalStorageContextManager }, core, resources] =
		await Promise.all([
			import('@opentelemetry/sdk-trace'),
			import('@opentelemetry/exporter-trace-otlp-http'),
			import('@opentelemetry/context-async-hooks'),
			import('@opentelemetry/core'),
			import('@opentelemetry/resources')
		]);
	context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
	propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
	const resource = resources
		.resourceFromAttributes({ 'service.name': 'marquee' })
		.merge(resources.detectResources({ detectors: [resources.envDetector] }));
	const root = settings.sampler.endsWith('traceidratio')
		? new sdk.TraceIdRatioBasedSampler(settings.ratio)
		: new sdk.AlwaysOnSampler();
	const sampler = settings.sampler.startsWith('parentbased_')
		? new sdk.ParentBasedSampler({ root })
		: root;
	const exporter = new sdk.BatchSpanProcessor({ exporter: new OTLPTraceExporter() });
	const spanProcessors = [scrubbing(exporter)];
	const provider = new sdk.TracerProvider({ resource, sampler, spanProcessors });
	trace.setGlobalTracerProvider(provider);
	tracer = trace.getTracer('marquee');
	// adapter-node's graceful stop: send what is still batched.
	process.once('sveltekit:shutdown', () => void provider.shutdown());
}

/**
 * Kit records URLs on its spans (`http.url`, a redirect's `*.result.location`): the callback's
 * query holds the request token, and so do the path of the sandbox's approval page and the
 * redirect to TMDB's. Every string attribute loses its query and such a path segment.
 */
function scrubbing(next: SpanProcessor): SpanProcessor {
	const scrub = (attributes: Attributes) =>
		Object.fromEntries(
			Object.entries(attributes).map(([key, value]) => [
				key,
				typeof value === 'string' ? loggablePath(value.split('?')[0]!) : value
			])
		);
	return {
		onStart: (span, parent) => next.onStart(span, parent),
		onEnd: (span) =>
			next.onEnd(
				Object.create(span, {
					attributes: { value: scrub(span.attributes) },
					events: {
						value: span.events.map((event) => ({
							...event,
							attributes: event.attributes && scrub(event.attributes)
						}))
					}
				}) as ReadableSpan
			),
		forceFlush: () => next.forceFlush(),
		shutdown: () => next.shutdown()
	};
}

/** Runs `work` in a child span of the current one; a failure marks the span, by kind only. */
function inSpan<T>(
	name: string,
	attributes: Attributes,
	work: (span: Span) => Promise<T>
): Promise<T> {
	if (!tracer) return work(NO_SPAN);
	return tracer.startActiveSpan(name, { attributes }, async (span) => {
		try {
			return await work(span);
		} catch (error) {
			const kind = (error as { kind?: unknown; name?: unknown })?.kind ?? (error as Error)?.name;
			span.setStatus({ code: SpanStatusCode.ERROR, message: String(kind) });
			throw error;
		} finally {
			span.end();
		}
	});
}

/** Attributes without the fields that have no value (the SDK warns about undefined ones). */
const defined = (attributes: Record<string, string | number | boolean | undefined>) =>
	Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== undefined));

// --- Metrics ---

type Metrics = ReturnType<typeof createMetrics>;
let metrics: Metrics | null = null;
/** Of the process's one pool (db/client.ts), while metrics are on. */
let statementsInFlight = 0;

function createMetrics(client: typeof import('prom-client'), registry: Registry) {
	const registers = [registry];
	const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
		new client.Counter<L>({ name, help, labelNames, registers });
	const histogram = <L extends string>(
		name: string,
		help: string,
		buckets: number[],
		labelNames: L[] = []
	) => new client.Histogram<L>({ name, help, buckets, labelNames, registers });
	const gauge = (name: string, help: string, collect?: () => void | Promise<void>) =>
		new client.Gauge({ name, help, registers, collect });
	const signInsFinished = counter(
		'marquee_sign_ins_finished_total',
		'Sign-ins that ended, by outcome: signed_in, already_signed_in, or the failure kind',
		['outcome']
	);
	// Every outcome is scraped from the start, so rate() and alerts see a 0 rather than nothing.
	for (const outcome of ['signed_in', 'already_signed_in', ...SIGN_IN_FAILURES]) {
		signInsFinished.inc({ outcome }, 0);
	}
	return {
		signInsStarted: counter('marquee_sign_ins_started_total', 'Sign-ins started (the form sent)'),
		signInsFinished,
		rateLimitRefusals: counter(
			'marquee_sign_in_rate_limit_refusals_total',
			'Sign-in starts and callbacks refused by the per-client rate limit, by bucket',
			['bucket']
		),
		tmdbRequests: counter(
			'marquee_tmdb_requests_total',
			'TMDB attempts by endpoint and HTTP status (or timeout / network when none came)',
			['endpoint', 'status']
		),
		tmdbSeconds: histogram(
			'marquee_tmdb_request_duration_seconds',
			'Time of one TMDB attempt, by endpoint',
			[0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8],
			['endpoint']
		),
		tmdbRetries: counter(
			'marquee_tmdb_retries_total',
			'TMDB attempts that are retried, by endpoint and the failure kind that caused it',
			['endpoint', 'reason']
		),
		sessionsCreated: counter('marquee_sessions_created_total', 'App sessions started'),
		sessionsEnded: counter('marquee_sessions_ended_total', 'App sessions ended, by cause', [
			'cause'
		]),
		statementSeconds: histogram(
			'marquee_db_statement_duration_seconds',
			'From asking the pool for a statement to its answer (time queued in the pool included)',
			[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
		),
		poolWaits: counter(
			'marquee_db_pool_waits_total',
			'Statements asked for while every pool connection already had one in flight'
		),
		// Read at each scrape rather than set twice per statement.
		inFlight: gauge(
			'marquee_db_statements_in_flight',
			'Statements asked for and not answered',
			function (this: Gauge) {
				this.set(statementsInFlight);
			}
		),
		poolSize: gauge('marquee_db_pool_connections', 'The size of the database pool'),
		gauge
	};
}

export type MetricsOptions = {
	host: string;
	port: number;
	/** The end-session queue, read at each scrape (the same numbers on every instance). */
	readEndSessionQueue: () => Promise<{ depth: number; oldestAgeSeconds: number }>;
};

/**
 * Serves the metrics in Prometheus's text format at `http://host:port/metrics`, apart from the
 * public site. Resolves once listening, with the function that stops it.
 */
export async function startMetrics(options: MetricsOptions): Promise<() => Promise<void>> {
	const client = await import('prom-client');
	const registry = new client.Registry();
	client.collectDefaultMetrics({ register: registry });
	// Gauges named like counters, which `promtool check metrics` refuses; the by-type gauges
	// beside them (nodejs_active_handles and the others) sum to the same.
	for (const name of ['handles', 'requests', 'resources']) {
		registry.removeSingleMetric(`nodejs_active_${name}_total`);
	}
	const created = createMetrics(client, registry);
	const queueDepth = created.gauge(
		'marquee_tmdb_session_end_queue_depth',
		'TMDB sessions waiting to be ended at TMDB'
	);
	created.gauge(
		'marquee_tmdb_session_end_queue_oldest_age_seconds',
		'Age of the oldest TMDB session waiting to be ended (0 when none)',
		async function (this: Gauge) {
			// A scrape while the database is away keeps the last numbers rather than failing whole.
			const queue = await options.readEndSessionQueue().catch(() => null);
			if (!queue) return;
			queueDepth.set(queue.depth);
			this.set(queue.oldestAgeSeconds);
		}
	);
	const server = createServer((request, response) => {
		if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
			response.writeHead(404).end();
			return;
		}
		void registry.metrics().then(
			(text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
			() => response.writeHead(500).end()
		);
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject).listen(options.port, options.host, () => resolve());
	});
	metrics = created;
	return () => {
		metrics = null;
		return new Promise((resolve) => server.close(() => resolve()));
	};
}

/**
 * The queue's depth and the age of its oldest item, for the metrics. Both ends of the age are the
 * database's clock (`queued_at` is its default), so it needs no caller's time.
 */
export async function readTmdbSessionEndQueue(
	sql: Sql
): Promise<{ depth: number; oldestAgeSeconds: number }> {
	const [row] = await sql<{ depth: number; oldestAgeSeconds: number }[]>`
		SELECT count(*)::int AS depth,
			coalesce(extract(epoch FROM now() - min(queued_at)), 0)::float8 AS "oldestAgeSeconds"
		FROM tmdb_session_ends`;
	return row!;
}

// --- What the app records: one call where each thing happens ---

export function countSignInStarted(): void {
	metrics?.signInsStarted.inc();
}

/** Counted, and set on the span of the action or load that ended it (Kit's). */
export function countSignInFinished(outcome: 'signed_in' | 'already_signed_in' | SignInFailure) {
	metrics?.signInsFinished.inc({ outcome });
	if (tracer) trace.getActiveSpan()?.setAttribute('marquee.sign_in.outcome', outcome);
}

/** The rate-limit check of a sign-in start or callback: a span, and a count when it refuses. */
export function traceRateLimitCheck(
	bucket: 'sign_in' | 'callback',
	check: () => Promise<number | null>
): Promise<number | null> {
	return inSpan(
		'marquee.sign_in.rate_limit',
		{ 'marquee.rate_limit.bucket': bucket },
		async (span) => {
			const retryAfterSeconds = await check();
			span.setAttribute('marquee.rate_limit.refused', retryAfterSeconds !== null);
			if (retryAfterSeconds !== null) metrics?.rateLimitRefusals.inc({ bucket });
			return retryAfterSeconds;
		}
	);
}

type TmdbEndpoint = { method: string; path: string };

/** One TMDB call, retries included, as one span named by its endpoint (a path template). */
export function traceTmdbCall<T>(endpoint: TmdbEndpoint, call: () => Promise<T>): Promise<T> {
	const name = `${endpoint.method} ${endpoint.path}`;
	return inSpan(`TMDB ${name}`, { 'tmdb.endpoint': name }, () => call());
}

/**
 * One attempt of a TMDB call: counted and timed, and on the call's span its status; a retry is
 * an event there. Never a token or session id: those are in the query or body, not the path.
 */
export function recordTmdbAttempt(
	endpoint: TmdbEndpoint,
	attempt: {
		attempt: number;
		durationMs: number;
		status?: number;
		statusCode?: number;
		errorKind?: string;
		retryInMs?: number;
	}
): void {
	const name = `${endpoint.method} ${endpoint.path}`;
	if (metrics) {
		const status = String(attempt.status ?? attempt.errorKind);
		metrics.tmdbRequests.inc({ endpoint: name, status });
		metrics.tmdbSeconds.observe({ endpoint: name }, attempt.durationMs / 1000);
		if (attempt.retryInMs !== undefined) {
			metrics.tmdbRetries.inc({ endpoint: name, reason: String(attempt.errorKind) });
		}
	}
	const span = tracer && trace.getActiveSpan();
	if (!span) return;
	const fields = defined({
		'http.response.status_code': attempt.status,
		'tmdb.status_code': attempt.statusCode,
		'tmdb.error_kind': attempt.errorKind
	});
	if (attempt.retryInMs === undefined) {
		// The last attempt: the span says how the call ended.
		span.setAttributes({ ...fields, 'tmdb.attempts': attempt.attempt });
	} else {
		span.addEvent('tmdb.retry', {
			...fields,
			'tmdb.attempt': attempt.attempt,
			'tmdb.retry_in_ms': attempt.retryInMs
		});
	}
}

/** A request's session lookup, and how many requests shared its statement (db/auth.ts). */
export function traceSessionLookup<T extends { sharedBy: number }>(
	lookup: () => Promise<T>
): Promise<T> {
	if (!tracer) return lookup();
	return inSpan('marquee.session.lookup', {}, async (span) => {
		const found = await lookup();
		span.setAttribute('marquee.session.lookup.shared_by', found.sharedBy);
		return found;
	});
}

/** One round of the end-session queue (auth/cleanup.ts): its TMDB calls are its children. */
export function traceEndSessionQueueRound<T extends { ended: number; waiting: number }>(
	round: () => Promise<T>
): Promise<T> {
	return inSpan('marquee.tmdb_session_ends.round', {}, async (span) => {
		const result = await round();
		span.setAttributes({
			'marquee.tmdb_session_ends.ended': result.ended,
			'marquee.tmdb_session_ends.waiting': result.waiting
		});
		return result;
	});
}

export function countSessionCreated(): void {
	metrics?.sessionsCreated.inc();
}

export function countSessionsEnded(cause: SessionEndCause, count: number): void {
	metrics?.sessionsEnded.inc({ cause }, count);
}

/**
 * The pool as seen from the app (db/client.ts): each statement timed from when it is asked for
 * (awaited) to its answer, and counted as a wait when every connection already had one in
 * flight (postgres.js then queues it behind another). Transactions' own statements are not
 * counted; the whole pool is returned untouched while metrics are off.
 */
export function observeStatements(sql: Sql, poolSize: number): Sql {
	const recorded = metrics;
	if (!recorded) return sql;
	recorded.poolSize.set(poolSize);
	const observe = (query: unknown) => {
		if (!(query instanceof Promise)) return query;
		const then = query.then;
		let asked = false;
		query.then = function (this: Promise<unknown>, ...handlers: unknown[]): Promise<unknown> {
			if (!asked) {
				asked = true;
				const started = performance.now();
				if (statementsInFlight++ >= poolSize) recorded.poolWaits.inc();
				const answered = () => {
					statementsInFlight--;
					recorded.statementSeconds.observe((performance.now() - started) / 1000);
				};
				void then.call(this, answered, answered);
			}
			return then.apply(this, handlers as Parameters<typeof then>);
		} as typeof then;
		return query;
	};
	const unsafe = (...args: Parameters<Sql['unsafe']>) => observe(sql.unsafe(...args));
	return new Proxy(sql, {
		apply: (target, self, args) => observe(Reflect.apply(target, self, args)),
		get: (target, key, receiver) =>
			key === 'unsafe' ? unsafe : (Reflect.get(target, key, receiver) as unknown)
	});
}
