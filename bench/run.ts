/**
 * `npm run bench`: what authentication costs per request, measured on the production build.
 *
 * One run: two fresh databases (10k and 1M sessions), each behind its own `node build`; the
 * anonymous page, a valid session with 10k and with 1M rows in alternating rounds; the
 * sliding-window write path; an invalid and a malformed cookie; anonymous and valid through
 * PgBouncer in transaction mode (DATABASE_POOLER=transaction); the expired-session cleanup of
 * 1M rows under authenticated load; servers with different V8 start flags side by side; then
 * database exchanges per request counted on the wire, through a counting proxy (directly and
 * through PgBouncer); the signed-in request on today's build (the commit before observability),
 * on this one with observability off, and with traces and metrics on, side by side. Writes
 * `bench/results/latest.json` and the
 * tables of `docs/performance.md`. See docs/performance.md.
 *
 * Environment: BENCH_DATABASE_URL (a loopback PostgreSQL server; the databases are created on it
 * and dropped), BENCH_CONNECTIONS, BENCH_SECONDS, BENCH_WARMUP_SECONDS, BENCH_ROUNDS,
 * BENCH_DATABASE_POOL_SIZE, BENCH_HEAP_VARIANTS, BENCH_LARGE_ROWS (smaller for a quick try; such
 * runs leave docs/performance.md alone), BENCH_NAME (also writes bench/results/<name>.json),
 * BENCH_CPU_PROF=1 (server CPU profiles in bench/.tmp/profiles), BENCH_BASELINE_REF (the git
 * commit built as "today's": by default the parent of the commit that added
 * src/instrumentation.server.ts).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { deleteExpiredSessions } from '../src/lib/server/auth/cleanup.ts';
import { encryptSecret } from '../src/lib/server/auth/keys.ts';
import { isLoopbackHost } from '../src/lib/server/config.ts';
import {
	countSessions,
	createBenchDatabase,
	postgresVersion,
	seededToken,
	seedSessions,
	seedUsers,
	vacuumAnalyze,
	type BenchDatabase,
	type SessionSeed
} from './database.ts';
import {
	combineRounds,
	measureLoad,
	median,
	round,
	type LoadOptions,
	type LoadResult
} from './load.ts';
import {
	writeDocsTables,
	writeResultsJson,
	type BenchResults,
	type CaseName,
	type CaseResult,
	type ObservabilityVariant,
	type Target
} from './report.ts';
import { startPgBouncer, type PgBouncer } from '../tests/helpers/pgbouncer.ts';
import { cleanupServicesOn } from '../tests/helpers/database.ts';
import { countRoundTrips } from './round-trips.ts';
import { killAllServers, startAppServer, type AppServer } from './server.ts';
import { startWireCounter, type WireCounter } from './wire-counter.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const FULL_LARGE_ROWS = 1_000_000;
/** Nothing here should take this long; past it the run gives up and cleans up. */
const WATCHDOG_MS = 30 * 60 * 1000;
const CLEANUP_MAX_SECONDS = 300;
const ROUND_TRIP_REQUESTS = 200;
const ROUND_TRIP_WARMUP = 20;
const SERVER_WARMUP_SECONDS = 5;

function intFromEnv(name: string, fallback: number): number {
	const raw = process.env[name];
	if (!raw) return fallback;
	const value = Number(raw);
	if (!Number.isInteger(value) || value <= 0)
		throw new Error(`${name}: expected a positive integer`);
	return value;
}

const settings = {
	databaseUrl:
		process.env.BENCH_DATABASE_URL ??
		process.env.TEST_DATABASE_URL ??
		'postgres://postgres@127.0.0.1:5432/postgres',
	connections: intFromEnv('BENCH_CONNECTIONS', 50),
	seconds: intFromEnv('BENCH_SECONDS', 10),
	warmupSeconds: intFromEnv('BENCH_WARMUP_SECONDS', 3),
	// The app's default DATABASE_POOL_SIZE, so the benchmark measures the app as shipped.
	poolSize: intFromEnv('BENCH_DATABASE_POOL_SIZE', 4),
	/**
	 * Rounds of the anonymous and valid-session cases, alternating; each reports the median. Five,
	 * because on a shared two-core host one round in three can be off by 20% (docs/performance.md).
	 */
	rounds: intFromEnv('BENCH_ROUNDS', 5),
	/**
	 * Start flags compared side by side on one case; the first is the baseline (no flags).
	 * BENCH_HEAP_VARIANTS: `;`-separated.
	 */
	heapVariants: (
		process.env.BENCH_HEAP_VARIANTS ??
		[
			'',
			'--max-old-space-size=128',
			'--max-old-space-size=128 --max-semi-space-size=16',
			'--max-old-space-size=96 --max-semi-space-size=8',
			'--max-old-space-size=64 --max-semi-space-size=4'
		].join(';')
	).split(';'),
	smallRows: 10_000,
	largeRows: intFromEnv('BENCH_LARGE_ROWS', FULL_LARGE_ROWS),
	name: process.env.BENCH_NAME ?? 'latest',
	cpuProfile: process.env.BENCH_CPU_PROF === '1'
};
/** Sessions due to slide: each slides once, so every request of that case needs its own. */
const slidingRows = Math.min(200_000, Math.floor(settings.largeRows / 5));
/** The last sessions due to slide are kept for the round-trip count. */
const slidingReserved = ROUND_TRIP_WARMUP + ROUND_TRIP_REQUESTS;

