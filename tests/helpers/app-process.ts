/**
 * Runs the built app (`node build`, as production does, or `npm start` as the deployment guide
 * says) in a child process for tests that need the real server: hostile input, several
 * instances, database faults, shutdown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

export type AppProcess = {
	url: string;
	port: number;
	child: ChildProcess;
	/** Every line the app printed (its JSON logs). */
	output: string[];
	stop(): Promise<number | null>;
};

export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
		});
	});
}

export const TEST_ENCRYPTION_KEY = randomBytes(32).toString('base64');

export async function startApp(
	env: Record<string, string>,
	options: { command?: 'node build' | 'npm start' } = {}
): Promise<AppProcess> {
	if (!existsSync('build/index.js')) {
		throw new Error('These tests run the built app: run `npm run build` first (npm test does).');
	}
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const output: string[] = [];
	const viaNpm = options.command === 'npm start';
	const child = spawn(viaNpm ? 'npm' : process.execPath, viaNpm ? ['start'] : ['build'], {
		stdio: ['ignore', 'pipe', 'pipe'],
		env: {
			PATH: process.env.PATH,
			// `npm start` must set production mode itself; npm asks the registry for nothing.
			...(viaNpm ? { npm_config_update_notifier: 'false' } : { NODE_ENV: 'production' }),
			HOST: '127.0.0.1',
			PORT: String(port),
			ORIGIN: url,
			SESSION_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEY,
			LOG_LEVEL: 'info',
			...env
		}
	});
	// 'close', not 'exit': by then every line the app wrote has been read.
	const exited = new Promise<number | null>((resolve) =>
		child.once('close', (code) => resolve(code))
	);
	let buffered = '';
	const collect = (chunk: Buffer) => {
		buffered += chunk.toString('utf8');
		const lines = buffered.split('\n');
		buffered = lines.pop() ?? '';
		output.push(...lines);
	};
	child.stdout?.on('data', collect);
	child.stderr?.on('data', collect);

	const deadline = Date.now() + 30_000;
	for (;;) {
		if (child.exitCode !== null) {
			throw new Error(`the app exited at start:\n${output.join('\n')}`);
		}
		try {
			const response = await fetch(`${url}/`, { redirect: 'manual' });
			if (response.status < 500) break;
		} catch {
			// not listening yet
		}
		if (Date.now() > deadline) throw new Error(`the app did not start:\n${output.join('\n')}`);
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	return {
		url,
		port,
		child,
		output,
		stop: async () => {
			if (child.exitCode === null) child.kill('SIGTERM');
			return exited;
		}
	};
}
