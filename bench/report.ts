/**
 * The results of one run: a JSON file under `bench/results/` and the tables of
 * `docs/performance.md` (between the `bench:results` markers; the prose around them is kept).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import type { LoadResult } from './load.ts';
import type { RoundTripResult } from './round-trips.ts';

export type CaseName =
	| 'anonymous'
	| 'valid'
	| 'sliding'
	| 'invalid'
	| 'malformed'
	| 'validLarge'
	| 'cleanupBaseline'
	| 'duringCleanup'
	| 'pooledAnonymous'
	| 'pooledValid'
	| `heap${number}`
	| `observability${number}`;

/** A case's figures are the median of its rounds (most cases have one). */
export type CaseResult = LoadResult & { label: string; sessionRows: number; rounds: LoadResult[] };

/** The servers of the observability comparison; `today` is the baseline. */
export type ObservabilityVariant = {
	name: 'today' | 'off' | 'metrics' | 'all' | 'sampled';
	label: string;
};

export type Target = { name: string; target: string; measured: string; met: boolean };

export type BenchResults = {
	name: string;
	startedAt: string;
	durationSeconds: number;
	machine: {
		cpus: number;
		cpuModel: string;
		memoryMb: number;
		node: string;
		postgres: string;
		platform: string;
		/** 1, 5 and 15-minute load averages: other work on the machine skews the figures. */
		loadAverageAtStart: number[];
		loadAverageAtEnd: number[];
	};
	settings: {
		connections: number;
		warmupSeconds: number;
		seconds: number;
		rounds: number;
		databasePoolSize: number;
		users: number;
		smallRows: number;
		largeRows: number;
		slidingRows: number;
		cpuProfile: boolean;
	};
	seedingMs: Record<string, number>;
	cases: Partial<Record<CaseName, CaseResult>>;
	slidingTokensUsed: number;
	cleanup: { deleted: number; durationMs: number } | null;
	roundTrips: Partial<
		Record<
			'anonymous' | 'valid' | 'sliding' | 'invalid' | 'malformed' | 'pooledValid',
			RoundTripResult
		>
	>;
	memory: {
		/** VmHWM of the server that ran every case above, started as `node build`. */
		peakRssMb: number;
		maxSampledRssMb: number;
		/**
		 * Servers with different start flags, side by side on the valid-session case (median of
		 * alternating rounds): requests/s, and VmHWM over warm-up and rounds.
		 */
		heapVariants: { nodeOptions: string; requestsPerSecond: number; peakRssMb: number }[];
	};
	/**
	 * The valid-session case on today's build (`baselineCommit`), this build with observability
	 * off, and with traces and metrics on (median of alternating rounds).
	 */
	observability?: {
		baselineCommit: string;
		variants: (ObservabilityVariant & {
			requestsPerSecond: number;
			cpuMsPerRequest: number;
			/** The median of each round's ratio to today's build in the same round. */
			vsToday: { throughput: number; cpu: number };
			p99Ms: number;
			peakRssMb: number;
		})[];
	};
	targets: Target[];
};

const DOC = path.resolve('docs/performance.md');
const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

export function writeResultsJson(results: BenchResults, fileNames: string[]): string[] {
	const dir = path.resolve('bench/results');
	mkdirSync(dir, { recursive: true });
	const text = `${JSON.stringify(results, null, '\t')}\n`;
	return fileNames.map((fileName) => {
		const file = path.join(dir, fileName);
		writeFileSync(file, text);
		return file;
	});
}

