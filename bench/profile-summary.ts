/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and sums self time by function and by where the code
 * lives (a package, the app's build, Node internals, GC), so two profiles can be compared in text.
 */
import { readFileSync } from 'node:fs';

type ProfileNode = {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	hitCount?: number;
};

type CpuProfile = {
	nodes: ProfileNode[];
	startTime: number;
	endTime: number;
	samples: number[];
	timeDeltas: number[];
};

export type ProfileSummary = {
	totalMs: number;
	/** Share of time by area, highest first. */
	areas: { area: string; ms: number; percent: number }[];
	/** Functions by self time, highest first. */
	functions: { name: string; area: string; ms: number; percent: number }[];
};

function areaOf(url: string, functionName: string): string {
	if (!url) return functionName.startsWith('(') ? functionName : '(native)';
	if (url.startsWith('node:')) return 'node internals';
	const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
	if (pkg) return pkg[1]!;
	const build = /\/build\/(.*)$/.exec(url);
	if (build) return `app build (${build[1]!.replace(/\/chunks\/.*/, '/chunks')})`;
	return url;
}

export function summarizeProfile(file: string, top = 25): ProfileSummary {
	const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
	const byId = new Map(profile.nodes.map((node) => [node.id, node]));
	const selfUs = new Map<number, number>();
	profile.samples.forEach((id, index) => {
		selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
	});
	const totalUs = [...selfUs.values()].reduce((sum, value) => sum + value, 0);
	const areas = new Map<string, number>();
	const functions = new Map<string, { area: string; us: number }>();
	for (const [id, us] of selfUs) {
		const frame = byId.get(id)!.callFrame;
		const area = areaOf(frame.url, frame.functionName);
		areas.set(area, (areas.get(area) ?? 0) + us);
		const file = frame.url.split('/').slice(-1)[0] ?? '';
		const name = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
		const entry = functions.get(name) ?? { area, us: 0 };
		entry.us += us;
		functions.set(name, entry);
	}
	const percent = (us: number) => Math.round((us / totalUs) * 1000) / 10;
	return {
		totalMs: Math.round(totalUs / 1000),
		areas: [...areas]
			.sort((a, b) => b[1] - a[1])
			.map(([area, us]) => ({ area, ms: Math.round(us / 1000), percent: percent(us) })),
		functions: [...functions]
			.sort((a, b) => b[1].us - a[1].us)
			.slice(0, top)
			.map(([name, { area, us }]) => ({
				name,
				area,
				ms: Math.round(us / 1000),
				percent: percent(us)
			}))
	};
}

export function formatSummary(summary: ProfileSummary): string {
	return [
		`total ${summary.totalMs} ms sampled`,
		'',
		'by area:',
		...summary.areas.slice(0, 20).map((a) => `  ${a.percent.toFixed(1).padStart(5)}%  ${a.area}`),
		'',
		'by function (self time):',
		...summary.functions.map(
			(f) => `  ${f.percent.toFixed(1).padStart(5)}%  ${f.name}  [${f.area}]`
		)
	].join('\n');
}
