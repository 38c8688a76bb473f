/**
 * The built app (`node build`) as a child process of the benchmark, on a loopback port. The child
 * is killed when the benchmark exits for any reason (see `killAllServers`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export type ServerOptions = {
	port: number;
	databaseUrl: string;
	encryptionKey: string;
	poolSize: number;
	/** Directory for `node --cpu-prof` output; no profiling when unset. */
	cpuProfileDir?: string;
	/** Extra options for `node`, such as a V8 heap limit. */
	nodeOptions?: string[];
	/** DATABASE_POOLER: `transaction` when `databaseUrl` is PgBouncer in transaction mode. */
	pooler?: 'transaction';
	/** The build to run: `build` unless another (the observability comparison's baseline). */
	buildDir?: string;
	/** More environment, such as the observability variables. */
	env?: Record<string, string>;
};

export type AppServer = {
	pid: number;
	origin: string;
	/** Resident set size of the server now, in bytes (VmRSS). */
	rss(): number;
	/** Peak resident set size since the server started, in bytes (VmHWM). */
	peakRss(): number;
	/** CPU time the server has used so far, user and system, in seconds. */
	cpuSeconds(): number;
	/** Lines the server wrote to stdout and stderr (the last 200). */
	output(): string[];
	stop(): Promise<void>;
};

const running = new Set<ChildProcess>();

/** Synchronous, for `process.on('exit')`: nothing may outlive the benchmark. */
export function killAllServers(): void {
	for (const child of running) child.kill('SIGKILL');
	running.clear();
}

function readStatusKilobytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
	try {
		const status = readFileSync(`/proc/${pid}/status`, 'utf8');
		const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
		return match ? Number(match[1]) * 1024 : 0;
	} catch {
		return 0;
	}
}

/** `utime` and `stime` of /proc/<pid>/stat, in clock ticks (100 a second on Linux). */
function readCpuSeconds(pid: number): number {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		// The command name may hold spaces: count fields after its closing parenthesis.
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		return (Number(fields[11]) + Number(fields[12])) / 100;
	} catch {
		return 0;
	}
}

async function waitUntilServing(origin: string, child: ChildProcess, timeoutMs: number) {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (child.exitCode !== null || child.signalCode !== null) {
			throw new Error(`the server exited (${child.exitCode ?? child.signalCode})`);
		}
		try {
			const response = await fetch(`${origin}/`, { signal: AbortSignal.timeout(2_000) });
			await response.arrayBuffer();
			if (response.ok) return;
		} catch {
			// not listening yet
		}
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	throw new Error(`the server did not answer on ${origin} within ${timeoutMs} ms`);
}

export async function startAppServer(options: ServerOptions): Promise<AppServer> {
	const origin = `http://127.0.0.1:${options.port}`;
	const nodeArgs = [
		...(options.nodeOptions ?? []),
		...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [])
	];
	const child = spawn(process.execPath, [...nodeArgs, path.resolve(options.buildDir ?? 'build')], {
		env: {
			PATH: process.env.PATH,
			NODE_ENV: 'production',
			HOST: '127.0.0.1',
			PORT: String(options.port),
			ORIGIN: origin,
			DATABASE_URL: options.databaseUrl,
			...(options.pooler ? { DATABASE_POOLER: options.pooler } : {}),
			DATABASE_POOL_SIZE: String(options.poolSize),
			SESSION_ENCRYPTION_KEYS: options.encryptionKey,
			TMDB_SANDBOX: 'true',
			// Request logs at `info` would measure pino, not authentication.
			LOG_LEVEL: 'warn',
			// Keep the periodic TMDB re-check and the cleanup job out of the measurements.
			// (Node timers overflow past 2^31 ms, about 35,791 minutes: stay below.)
			TMDB_REVALIDATE_MINUTES: '30000',
			SESSION_CLEANUP_MINUTES: '30000',
			...options.env
		},
		stdio: ['ignore', 'pipe', 'pipe']
	});
	running.add(child);
	const lines: string[] = [];
	const collect = (chunk: Buffer) => {
		lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
		lines.splice(0, Math.max(0, lines.length - 200));
	};
	child.stdout?.on('data', collect);
	child.stderr?.on('data', collect);
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	void exited.then(() => running.delete(child));

	try {
		await waitUntilServing(origin, child, 30_000);
	} catch (error) {
		child.kill('SIGKILL');
		throw new Error(`${(error as Error).message}\n${lines.join('\n')}`, { cause: error });
	}
	const pid = child.pid!;
	return {
		pid,
		origin,
		rss: () => readStatusKilobytes(pid, 'VmRSS'),
		peakRss: () => readStatusKilobytes(pid, 'VmHWM'),
		cpuSeconds: () => readCpuSeconds(pid),
		output: () => [...lines],
		stop: async () => {
			if (child.exitCode !== null || child.signalCode !== null) return;
			// SIGTERM lets adapter-node close gracefully, which `--cpu-prof` needs to write its file.
			child.kill('SIGTERM');
			const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
			await exited;
			clearTimeout(timer);
		}
	};
}