const fmt = (value: number, digits = 0) =>
	value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function renderTables(results: BenchResults): string {
	const anonymous = results.cases.anonymous;
	const rtKey: Partial<Record<CaseName, keyof BenchResults['roundTrips']>> = {
		anonymous: 'anonymous',
		valid: 'valid',
		sliding: 'sliding',
		invalid: 'invalid',
		malformed: 'malformed',
		pooledValid: 'pooledValid'
	};
	const lines = [
		`Run \`${results.name}\` of ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC, ` +
			`${fmt(results.durationSeconds)} s in all. Machine: ${results.machine.cpus} cores ` +
			`(${results.machine.cpuModel}), ${fmt(results.machine.memoryMb)} MB, Node ${results.machine.node}, ` +
			`${results.machine.postgres.split(' on ')[0]}. ${results.settings.connections} connections, ` +
			`${results.settings.warmupSeconds} s warm-up then ${results.settings.seconds} s per case ` +
			`(cases 1 and 2: median of ${results.settings.rounds} alternating rounds), server pool of ` +
			`${results.settings.databasePoolSize} connections, \`LOG_LEVEL=warn\`. Load average ` +
			`${results.machine.loadAverageAtStart[0]} at the start, ${results.machine.loadAverageAtEnd[0]} at the end.`,
		'',
		'| case | rows in `auth_sessions` | requests/s | p50 ms | p99 ms | vs anonymous | exchanges with the database / request |',
		'| --- | --: | --: | --: | --: | --: | --- |'
	];
	for (const [name, result] of Object.entries(results.cases) as [CaseName, CaseResult][]) {
		// Cases through PgBouncer compare with anonymous through PgBouncer, in the same rounds.
		const base = name.startsWith('pooled') ? results.cases.pooledAnonymous : anonymous;
		const ratio = base ? fmt(result.requestsPerSecond / base.requestsPerSecond, 2) : '';
		const key = rtKey[name];
		const rt = key ? results.roundTrips[key] : undefined;
		const rtText = rt
			? `${fmt(rt.exchangesPerRequest ?? rt.roundTripsPerRequest, 2)} (${
					Object.entries(rt.statementsPerRequest)
						.map(([keyword, count]) => `${fmt(count, 2)} ${keyword}`)
						.join(', ') || 'none'
				})`
			: '';
		lines.push(
			`| ${result.label} | ${fmt(result.sessionRows)} | ${fmt(result.requestsPerSecond)} | ` +
				`${result.latencyMs.p50} | ${result.latencyMs.p99} | ${ratio} | ${rtText} |`
		);
	}
	if (results.cleanup) {
		lines.push(
			'',
			`Cleanup deleted ${fmt(results.cleanup.deleted)} expired sessions in ` +
				`${fmt(results.cleanup.durationMs / 1000, 1)} s (batches of 1,000) while the authenticated load ran.`
		);
	}
	lines.push(
		'',
		`Server memory: peak RSS (VmHWM) ${fmt(results.memory.peakRssMb, 1)} MB as \`node build\` ` +
			`through the cases above (highest sampled VmRSS ${fmt(results.memory.maxSampledRssMb, 1)} MB).`,
		'',
		'Start flags side by side (valid session, 1M rows, median of alternating rounds):',
		'',
		'| `node ... build` | requests/s | vs no flags | peak RSS MB |',
		'| --- | --: | --: | --: |',
		...results.memory.heapVariants.map(
			(variant) =>
				`| \`${variant.nodeOptions || '(no flags)'}\` | ${fmt(variant.requestsPerSecond)} | ` +
				`${fmt(variant.requestsPerSecond / (results.memory.heapVariants[0]?.requestsPerSecond ?? Number.NaN), 2)} | ` +
				`${fmt(variant.peakRssMb, 1)} |`
		),
		...observabilityTable(results),
		'',
		'| target | measured | met |',
		'| --- | --- | --- |',
		...results.targets.map(
			(t) => `| ${t.name}: ${t.target} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`
		)
	);
	return lines.join('\n');
}

function observabilityTable(results: BenchResults): string[] {
	const variants = results.observability?.variants ?? [];
	if (variants.length === 0) return [];
	return [
		'',
		"Observability side by side (valid session, 1M rows, median of alternating rounds; CPU is the server's, user and system; \"vs today's\" is the median of each round's ratio to today's build in that round):",
		'',
		"| server | requests/s | vs today's | CPU ms / request | vs today's | p99 ms | peak RSS MB |",
		'| --- | --: | --: | --: | --: | --: | --: |',
		...variants.map(
			(variant) =>
				`| ${variant.label} | ${fmt(variant.requestsPerSecond)} | ` +
				`${fmt(variant.vsToday.throughput, 3)} | ` +
				`${fmt(variant.cpuMsPerRequest, 3)} | ${fmt(variant.vsToday.cpu, 3)} | ` +
				`${variant.p99Ms} | ${fmt(variant.peakRssMb, 1)} |`
		)
	];
}

/** Replaces the generated block of docs/performance.md, or creates the file around it. */
export async function writeDocsTables(results: BenchResults): Promise<void> {
	const block = `${START}\n\n${renderTables(results)}\n\n${END}`;
	const current = existsSync(DOC)
		? readFileSync(DOC, 'utf8')
		: `# Performance\n\n${START}\n${END}\n`;
	const start = current.indexOf(START);
	const end = current.indexOf(END);
	const next =
		start >= 0 && end > start
			? `${current.slice(0, start)}${block}${current.slice(end + END.length)}`
			: `${current.trimEnd()}\n\n${block}\n`;
	// Formatted as `prettier --check` expects, so a run leaves the checks green.
	const options = await prettier.resolveConfig(DOC);
	writeFileSync(DOC, await prettier.format(next, { ...options, filepath: DOC }));
}
