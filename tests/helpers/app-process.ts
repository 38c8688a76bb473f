/**
 * Runs the built app (`node build`, as production does, or `npm start` as the deployment guide
 * says) in a child process for tests that need the real server: hostile input, several
 * instances, database faults, shutdown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export type AppProcess = {
	url: string;
	port: number;
	/** The environment it runs with: every ANY_FREE_PORT filled in. */
	env: Record<string, string>;
	child: ChildProcess;
	/** Every line the app printed (its JSON logs). */
	output: string[];
	stop(): Promise<number | null>;
};

/**
 * Where the kernel takes the local ports of outgoing connections (Linux; 32768 to 60999 by
 * default). Tests connect a great deal (PostgreSQL, PgBouncer, the app, the sandbox), so a port
 * chosen in that range and bound a moment later is often taken by one of those connections:
 * ports for servers are chosen below it.
 */
const EPHEMERAL_PORTS_FROM = (() => {
	try {
		return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]);
	} catch {
		return 32_768;
	}
})();
const SERVER_PORTS_FROM = 20_000;

/** Whether `port` (0: any) can be bound on loopback now; the port bound, or null. */
function bindable(port: number): Promise<number | null> {
	return new Promise((resolve) => {
		const server = createServer();
		server.once('error', () => resolve(null));
		server.listen(port, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => resolve(typeof address === 'object' && address ? address.port : null));
		});
	});
}

/**
 * A port nothing listens on now, for a server a test starts: below the ephemeral range (above),
 * chosen at random so that suites running side by side rarely pick the same one. Where that
 * range starts too low to leave room, the kernel picks one.
 */
export async function freePort(): Promise<number> {
	const room = EPHEMERAL_PORTS_FROM - SERVER_PORTS_FROM;
	for (let tries = 0; room > 1_000 && tries < 50; tries++) {
		const port = await bindable(SERVER_PORTS_FROM + Math.floor(Math.random() * room));
		if (port !== null) return port;
	}
	const port = await bindable(0);
	if (port === null) throw new Error('no free port on 127.0.0.1');
	return port;
}

export const TEST_ENCRYPTION_KEY = randomBytes(32).toString('base64');

/** An env value `startApp` replaces with a free port on each try (METRICS_PORT, say). */
export const ANY_FREE_PORT = '<any free port>';

/**
 * Starts the built app on a free port and resolves once it says it listens. The port is free
 * when chosen, but another process may take it before the app binds it (CI runs three suites at
 * once): then the app exits with EADDRINUSE and is started again on another port. Until then
 * something else may answer on that port, so readiness is the app's own `listening` line, never
 * an answer on the port. Other ports the app binds (METRICS_PORT) are given as ANY_FREE_PORT, so
 * each try takes fresh ones too.
 */
export async function startApp(
	env: Record<string, string>,
	options: { command?: 'node build' | 'npm start' } = {}
): Promise<AppProcess> {
	if (!existsSync('build/index.js')) {
		throw new Error('These tests run the built app: run `npm run build` first (npm test does).');
	}
	for (let attempt = 1; ; attempt++) {
		const ports = Object.entries(env).filter(([, value]) => value === ANY_FREE_PORT);
		const filled = { ...env };
		for (const [name] of ports) filled[name] = String(await freePort());
		const app = await launchApp(await freePort(), filled, options);
		if (app) return app;
		if (attempt === 3) throw new Error('the app found three ports taken in a row');
	}
}

/** The app on `port`, or null when another process holds the port. */
async function launchApp(
	port: number,
	env: Record<string, string>,
	options: { command?: 'node build' | 'npm start' }
): Promise<AppProcess | null> {
	const url = `http://127.0.0.1:${port}`;
	const output: string[] = [];
	const viaNpm = options.command === 'npm start';
	const appEnv: Record<string, string> = {
		// `npm start` must set production mode itself; npm asks the registry for nothing.
		...(viaNpm ? { npm_config_update_notifier: 'false' } : { NODE_ENV: 'production' }),
		HOST: '127.0.0.1',
		PORT: String(port),
		ORIGIN: url,
		SESSION_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEY,
		LOG_LEVEL: 'info',
		...env
	};
	const child = spawn(viaNpm ? 'npm' : process.execPath, viaNpm ? ['start'] : ['build'], {
		stdio: ['ignore', 'pipe', 'pipe'],
		env: { PATH: process.env.PATH, ...appEnv }
	});
	// 'close', not 'exit': by then every line the app wrote has been read.
	const exited = new Promise<number | null>((resolve) =>
		child.once('close', (code) => resolve(code))
	);
	let buffered = '';
	let listening: () => void;
	const saidListening = new Promise<void>((resolve) => (listening = resolve));
	const collect = (chunk: Buffer) => {
		buffered += chunk.toString('utf8');
		const lines = buffered.split('\n');
		buffered = lines.pop() ?? '';
		output.push(...lines);
		// http-server.ts's line, once the app has started and bound its port.
		if (lines.some((line) => line.includes('"event":"listening"'))) listening();
	};
	child.stdout?.on('data', collect);
	child.stderr?.on('data', collect);

	let timer: NodeJS.Timeout | undefined;
	const outcome = await Promise.race([
		saidListening.then(() => 'listening' as const),
		exited.then(() => 'exited' as const),
		new Promise<'silent'>((resolve) => (timer = setTimeout(() => resolve('silent'), 30_000)))
	]);
	clearTimeout(timer);
	if (outcome === 'exited' && output.some((line) => line.includes('EADDRINUSE'))) return null;
	if (outcome === 'exited') throw new Error(`the app exited at start:\n${output.join('\n')}`);
	if (outcome === 'silent') {
		child.kill('SIGKILL');
		throw new Error(`the app did not start:\n${output.join('\n')}`);
	}
	return {
		url,
		port,
		env: appEnv,
		child,
		output,
		stop: async () => {
			if (child.exitCode === null) child.kill('SIGTERM');
			return exited;
		}
	};
}
