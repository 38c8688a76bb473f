/**
 * Drives the server with autocannon. The server is its own process; this runs in the benchmark's.
 *
 * Every case builds each request through `setupRequest`, the anonymous one included, so the load
 * generator (which shares the machine's cores with the server) does the same work in every case.
 */
import autocannon, { type Result } from 'autocannon';
import type { AppServer } from './server.ts';

export type LoadOptions = {
	connections: number;
	/** Seconds of warm-up before the measured run (its numbers are discarded). */
	warmupSeconds: number;
	/** Seconds of the measured run; with `until`, the upper bound. */
	seconds: number;
	/** The session cookie of the next request, or null to send none. */
	nextToken: () => string | null;
	/** Started with the measured run, which stops when it settles (or after `seconds`). */
	during?: () => Promise<unknown>;
};

export type LoadResult = {
	requestsPerSecond: number;
	latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
	requests: number;
	seconds: number;
	non2xx: number;
	errors: number;
	/** Highest VmRSS of the server sampled during the measured run, in MB. */
	serverRssMaxMb: number;
	/** The server's CPU time (user and system) during the measured run, per request, in ms. */
	cpuMsPerRequest: number;
};

const SESSION_COOKIE = 'marquee_session';
const RSS_SAMPLE_MS = 250;

function run(
	server: AppServer,
	options: LoadOptions,
	seconds: number,
	until?: Promise<unknown>
): Promise<Result> {
	return new Promise((resolve, reject) => {
		const instance = autocannon(
			{
				url: `${server.origin}/`,
				connections: options.connections,
				duration: seconds,
				timeout: 10,
				requests: [
					{
						method: 'GET',
						path: '/',
						setupRequest: (request) => {
							const token = options.nextToken();
							const headers = { ...request.headers, accept: 'text/html' };
							return {
								...request,
								headers: token ? { ...headers, cookie: `${SESSION_COOKIE}=${token}` } : headers
							};
						}
					}
				]
			},
			(error, result) => (error ? reject(error as Error) : resolve(result))
		);
		void until?.then(
			() => instance.stop(),
			() => instance.stop()
		);
	});
}

export async function measureLoad(server: AppServer, options: LoadOptions): Promise<LoadResult> {
	if (options.warmupSeconds > 0) await run(server, options, options.warmupSeconds);
	let rssMax = server.rss();
	const sampler = setInterval(() => (rssMax = Math.max(rssMax, server.rss())), RSS_SAMPLE_MS);
	const cpuAtStart = server.cpuSeconds();
	try {
		const result = await run(server, options, options.seconds, options.during?.());
		const cpuSeconds = server.cpuSeconds() - cpuAtStart;
		return {
			requestsPerSecond: round(result.requests.total / result.duration, 0),
			latencyMs: {
				p50: result.latency.p50,
				p90: result.latency.p90,
				p99: result.latency.p99,
				mean: round(result.latency.mean, 2),
				max: result.latency.max
			},
			requests: result.requests.total,
			seconds: result.duration,
			non2xx: result.non2xx,
			errors: result.errors + result.timeouts,
			serverRssMaxMb: round(Math.max(rssMax, server.rss()) / 1024 / 1024, 1),
			cpuMsPerRequest: round((cpuSeconds * 1000) / Math.max(1, result.requests.total), 4)
		};
	} finally {
		clearInterval(sampler);
	}
}

export function round(value: number, digits: number): number {
	const factor = 10 ** digits;
	return Math.round(value * factor) / factor;
}

export function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Several rounds of one case as one result: the median of each figure, totals summed. */
export function combineRounds(rounds: LoadResult[]): LoadResult {
	const pick = (figure: (result: LoadResult) => number) => median(rounds.map(figure));
	const sum = (figure: (result: LoadResult) => number) =>
		rounds.reduce((total, result) => total + figure(result), 0);
	return {
		requestsPerSecond: round(
			pick((r) => r.requestsPerSecond),
			0
		),
		latencyMs: {
			p50: pick((r) => r.latencyMs.p50),
			p90: pick((r) => r.latencyMs.p90),
			p99: pick((r) => r.latencyMs.p99),
			mean: round(
				pick((r) => r.latencyMs.mean),
				2
			),
			max: Math.max(...rounds.map((r) => r.latencyMs.max))
		},
		requests: sum((r) => r.requests),
		seconds: round(
			sum((r) => r.seconds),
			2
		),
		non2xx: sum((r) => r.non2xx),
		errors: sum((r) => r.errors),
		serverRssMaxMb: Math.max(...rounds.map((r) => r.serverRssMaxMb)),
		cpuMsPerRequest: round(
			pick((r) => r.cpuMsPerRequest),
			4
		)
	};
}