/** Everything the run creates, stopped and dropped at the end whatever happens. */
const resources = {
	databases: [] as BenchDatabase[],
	servers: [] as AppServer[],
	counter: undefined as WireCounter | undefined,
	pooledCounter: undefined as WireCounter | undefined,
	pgbouncer: undefined as PgBouncer | undefined,
	otlpReceiver: undefined as Server | undefined
};
/** The key the servers seal TMDB session ids with; the seeded rows are sealed with it too. */
const key = randomBytes(32);
const profileDir = path.resolve('bench/.tmp/profiles');
/** The first free port at the start; every server takes the next free one from there. */
let firstPort = 4300;
/** The cases measured so far; a case measured in several rounds keeps each round. */
const cases: Partial<Record<CaseName, CaseResult>> = {};
const seedingMs: Record<string, number> = {};

function log(message: string): void {
	console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

async function freePort(from: number, to: number): Promise<number> {
	for (let port = from; port <= to; port++) {
		const free = await new Promise<boolean>((resolve) => {
			const probe = net.createServer();
			probe.once('error', () => resolve(false));
			probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
		});
		if (free) return port;
	}
	throw new Error(`no free port in ${from}-${to}`);
}

/** Fetches `/` once and checks the server treats the cookie as the case intends. */
async function checkCase(
	server: AppServer,
	token: string | null,
	expect: { signedIn: boolean; clearsCookie: boolean }
): Promise<void> {
	const response = await fetch(`${server.origin}/`, {
		headers: token ? { cookie: `marquee_session=${token}` } : {}
	});
	const body = await response.text();
	const signedIn = body.includes('Welcome back');
	const clears = /marquee_session=;/.test(response.headers.get('set-cookie') ?? '');
	if (!response.ok || signedIn !== expect.signedIn || clears !== expect.clearsCookie) {
		throw new Error(
			`GET / with ${token ? 'a cookie' : 'no cookie'} answered ${response.status}, signed in: ` +
				`${signedIn}, cleared the cookie: ${clears}; expected ${JSON.stringify(expect)}`
		);
	}
}

function randomIn(count: number): number {
	return 1 + Math.floor(Math.random() * count);
}

async function main(): Promise<void> {
	requireLocalDatabase();
	const startedAt = new Date();
	const loadAtStart = loadAverage();
	const watchdog = cleanUpOnSignalOrTimeout();
	try {
		const databases = await createDatabases();
		const seed = await seedSessionsToValidate(databases);
		const { small, large } = await startServers(databases);
		const tokens = sessionTokens(seed.validLargeRows);
		await checkEachKindOfCookie(small, large, tokens);
		await warmUpServers(small, large, tokens);

		await measureAnonymousAndValidInRounds(small, large, tokens);
		const slidingTokensUsed = await measureSlidingWindow(large, tokens);
		await measureInvalidCookies(small, tokens);
		const smallPeakRssMb = await stopServer(small.server);
		const pgbouncer = await startPooler();
		await measureThroughPoolerInRounds(small.database, pgbouncer, tokens);
		const cleanup = await measureCleanupUnderLoad(large, tokens, seed);
		const peakRssMb = Math.max(smallPeakRssMb, await stopServer(large.server));
		const heapVariants = await measureStartFlagsSideBySide(large.database, tokens);
		const observability = await measureObservabilitySideBySide(large.database, tokens);
		const roundTrips = await countRoundTripsPerCase(large.database, tokens);
		roundTrips.pooledValid = await countExchangesThroughPooler(small.database, pgbouncer, tokens);

		const results = await collectResults({
			startedAt,
			loadAtStart,
			database: large.database,
			slidingTokensUsed,
			cleanup,
			roundTrips,
			peakRssMb,
			heapVariants,
			observability
		});
		await writeResults(results);
		logTargets(results.targets);
	} finally {
		clearTimeout(watchdog);
		await cleanUp();
		log('databases dropped, servers stopped');
	}
}

function requireLocalDatabase(): void {
	const databaseHost = new URL(settings.databaseUrl).hostname;
	if (!isLoopbackHost(databaseHost)) {
		throw new Error(`BENCH_DATABASE_URL must point at this machine (got ${databaseHost})`);
	}
}

function loadAverage(): number[] {
	return os.loadavg().map((value) => round(value, 2));
}

async function cleanUp(): Promise<void> {
	for (const server of resources.servers.splice(0)) await server.stop().catch(() => undefined);
	await resources.counter?.close().catch(() => undefined);
	await resources.pooledCounter?.close().catch(() => undefined);
	await resources.pgbouncer?.stop().catch(() => undefined);
	resources.otlpReceiver?.close();
	try {
		removeBaselineBuild();
	} catch (error) {
		log(`could not remove ${BASELINE_DIR}: ${error}`);
	}
	for (const database of resources.databases.splice(0)) {
		await database
			.drop()
			.catch((error: unknown) => log(`could not drop ${database.name}: ${error}`));
	}
}

/** Ctrl-C, SIGTERM or a run past the watchdog's limit: stop the servers, drop the databases. */
function cleanUpOnSignalOrTimeout(): NodeJS.Timeout {
	const stopOnSignal = (signal: NodeJS.Signals) => {
		log(`${signal}: stopping`);
		void cleanUp().finally(() => process.exit(130));
	};
	process.once('SIGINT', stopOnSignal).once('SIGTERM', stopOnSignal);
	const watchdog = setTimeout(() => {
		log(`still running after ${WATCHDOG_MS / 60_000} minutes: giving up`);
		void cleanUp().finally(() => process.exit(1));
	}, WATCHDOG_MS);
	watchdog.unref();
	return watchdog;
}

/**
 * Two databases, each behind its own server: 10k and 1M sessions. Their cases alternate, so the
 * size comparison is not skewed by whatever else the machine does meanwhile.
 */
async function createDatabases(): Promise<Sizes<BenchDatabase>> {
	const small = await createBenchDatabase(settings.databaseUrl);
	resources.databases.push(small);
	const large = await createBenchDatabase(settings.databaseUrl);
	resources.databases.push(large);
	log(`databases ${small.name} (10k sessions) and ${large.name} (1M sessions) created`);
	return { small, large };
}

type Sizes<T> = { small: T; large: T };
/** One database and the app server in front of it. */
type Deployment = { database: BenchDatabase; server: AppServer };

type Seed = {
	now: Date;
	/** The fields of a session in the middle of its window; each kind of row changes some. */
	live: Omit<SessionSeed, 'kind' | 'from' | 'to'>;
	validLargeRows: number;
};

/** Valid sessions in both databases, and in the large one those due to slide. */
async function seedSessionsToValidate({ small, large }: Sizes<BenchDatabase>): Promise<Seed> {
	const sealed = encryptSecret('bench-tmdb-session-id', [key]);
	const now = new Date();
	const live = {
		createdAt: now,
		lastSeenAt: now,
		expiresAt: new Date(now.getTime() + 30 * DAY_MS),
		sealedTmdbSessionId: sealed
	};
	const validLargeRows = settings.largeRows - slidingRows;
	await seedUsers(small.sql);
	await seedUsers(large.sql);
	seedingMs.validSmall = await seedSessions(small.sql, {
		...live,
		kind: 'v',
		from: 1,
		to: settings.smallRows
	});
	seedingMs.validLarge = await seedSessions(large.sql, {
		...live,
		kind: 'v',
		from: 1,
		to: validLargeRows
	});
	seedingMs.sliding = await seedSessions(large.sql, {
		...live,
		kind: 's',
		from: 1,
		to: slidingRows,
		// Less than half of the 30-day window left: the first request with each slides it.
		expiresAt: new Date(now.getTime() + 10 * DAY_MS)
	});
	await vacuumAnalyze(small.sql);
	await vacuumAnalyze(large.sql);
	log(`seeded in ${JSON.stringify(seedingMs)} ms`);
	return { now, live, validLargeRows };
}

async function startServers(databases: Sizes<BenchDatabase>): Promise<Sizes<Deployment>> {
	firstPort = await freePort(4300, 4399);
	if (settings.cpuProfile) mkdirSync(profileDir, { recursive: true });
	const small = { database: databases.small, server: await startServer(databases.small) };
	const large = { database: databases.large, server: await startServer(databases.large) };
	return { small, large };
}

async function startServer(
	database: BenchDatabase,
	nodeOptions: string[] = [],
	url?: string,
	pooler?: 'transaction',
	build: { buildDir?: string; env?: Record<string, string> } = {}
): Promise<AppServer> {
	const server = await startAppServer({
		...build,
		port: await freePort(firstPort, 4399),
		databaseUrl: url ?? database.url,
		pooler,
		encryptionKey: key.toString('base64'),
		poolSize: settings.poolSize,
		cpuProfileDir: settings.cpuProfile ? profileDir : undefined,
		nodeOptions
	});
	resources.servers.push(server);
	log(`server pid ${server.pid} on ${server.origin} (${database.name})`);
	return server;
}

/** Stops the server and returns its peak RSS (VmHWM) in MB. */
async function stopServer(server: AppServer): Promise<number> {
	const peakRssMb = round(server.peakRss() / 1024 / 1024, 1);
	resources.servers.splice(resources.servers.indexOf(server), 1);
	await server.stop();
	return peakRssMb;
}

/** The session cookie of each case's next request. */
function sessionTokens(validLargeRows: number) {
	const invalidTokens = Array.from({ length: 10_000 }, () => randomBytes(32).toString('base64url'));
	let invalidNext = 0;
	let slidingNext = 1;
	return {
		anonymous: () => null,
		valid: () => seededToken('v', randomIn(settings.smallRows)),
		validLarge: () => seededToken('v', randomIn(validLargeRows)),
		sliding: () => seededToken('s', slidingNext++),
		invalid: () => invalidTokens[invalidNext++ % invalidTokens.length]!,
		malformed: () => 'not-a-session-token',
		slidingTokensUsed: () => slidingNext - 1,
		/** From now on, hand out the sliding sessions kept for the round-trip count. */
		useReservedSliding: () => {
			slidingNext = slidingRows - slidingReserved + 1;
		}
	};
}
type SessionTokens = ReturnType<typeof sessionTokens>;

async function checkEachKindOfCookie(
	small: Deployment,
	large: Deployment,
	tokens: SessionTokens
): Promise<void> {
	await checkCase(small.server, null, { signedIn: false, clearsCookie: false });
	await checkCase(small.server, tokens.valid(), { signedIn: true, clearsCookie: false });
	await checkCase(small.server, tokens.invalid(), { signedIn: false, clearsCookie: true });
	await checkCase(small.server, tokens.malformed(), { signedIn: false, clearsCookie: true });
	await checkCase(large.server, tokens.validLarge(), { signedIn: true, clearsCookie: false });
}

/** Warms both servers up (JIT, pools, prepared statements) on both paths before any case. */
async function warmUpServers(
	small: Deployment,
	large: Deployment,
	tokens: SessionTokens
): Promise<void> {
	await warmUp(small.server, everyOtherSignedIn(tokens.valid));
	await warmUp(large.server, everyOtherSignedIn(tokens.validLarge));
}

/** Load without measuring, so JIT, pools and prepared statements are warm when a case starts. */
async function warmUp(server: AppServer, nextToken: () => string | null): Promise<void> {
	await measureLoad(server, {
		connections: settings.connections,
		warmupSeconds: 0,
		seconds: SERVER_WARMUP_SECONDS,
		nextToken
	});
}

/** Signed in and anonymous requests in turn, so both paths warm up. */
function everyOtherSignedIn(valid: () => string): () => string | null {
	let requests = 0;
	return () => (requests++ % 2 === 0 ? valid() : null);
}

/** Measures one case (or one round of it) into `cases`; any non-2xx answer fails the run. */
async function measure(
	name: CaseName,
	label: string,
	{ database, server }: Deployment,
	nextToken: () => string | null,
	extra: Partial<LoadOptions> = {}
): Promise<void> {
	const sessionRows = await countSessions(database.sql);
	const result = await measureLoad(server, {
		connections: settings.connections,
		warmupSeconds: settings.warmupSeconds,
		seconds: settings.seconds,
		nextToken,
		...extra
	});
	if (result.non2xx > 0 || result.errors > 0) {
		throw new Error(`${label}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
	}
	log(
		`${label} (${sessionRows} sessions): ${result.requestsPerSecond} req/s, ` +
			`p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, ` +
			`server RSS up to ${result.serverRssMaxMb} MB`
	);
	const rounds = [...(cases[name]?.rounds ?? []), result];
	cases[name] = { label, sessionRows, ...combineRounds(rounds), rounds };
}

/**
 * The headline comparison, in alternating rounds: a neighbour's burst of CPU use then lands on
 * every case, not on one.
 */
async function measureAnonymousAndValidInRounds(
	small: Deployment,
	large: Deployment,
	tokens: SessionTokens
): Promise<void> {
	for (let i = 0; i < settings.rounds; i++) {
		await measure('anonymous', '1. anonymous', small, tokens.anonymous);
		await measure('valid', '2. valid session', small, tokens.valid);
		await measure('validLarge', '2. valid session, 1M rows', large, tokens.validLarge);
	}
}

/** Returns how many sessions due to slide the case used (each slides once). */
async function measureSlidingWindow(large: Deployment, tokens: SessionTokens): Promise<number> {
	await measure('sliding', '3. sliding window moves (write)', large, tokens.sliding);
	const slidingTokensUsed = tokens.slidingTokensUsed();
	if (slidingTokensUsed > slidingRows - slidingReserved) {
		throw new Error(
			`the sliding case used ${slidingTokensUsed} sessions, more than the ${slidingRows - slidingReserved} due to slide`
		);
	}
	return slidingTokensUsed;
}

async function measureInvalidCookies(small: Deployment, tokens: SessionTokens): Promise<void> {
	await measure('invalid', '4. invalid cookie (well-formed, unknown)', small, tokens.invalid);
	await measure('malformed', '4b. malformed cookie', small, tokens.malformed);
}

/** PgBouncer in transaction mode (PgBouncer's defaults), as on a managed host's pooled URL. */
async function startPooler(): Promise<PgBouncer> {
	const pgbouncer = await startPgBouncer(settings.databaseUrl);
	resources.pgbouncer = pgbouncer;
	return pgbouncer;
}

/** Anonymous and valid through PgBouncer, in alternating rounds on the same server. */
async function measureThroughPoolerInRounds(
	small: BenchDatabase,
	pgbouncer: PgBouncer,
	tokens: SessionTokens
): Promise<void> {
	const server = await startServer(small, [], pgbouncer.urlFor(small.name), 'transaction');
	const pooled = { database: small, server };
	await checkCase(server, tokens.valid(), { signedIn: true, clearsCookie: false });
	await warmUp(server, everyOtherSignedIn(tokens.valid));
	for (let i = 0; i < settings.rounds; i++) {
		await measure('pooledAnonymous', '5. anonymous, through PgBouncer', pooled, tokens.anonymous);
		await measure('pooledValid', '5. valid session, through PgBouncer', pooled, tokens.valid);
	}
	await stopServer(server);
}

/** 1M expired sessions on top of the large database, then cleanup under authenticated load. */
async function measureCleanupUnderLoad(
	large: Deployment,
	tokens: SessionTokens,
	{ now, live }: Seed
): Promise<NonNullable<BenchResults['cleanup']>> {
	seedingMs.expired = await seedSessions(large.database.sql, {
		...live,
		kind: 'x',
		from: 1,
		to: settings.largeRows,
		createdAt: new Date(now.getTime() - 40 * DAY_MS),
		lastSeenAt: new Date(now.getTime() - 31 * DAY_MS),
		expiresAt: new Date(now.getTime() - DAY_MS)
	});
	await vacuumAnalyze(large.database.sql);
	await measure('cleanupBaseline', '2. valid session, before cleanup', large, tokens.validLarge);
	const outcome: { cleanup?: NonNullable<BenchResults['cleanup']>; error?: unknown } = {};
	await measure('duringCleanup', '2. valid session, during cleanup', large, tokens.validLarge, {
		seconds: CLEANUP_MAX_SECONDS,
		// The benchmark's own pool runs it, as another instance's cleanup job would.
		during: async () => {
			const started = performance.now();
			try {
				const result = await deleteExpiredSessions(
					cleanupServicesOn(large.database.sql),
					new Date()
				);
				const durationMs = Math.round(performance.now() - started);
				outcome.cleanup = { deleted: result.deleted, durationMs };
				log(`cleanup deleted ${result.deleted} sessions in ${durationMs} ms`);
			} catch (error) {
				outcome.error = error;
			}
		}
	});
	if (outcome.error) throw outcome.error;
	if (!outcome.cleanup) throw new Error(`cleanup did not finish within ${CLEANUP_MAX_SECONDS} s`);
	return outcome.cleanup;
}

/** Start flags side by side: one server per variant, each warmed up, in alternating rounds. */
async function measureStartFlagsSideBySide(
	large: BenchDatabase,
	tokens: SessionTokens
): Promise<BenchResults['memory']['heapVariants']> {
	const servers: AppServer[] = [];
	for (const flags of settings.heapVariants) {
		const server = await startServer(large, flags.split(' ').filter(Boolean));
		servers.push(server);
		await warmUp(server, tokens.validLarge);
	}
	for (let i = 0; i < settings.rounds; i++) {
		for (const [index, server] of servers.entries()) {
			const flags = settings.heapVariants[index] || '(no flags)';
			await measure(
				`heap${index}`,
				`2. valid session, ${flags}`,
				{ database: large, server },
				tokens.validLarge
			);
		}
	}
	const heapVariants = servers.map((server, index) => ({
		nodeOptions: settings.heapVariants[index]!,
		requestsPerSecond: cases[`heap${index}`]!.requestsPerSecond,
		peakRssMb: round(server.peakRss() / 1024 / 1024, 1)
	}));
	for (const server of servers) await stopServer(server);
	return heapVariants;
}

const BASELINE_DIR = path.resolve('bench/.tmp/baseline');
const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();

/** The commit whose build is "today's": BENCH_BASELINE_REF, or the one before observability. */
function baselineCommit(): string {
	const ref = process.env.BENCH_BASELINE_REF;
	if (ref) return git('rev-parse', '--verify', `${ref}^{commit}`);
	const added = git(
		'log',
		'--format=%H',
		'--diff-filter=A',
		'-1',
		'--',
		'src/instrumentation.server.ts'
	);
	if (!added)
		throw new Error('no commit adds src/instrumentation.server.ts: set BENCH_BASELINE_REF');
	return git('rev-parse', `${added}^`);
}

function removeBaselineBuild(): void {
	rmSync(BASELINE_DIR, { recursive: true, force: true });
	git('worktree', 'prune');
}

/** Builds the baseline commit in a worktree under bench/.tmp, with this checkout's packages. */
function buildBaseline(): { commit: string; buildDir: string } {
	const commit = baselineCommit();
	removeBaselineBuild();
	git('worktree', 'add', '--detach', '--force', BASELINE_DIR, commit);
	symlinkSync(path.resolve('node_modules'), path.join(BASELINE_DIR, 'node_modules'), 'dir');
	execFileSync(process.execPath, [path.resolve('node_modules/vite/bin/vite.js'), 'build'], {
		cwd: BASELINE_DIR,
		stdio: 'ignore'
	});
	log(`today's build: ${commit.slice(0, 7)} built in ${BASELINE_DIR}`);
	return { commit, buildDir: path.join(BASELINE_DIR, 'build') };
}

/** Stands in for an OpenTelemetry Collector: takes every export, reads nothing of it. */
async function startOtlpSink(): Promise<string> {
	const sink = createServer((request, response) => {
		request.resume();
		request.on('end', () => response.writeHead(200).end('{}'));
	});
	resources.otlpReceiver = sink;
	await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
	return `http://127.0.0.1:${(sink.address() as net.AddressInfo).port}`;
}

/**
 * Today's build (before observability), this build with observability off, with metrics on
 * (scraped every 5 s), and with traces on too (to a sink standing in for a collector), every
 * trace kept or one in ten: the valid-session case on each, in alternating rounds, each server
 * warmed up first.
 */
async function measureObservabilitySideBySide(
	large: BenchDatabase,
	tokens: SessionTokens
): Promise<NonNullable<BenchResults['observability']>> {
	const baseline = buildBaseline();
	const collector = await startOtlpSink();
	// Above the servers' ports, which are taken upwards from the first free one.
	const metricsPorts: number[] = [];
	const metrics = async () => {
		metricsPorts.push(await freePort((metricsPorts.at(-1) ?? 4389) + 1, 4399));
		return { METRICS_PORT: String(metricsPorts.at(-1)) };
	};
	const variants: (ObservabilityVariant & { buildDir?: string; env?: Record<string, string> })[] = [
		{
			name: 'today',
			label: `today's build (${baseline.commit.slice(0, 7)})`,
			buildDir: baseline.buildDir
		},
		{ name: 'off', label: 'observability off' },
		{ name: 'metrics', label: 'metrics on', env: await metrics() },
		{
			name: 'all',
			label: 'metrics and traces on, every trace kept',
			env: { ...(await metrics()), OTEL_EXPORTER_OTLP_ENDPOINT: collector }
		},
		{
			name: 'sampled',
			label: 'metrics and traces on, 1 trace in 10 kept',
			env: {
				...(await metrics()),
				OTEL_EXPORTER_OTLP_ENDPOINT: collector,
				OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
				OTEL_TRACES_SAMPLER_ARG: '0.1'
			}
		}
	];
	const servers: AppServer[] = [];
	for (const variant of variants) {
		const server = await startServer(large, [], undefined, undefined, variant);
		servers.push(server);
		await warmUp(server, tokens.validLarge);
	}
	// As Prometheus would, a little more often than usual.
	const scrape = () => {
		for (const port of metricsPorts) {
			void fetch(`http://127.0.0.1:${port}/metrics`).then(
				(response) => response.text(),
				() => ''
			);
		}
	};
	const scraper = setInterval(scrape, 5_000);
	try {
		for (let i = 0; i < settings.rounds; i++) {
			for (const [index, server] of servers.entries()) {
				const label = `2. valid session, ${variants[index]!.label}`;
				await measure(
					`observability${index}`,
					label,
					{ database: large, server },
					tokens.validLarge
				);
			}
		}
	} finally {
		clearInterval(scraper);
	}
	const today = cases.observability0!.rounds;
	/**
	 * Each round's figure over today's build's in the same round, the median of those: the load
	 * of a shared machine drifts from round to round, and moves both sides of a pair alike.
	 */
	const vsToday = (rounds: LoadResult[], figure: (result: LoadResult) => number) =>
		round(median(rounds.map((result, i) => figure(result) / figure(today[i]!))), 3);
	const result = variants.map((variant, index) => {
		const measured = cases[`observability${index}`]!;
		return {
			name: variant.name,
			label: variant.label,
			requestsPerSecond: measured.requestsPerSecond,
			cpuMsPerRequest: measured.cpuMsPerRequest,
			vsToday: {
				throughput: vsToday(measured.rounds, (r) => r.requestsPerSecond),
				cpu: vsToday(measured.rounds, (r) => r.cpuMsPerRequest)
			},
			p99Ms: measured.latencyMs.p99,
			peakRssMb: round(servers[index]!.peakRss() / 1024 / 1024, 1)
		};
	});
	for (const server of servers) await stopServer(server);
	return { baselineCommit: baseline.commit, variants: result };
}

/** Round trips, with a server whose database connections pass the counting proxy. */
async function countRoundTripsPerCase(
	large: BenchDatabase,
	tokens: SessionTokens
): Promise<BenchResults['roundTrips']> {
	const counter = await startWireCounter(large.url);
	resources.counter = counter;
	const counted = await startServer(large, [], counter.url);
	tokens.useReservedSliding();
	const roundTrips: BenchResults['roundTrips'] = {};
	const roundTripTokens = { ...tokens, valid: tokens.validLarge };
	for (const name of ['anonymous', 'valid', 'sliding', 'invalid', 'malformed'] as const) {
		roundTrips[name] = await countRoundTrips(counted, counter, roundTripTokens[name], {
			warmup: ROUND_TRIP_WARMUP,
			requests: ROUND_TRIP_REQUESTS
		});
		log(`round trips, ${name}: ${JSON.stringify(roundTrips[name].statementsPerRequest)}`);
	}
	await stopServer(counted);
	return roundTrips;
}

/** Exchanges of a valid request through PgBouncer, counted between the server and PgBouncer. */
async function countExchangesThroughPooler(
	small: BenchDatabase,
	pgbouncer: PgBouncer,
	tokens: SessionTokens
): Promise<NonNullable<BenchResults['roundTrips']['pooledValid']>> {
	const counter = await startWireCounter(pgbouncer.urlFor(small.name));
	resources.pooledCounter = counter;
	const counted = await startServer(small, [], counter.url, 'transaction');
	const pooledValid = await countRoundTrips(counted, counter, tokens.valid, {
		warmup: ROUND_TRIP_WARMUP,
		requests: ROUND_TRIP_REQUESTS
	});
	log(
		`exchanges, valid through PgBouncer: ${pooledValid.exchangesPerRequest} ` +
			`(${JSON.stringify(pooledValid.statementsPerRequest)})`
	);
	await stopServer(counted);
	return pooledValid;
}

async function collectResults(run: {
	startedAt: Date;
	loadAtStart: number[];
	/** Asked for its PostgreSQL version. */
	database: BenchDatabase;
	slidingTokensUsed: number;
	cleanup: NonNullable<BenchResults['cleanup']>;
	roundTrips: BenchResults['roundTrips'];
	peakRssMb: number;
	heapVariants: BenchResults['memory']['heapVariants'];
	observability: BenchResults['observability'];
}): Promise<BenchResults> {
	return {
		name: settings.name,
		startedAt: run.startedAt.toISOString(),
		durationSeconds: Math.round((Date.now() - run.startedAt.getTime()) / 1000),
		machine: {
			cpus: os.cpus().length,
			cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
			memoryMb: Math.round(os.totalmem() / 1024 / 1024),
			node: process.version,
			postgres: await postgresVersion(run.database.sql),
			platform: `${os.platform()} ${os.release()}`,
			loadAverageAtStart: run.loadAtStart,
			loadAverageAtEnd: loadAverage()
		},
		settings: {
			connections: settings.connections,
			warmupSeconds: settings.warmupSeconds,
			seconds: settings.seconds,
			rounds: settings.rounds,
			databasePoolSize: settings.poolSize,
			users: 1_000,
			smallRows: settings.smallRows,
			largeRows: settings.largeRows,
			slidingRows,
			cpuProfile: settings.cpuProfile
		},
		seedingMs: Object.fromEntries(
			Object.entries(seedingMs).map(([name, ms]) => [name, Math.round(ms)])
		),
		cases,
		slidingTokensUsed: run.slidingTokensUsed,
		cleanup: run.cleanup,
		roundTrips: run.roundTrips,
		memory: {
			peakRssMb: run.peakRssMb,
			heapVariants: run.heapVariants,
			maxSampledRssMb: Math.max(
				...Object.entries(cases)
					.filter(([name]) => !name.startsWith('heap'))
					.map(([, result]) => result?.serverRssMaxMb ?? 0)
			)
		},
		observability: run.observability,
		targets: evaluateTargets(cases, run.roundTrips, run.heapVariants, run.observability)
	};
}

/** bench/results/latest.json (and <name>.json); after a full-size run, docs/performance.md. */
async function writeResults(results: BenchResults): Promise<void> {
	const files = writeResultsJson(
		results,
		settings.name === 'latest' ? ['latest.json'] : ['latest.json', `${settings.name}.json`]
	);
	log(`results: ${files.join(', ')}`);
	if (settings.largeRows === FULL_LARGE_ROWS) {
		await writeDocsTables(results);
		log('docs/performance.md updated');
	} else {
		log('not a full-size run: docs/performance.md left alone');
	}
}

function logTargets(targets: Target[]): void {
	for (const target of targets) {
		log(
			`${target.met ? 'met   ' : 'MISSED'} ${target.name}: ${target.measured} (${target.target})`
		);
	}
}

/** The flags `npm start` uses (package.json), judged against the first variant (no flags). */
const NPM_START_FLAGS = (
	/^(?:(?:export )?NODE_ENV=production (?:&& )?)?(?:exec )?node (.*) build$/.exec(
		(JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts
			.start
	)?.[1] ?? ''
).trim();

function evaluateTargets(
	cases: Partial<Record<CaseName, CaseResult>>,
	roundTrips: BenchResults['roundTrips'],
	heapVariants: BenchResults['memory']['heapVariants'],
	observability: BenchResults['observability']
): Target[] {
	const targets: Target[] = [];
	const ratio = (a?: number, b?: number) => (a !== undefined && b ? a / b : Number.NaN);
	const throughput = ratio(cases.valid?.requestsPerSecond, cases.anonymous?.requestsPerSecond);
	targets.push({
		name: 'authenticated throughput',
		target: '>= 0.90 of anonymous',
		measured: `${throughput.toFixed(2)} of anonymous`,
		met: throughput >= 0.9
	});
	const valid = roundTrips.valid;
	const writes = valid
		? Object.entries(valid.statementsPerRequest)
				.filter(([keyword]) => keyword !== 'SELECT')
				.reduce((sum, [, count]) => sum + count, 0)
		: Number.NaN;
	targets.push({
		name: 'round trips per authenticated request',
		target: 'exactly 1, no write unless the window moves',
		measured: `${valid?.exchangesPerRequest ?? '?'} exchanges, ${writes} writes`,
		met: valid?.exchangesPerRequest === 1 && writes === 0
	});
	const pooled = ratio(
		cases.pooledValid?.requestsPerSecond,
		cases.pooledAnonymous?.requestsPerSecond
	);
	targets.push({
		name: 'authenticated throughput through PgBouncer',
		target: '>= 0.90 of anonymous through PgBouncer, same run',
		measured: `${pooled.toFixed(2)} of anonymous`,
		met: pooled >= 0.9
	});
	const pooledExchanges = roundTrips.pooledValid?.exchangesPerRequest;
	targets.push({
		name: 'exchanges per authenticated request through PgBouncer',
		target: '<= 2 (no named prepared statements: Parse/Describe, then Bind/Execute)',
		measured: `${pooledExchanges ?? '?'} exchanges`,
		met: pooledExchanges !== undefined && pooledExchanges <= 2
	});
	const growth = ratio(cases.validLarge?.latencyMs.p99, cases.valid?.latencyMs.p99);
	targets.push({
		name: 'p99 with 1M sessions',
		target: '<= 1.2 x p99 with 10k',
		measured: `${cases.validLarge?.latencyMs.p99} ms vs ${cases.valid?.latencyMs.p99} ms (${growth.toFixed(2)} x)`,
		met: growth <= 1.2
	});
	const duringCleanup = ratio(
		cases.duringCleanup?.latencyMs.p99,
		cases.cleanupBaseline?.latencyMs.p99
	);
	targets.push({
		name: 'p99 during cleanup of 1M rows',
		target: '<= 2 x baseline',
		measured: `${cases.duringCleanup?.latencyMs.p99} ms vs ${cases.cleanupBaseline?.latencyMs.p99} ms (${duringCleanup.toFixed(2)} x)`,
		met: duringCleanup <= 2
	});
	const baseline = heapVariants[0];
	const chosen = heapVariants.find((variant) => variant.nodeOptions === NPM_START_FLAGS);
	const chosenRatio = ratio(chosen?.requestsPerSecond, baseline?.requestsPerSecond);
	targets.push({
		name: '`npm start` flags',
		target: 'peak RSS < 150 MB at >= 0.95 of the throughput without flags',
		measured: chosen
			? `\`${chosen.nodeOptions}\`: ${chosen.peakRssMb} MB, ${chosenRatio.toFixed(2)} of ${baseline?.requestsPerSecond} req/s (no flags: ${baseline?.peakRssMb} MB)`
			: `not measured (BENCH_HEAP_VARIANTS lacks ${NPM_START_FLAGS})`,
		met: chosen !== undefined && chosen.peakRssMb < 150 && chosenRatio >= 0.95
	});
	const off = observability?.variants.find((variant) => variant.name === 'off');
	const offThroughput = off?.vsToday.throughput ?? Number.NaN;
	const offCpu = off?.vsToday.cpu ?? Number.NaN;
	targets.push({
		name: 'observability off',
		target:
			"throughput >= 0.97 and CPU per request <= 1.03 of today's build (median of the rounds' ratios), same run",
		measured: `${offThroughput.toFixed(3)} of the throughput, ${offCpu.toFixed(3)} of the CPU per request`,
		met: offThroughput >= 0.97 && offCpu <= 1.03
	});
	return targets;
}

process.on('exit', killAllServers);
main().then(
	() => process.exit(0),
	(error: unknown) => {
		console.error(error);
		process.exit(1);
	}
);
