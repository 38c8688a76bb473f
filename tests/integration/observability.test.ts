/**
 * The built server with both traces and metrics on (docs/observability.md): one successful
 * sign-in (its account call retried once) and a signed-in page, one denied, one refused by the
 * rate limit, then a sign-out. The spans arrive at an OTLP/HTTP receiver in this test; the metrics are
 * scraped from METRICS_PORT.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { trace, type ProxyTracerProvider } from '@opentelemetry/api';
import { cleanUpExpiredSessions } from '../../src/lib/server/auth/cleanup.ts';
import { startTracing } from '../../src/lib/server/observability.ts';
import { useAppStack, APP_TMDB_KEY } from '../helpers/app-stack.ts';
import { ANY_FREE_PORT } from '../helpers/app-process.ts';
import { signIn, useHarness } from '../helpers/auth-harness.ts';
import { BrowserSession } from '../helpers/browser-session.ts';

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean };
type OtlpAttribute = { key: string; value: OtlpValue };
type OtlpSpan = {
	traceId: string;
	spanId: string;
	parentSpanId?: string;
	name: string;
	attributes?: OtlpAttribute[];
	events?: { name: string; attributes?: OtlpAttribute[] }[];
};
type OtlpExport = {
	resourceSpans: {
		resource?: { attributes?: OtlpAttribute[] };
		scopeSpans: { spans: OtlpSpan[] }[];
	}[];
};

/** A stand-in OpenTelemetry collector: keeps every OTLP/HTTP JSON export it is sent. */
async function startOtlpReceiver() {
	const exports: OtlpExport[] = [];
	const server: Server = createServer((request, response) => {
		let body = '';
		request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
		request.on('end', () => {
			if (request.method === 'POST' && request.url === '/v1/traces') {
				exports.push(JSON.parse(body) as OtlpExport);
			}
			response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : 0;
	return {
		url: `http://127.0.0.1:${port}`,
		exports,
		spans: () =>
			exports.flatMap((item) =>
				item.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((s) => s.spans))
			),
		stop: () => new Promise<void>((resolve) => server.close(() => resolve()))
	};
}

const attribute = (span: OtlpSpan | { attributes?: OtlpAttribute[] }, key: string) => {
	const value = span.attributes?.find((item) => item.key === key)?.value;
	if (!value) return undefined;
	return (
		value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : value.boolValue)
	);
};

/** `name{labels} value` lines of a Prometheus text scrape, by series. */
function parseScrape(text: string): Map<string, number> {
	const series = new Map<string, number>();
	for (const line of text.split('\n')) {
		if (line.startsWith('#') || !line.trim()) continue;
		const at = line.lastIndexOf(' ');
		series.set(line.slice(0, at), Number(line.slice(at + 1)));
	}
	return series;
}

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
beforeAll(async () => {
	receiver = await startOtlpReceiver();
});
afterAll(async () => {
	await receiver?.stop();
});

describe('traces and metrics of one success, one denial and one rate-limited start', () => {
	const stack = useAppStack({
		get OTEL_EXPORTER_OTLP_ENDPOINT() {
			return receiver.url;
		},
		OTEL_SERVICE_NAME: 'marquee-under-test',
		METRICS_PORT: ANY_FREE_PORT,
		SIGN_IN_RATE_LIMIT_PER_MINUTE: '2'
	} as Record<string, string>);

	const secrets: string[] = [APP_TMDB_KEY];
	let scrape = new Map<string, number>();
	let scrapeText = '';
	let starts = 0;

	beforeAll(async () => {
		// Success, with TMDB failing the account call once: one retry.
		stack.sandbox.sandbox.injectFault('account', { kind: 'unavailable' }, 1);
		const signedIn = new BrowserSession(stack.app.url);
		secrets.push(await signedIn.signIn(stack.sandbox.url, 'observed'));
		starts++;
		secrets.push(...signedIn.cookies.values());
		const home = await signedIn.get('/');
		expect(home.status).toBe(200);

		// Denied at TMDB.
		const denied = new BrowserSession(stack.app.url);
		const started = await denied.post('/auth/login', { returnTo: '/' });
		starts++;
		expect(started.status).toBe(303);
		const token = new URL(started.headers.get('location')!).pathname.split('/').pop()!;
		secrets.push(token);
		const back = await denied.get(`/auth/callback?request_token=${token}&denied=true`);
		expect(back.headers.get('location')).toBe('/auth/login?error=denied');

		// Starts until the rate limit (2 a minute) refuses one: one more, unless the minute turned.
		for (let refused = false; !refused;) {
			const attempt = await new BrowserSession(stack.app.url).post('/auth/login', {});
			starts++;
			refused = attempt.status === 429;
			if (!refused) expect(attempt.status).toBe(303);
			expect(starts).toBeLessThan(8);
		}
		expect((await signedIn.post('/auth/logout', {})).status).toBe(303);

		const response = await fetch(`http://127.0.0.1:${stack.app.env.METRICS_PORT}/metrics`);
		expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
		scrapeText = await response.text();
		scrape = parseScrape(scrapeText);
		// Stopping flushes the spans still batched.
		await stack.app.stop();
	}, 60_000);

	test('the scrape counts the sign-ins by outcome and the refusal', () => {
		expect(scrape.get('marquee_sign_ins_started_total')).toBe(starts);
		expect(scrape.get('marquee_sign_ins_finished_total{outcome="signed_in"}')).toBe(1);
		expect(scrape.get('marquee_sign_ins_finished_total{outcome="denied"}')).toBe(1);
		expect(scrape.get('marquee_sign_ins_finished_total{outcome="too_many_attempts"}')).toBe(1);
		expect(scrape.get('marquee_sign_ins_finished_total{outcome="unavailable"}')).toBe(0);
		// Every outcome is a series from the start, at 0 until it happens.
		expect(scrape.get('marquee_sign_ins_finished_total{outcome="already_signed_in"}')).toBe(0);
		expect(scrape.get('marquee_sign_in_rate_limit_refusals_total{bucket="sign_in"}')).toBe(1);
		expect(scrape.get('marquee_sessions_created_total')).toBe(1);
		expect(scrape.get('marquee_sessions_ended_total{cause="sign_out"}')).toBe(1);
	});

	test('the scrape counts TMDB requests by endpoint and status, the retry, and their time', () => {
		const token = 'endpoint="GET /3/authentication/token/new"';
		expect(scrape.get(`marquee_tmdb_requests_total{${token},status="200"}`)).toBe(starts - 1);
		expect(
			scrape.get(
				'marquee_tmdb_requests_total{endpoint="POST /3/authentication/session/new",status="200"}'
			)
		).toBe(1);
		expect(scrape.get('marquee_tmdb_requests_total{endpoint="GET /3/account",status="503"}')).toBe(
			1
		);
		const deleted = 'endpoint="DELETE /3/authentication/session",status="200"';
		expect(scrape.get(`marquee_tmdb_requests_total{${deleted}}`)).toBe(1);
		expect(scrape.get('marquee_tmdb_requests_total{endpoint="GET /3/account",status="200"}')).toBe(
			1
		);
		expect(
			scrape.get('marquee_tmdb_retries_total{endpoint="GET /3/account",reason="unavailable"}')
		).toBe(1);
		expect(scrape.get(`marquee_tmdb_request_duration_seconds_count{${token}}`)).toBe(starts - 1);
		expect(
			scrape.get('marquee_tmdb_request_duration_seconds_count{endpoint="GET /3/account"}')
		).toBe(2);
	});

	test('the scrape has the database, the end-session queue and the process', () => {
		expect(scrape.get('marquee_db_statement_duration_seconds_count')).toBeGreaterThan(5);
		expect(scrape.get('marquee_db_pool_waits_total')).toBeGreaterThanOrEqual(0);
		expect(scrape.get('marquee_db_statements_in_flight')).toBeGreaterThanOrEqual(0);
		expect(scrape.get('marquee_db_pool_connections')).toBeGreaterThan(0);
		expect(scrape.get('marquee_tmdb_session_end_queue_depth')).toBe(0);
		expect(scrape.get('marquee_tmdb_session_end_queue_oldest_age_seconds')).toBe(0);
		expect(scrape.get('process_cpu_seconds_total')).toBeGreaterThan(0);
		expect(scrape.has('nodejs_eventloop_lag_seconds')).toBe(true);
		expect(scrape.has('nodejs_heap_size_used_bytes')).toBe(true);
	});

	test('every metric the alert rules and the dashboard query is in the scrape', () => {
		const queried = ['docs/observability-alerts.yml', 'docs/grafana-sign-in-health.json'].flatMap(
			(file) => readFileSync(file, 'utf8').match(/\b(marquee|process|nodejs)_[a-z0-9_]+/g) ?? []
		);
		expect(queried.length).toBeGreaterThan(20);
		for (const name of new Set(queried))
			expect(scrapeText, name).toMatch(new RegExp(`^${name}[{ ]`, 'm'));
	});

	// CI installs Debian's prometheus package (.ci/run), so there the check always runs.
	const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((file) =>
		existsSync(file)
	);
	test.skipIf(!promtool && !process.env.CI)(
		'promtool accepts the scrape and the alert rules (skipped where promtool is not installed)',
		() => {
			expect(promtool, 'promtool: apt-get install prometheus').toBeDefined();
			execFileSync(promtool!, ['check', 'metrics'], { input: scrapeText });
			const checked = execFileSync(promtool!, ['check', 'rules', 'docs/observability-alerts.yml'], {
				encoding: 'utf8'
			});
			expect(checked).toMatch(/SUCCESS: \d+ rules found/);
		}
	);

	test('R6.7 label values are bounded: no token, cookie, address or path of a request', () => {
		for (const secret of secrets) expect(scrapeText).not.toContain(secret);
		expect(scrapeText).not.toMatch(/[0-9a-f]{40}/);
		expect(scrapeText).not.toContain('127.0.0.1');
		expect(scrapeText).not.toContain('/auth/');
	});

	test("Kit's spans have children for the rate limit, each TMDB call and the session lookup", () => {
		const spans = receiver.spans();
		const byId = new Map(spans.map((span) => [span.spanId, span]));
		const rootOf = (span: OtlpSpan): OtlpSpan => {
			const parent = span.parentSpanId ? byId.get(span.parentSpanId) : undefined;
			expect(parent === undefined || parent.traceId === span.traceId).toBe(true);
			return parent ? rootOf(parent) : span;
		};
		const named = (name: string) => spans.filter((span) => span.name === name);

		expect(named('sveltekit.handle.root').length).toBeGreaterThanOrEqual(starts + 3);
		// Each start, and the sign-out.
		expect(named('sveltekit.form_action').length).toBe(starts + 1);
		for (const name of [
			'marquee.sign_in.rate_limit',
			'TMDB GET /3/authentication/token/new',
			'TMDB POST /3/authentication/session/new',
			'TMDB GET /3/account',
			'marquee.session.lookup'
		]) {
			const found = named(name);
			expect(found.length, name).toBeGreaterThan(0);
			for (const span of found) expect(rootOf(span).name, name).toBe('sveltekit.handle.root');
		}
		// Each TMDB span sits in its request's load or action, not beside it.
		const account = named('TMDB GET /3/account')[0]!;
		const parents: string[] = [];
		for (let at = account; at.parentSpanId; at = byId.get(at.parentSpanId)!) {
			parents.push(byId.get(at.parentSpanId)!.name);
		}
		expect(parents[0]).toBe('sveltekit.load');
		expect(attribute(rootOf(account), 'http.route')).toBe('/(auth)/auth/callback');

		const refusals = named('marquee.sign_in.rate_limit').filter(
			(span) => attribute(span, 'marquee.rate_limit.refused') === true
		);
		expect(refusals.map((span) => attribute(span, 'marquee.rate_limit.bucket'))).toEqual([
			'sign_in'
		]);
		// How each sign-in ended, on the span of the action or load that ended it.
		const outcomes = spans.flatMap((span) => attribute(span, 'marquee.sign_in.outcome') ?? []);
		expect(outcomes.sort()).toEqual(['denied', 'signed_in', 'too_many_attempts']);
		const lookup = named('marquee.session.lookup')[0]!;
		expect(attribute(lookup, 'marquee.session.lookup.shared_by')).toBeGreaterThanOrEqual(1);
	});

	test('a TMDB span carries the endpoint, status, TMDB status_code, attempts, and each retry as an event', () => {
		const [account] = receiver.spans().filter((span) => span.name === 'TMDB GET /3/account');
		expect(attribute(account!, 'tmdb.endpoint')).toBe('GET /3/account');
		expect(attribute(account!, 'http.response.status_code')).toBe(200);
		expect(attribute(account!, 'tmdb.attempts')).toBe(2);
		// The failed attempt is in its event, not on the span that ended well.
		expect(attribute(account!, 'tmdb.error_kind')).toBeUndefined();
		const retries = account!.events!.filter((event) => event.name === 'tmdb.retry');
		expect(retries).toHaveLength(1);
		expect(attribute(retries[0]!, 'http.response.status_code')).toBe(503);
		expect(attribute(retries[0]!, 'tmdb.status_code')).toBe(9);
		expect(attribute(retries[0]!, 'tmdb.error_kind')).toBe('unavailable');
		// The first retry waits a uniformly random 0 to 250 ms (full jitter): 0 is a wait too.
		const waited = attribute(retries[0]!, 'tmdb.retry_in_ms');
		expect(waited).toBeTypeOf('number');
		expect(waited).toBeGreaterThanOrEqual(0);
		expect(waited).toBeLessThan(250);
		const [resource] = receiver.exports[0]!.resourceSpans;
		expect(attribute(resource!.resource!, 'service.name')).toBe('marquee-under-test');
	});

	test('R6.7 no span, event or resource attribute holds a token, a session id, the cookie or the API key', () => {
		const text = JSON.stringify(receiver.exports);
		for (const secret of secrets) expect(text).not.toContain(secret);
		// Request tokens and TMDB session ids are 40 hex characters; our session ids 64.
		const values = receiver.exports.flatMap((item) =>
			item.resourceSpans.flatMap((resource) => [
				...(resource.resource?.attributes ?? []),
				...resource.scopeSpans.flatMap((scope) =>
					scope.spans.flatMap((span) => [
						...(span.attributes ?? []),
						...(span.events ?? []).flatMap((event) => event.attributes ?? [])
					])
				)
			])
		);
		expect(values.length).toBeGreaterThan(50);
		for (const { key, value } of values) {
			expect(String(value.stringValue ?? ''), key).not.toMatch(
				/[0-9a-f]{40}|request_token|session_id/
			);
		}
	});

	test('log lines written inside a span carry its trace_id and span_id', () => {
		const lines = stack.app.output
			.filter((line) => line.startsWith('{'))
			.map((line) => JSON.parse(line) as Record<string, unknown>);
		const completed = lines.find((line) => line.event === 'sign_in_completed');
		expect(completed?.trace_id).toMatch(/^[0-9a-f]{32}$/);
		expect(completed?.span_id).toMatch(/^[0-9a-f]{16}$/);
		const trace = receiver.spans().filter((span) => span.traceId === completed!.trace_id);
		expect(trace.map((span) => span.spanId)).toContain(completed!.span_id);
		expect(trace.map((span) => span.name)).toContain('TMDB POST /3/authentication/session/new');
	});
});

describe('the cleanup job, traced in this process', () => {
	const harness = useHarness();

	test('a round of the end-session queue is a span of its own, its TMDB DELETEs its children', async () => {
		// The exporter reads the standard variable, as in the server.
		process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
		try {
			await startTracing({ sampler: 'always_on', ratio: 1 });
		} finally {
			delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
		}
		const { session } = await signIn(harness);
		// Expiry does not tell TMDB at once: the job's round ends it from the queue.
		await harness.services.sessions.endSessions({ sessionId: session.id }, 'expired');
		expect(await cleanUpExpiredSessions(harness.services)).toMatchObject({
			tmdbSessionsEnded: 1,
			tmdbSessionsWaiting: 0
		});
		const provider = trace.getTracerProvider() as ProxyTracerProvider;
		await (provider.getDelegate() as unknown as { forceFlush(): Promise<void> }).forceFlush();

		const spans = receiver.spans();
		const [round] = spans.filter((span) => span.name === 'marquee.tmdb_session_ends.round');
		expect(round?.parentSpanId ?? '').toBe('');
		expect(attribute(round!, 'marquee.tmdb_session_ends.ended')).toBe(1);
		expect(attribute(round!, 'marquee.tmdb_session_ends.waiting')).toBe(0);
		const children = spans.filter((span) => span.parentSpanId === round!.spanId);
		expect(children.map((span) => span.name)).toEqual(['TMDB DELETE /3/authentication/session']);
		expect(attribute(children[0]!, 'http.response.status_code')).toBe(200);
	});
});
