/**
 * Round trips per request, counted on the wire (see `wire-counter.ts`): requests are sent one at
 * a time, so everything the server sends to PostgreSQL between two responses belongs to one request.
 */
import type { AppServer } from './server.ts';
import type { WireCounter } from './wire-counter.ts';

export type RoundTripResult = {
	requests: number;
	roundTripsPerRequest: number;
	/** Request/response exchanges on the wire per request (see `wire-counter.ts`). */
	exchangesPerRequest: number;
	/** Executed statements per request, by first SQL keyword. */
	statementsPerRequest: Record<string, number>;
	/** Each distinct statement with how many times it ran in the counted requests. */
	statements: Record<string, number>;
};

async function get(server: AppServer, token: string | null): Promise<void> {
	const response = await fetch(`${server.origin}/`, {
		headers: token ? { cookie: `marquee_session=${token}` } : {},
		signal: AbortSignal.timeout(10_000)
	});
	await response.arrayBuffer();
	if (!response.ok) throw new Error(`GET / answered ${response.status}`);
}

export async function countRoundTrips(
	server: AppServer,
	counter: WireCounter,
	nextToken: () => string | null,
	options: { warmup: number; requests: number }
): Promise<RoundTripResult> {
	// The first executions prepare statements (an extra Parse/Describe round trip); skip them.
	for (let i = 0; i < options.warmup; i++) await get(server, nextToken());
	// Let anything the warm-up left in flight reach the wire before counting.
	await new Promise((resolve) => setTimeout(resolve, 200));
	counter.reset();
	for (let i = 0; i < options.requests; i++) await get(server, nextToken());
	await new Promise((resolve) => setTimeout(resolve, 200));
	const counts = counter.counts();
	const perRequest = (value: number) => Math.round((value / options.requests) * 1000) / 1000;
	return {
		requests: options.requests,
		roundTripsPerRequest: perRequest(counts.roundTrips),
		exchangesPerRequest: perRequest(counts.exchanges),
		statementsPerRequest: Object.fromEntries(
			Object.entries(counts.statements).map(([keyword, count]) => [keyword, perRequest(count)])
		),
		statements: counts.texts
	};
}
