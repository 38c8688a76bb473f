import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, expect, test, vi } from 'vitest';
import { startApp, type AppProcess } from '../../helpers/app-process.ts';
import { BrowserSession } from '../../helpers/browser-session.ts';
import { appEnv, useAppStack } from '../../helpers/app-stack.ts';

/** The app waits for TMDB longer than a held sign-in lasts on a loaded machine. */
const PATIENT_WITH_TMDB = { TMDB_TIMEOUT_MS: '15000', TMDB_RETRY_BUDGET_MS: '30000' };
/** Generous bounds on waiting for the events below, for a loaded machine. */
const EVENTUALLY = { timeout: 10_000, interval: 50 };

const stack = useAppStack(PATIENT_WITH_TMDB);

/** Starts a sign-in that TMDB holds, and returns once TMDB has the request. */
async function heldSignInInFlight(app: AppProcess) {
	stack.sandbox.sandbox.clearReceivedRequests();
	stack.sandbox.sandbox.injectFault('token/new', { kind: 'hold' }, 1);
	const response = new BrowserSession(app.url).post('/auth/login', { returnTo: '/' });
	const tokenRequests = () =>
		stack.sandbox.sandbox.receivedRequests().filter((r) => r.endpoint === 'token/new');
	await vi.waitFor(() => expect(tokenRequests()).toHaveLength(1), EVENTUALLY);
	return { response, tokenRequests };
}

/** Whether a new connection to `port` is refused: the server has stopped listening. */
function refusesConnections(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = connect(port, '127.0.0.1');
		socket.once('connect', () => {
			socket.destroy();
			resolve(false);
		});
		socket.once('error', () => resolve(true));
	});
}

/** Sends SIGTERM while TMDB holds the sign-in, and lets TMDB answer once the app is stopping. */
async function stopDuringHeldSignIn(app: AppProcess) {
	const exited = app.stop();
	await vi.waitFor(async () => expect(await refusesConnections(app.port)).toBe(true), EVENTUALLY);
	expect(stack.sandbox.sandbox.releaseHeldCalls()).toBe(1);
	return { exited };
}

test('graceful shutdown: SIGTERM lets an in-flight request finish, then stops the cleanup job and the pool', async () => {
	const { response: inFlight, tokenRequests } = await heldSignInInFlight(stack.app);
	const { exited } = await stopDuringHeldSignIn(stack.app);

	const response = await inFlight;
	// One TMDB call, answered after the shutdown began: no retry hid the shutdown.
	expect(tokenRequests()).toHaveLength(1);
	expect(response.status).toBe(303);
	expect(new URL(response.headers.get('location')!).origin).toBe(stack.sandbox.url);
	expect(await exited).toBe(0);
	expect(stack.app.output.join('\n')).toContain('shutting down');
	// New connections are refused once it has stopped.
	await expect(fetch(`${stack.app.url}/`)).rejects.toThrow();
}, 30_000);

/** Every process below `pid` (Linux's /proc), children first. */
function descendantsOf(pid: number): number[] {
	let children: number[];
	try {
		children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
			.split(' ')
			.filter(Boolean)
			.map(Number);
	} catch {
		return [];
	}
	return children.flatMap((child) => [child, ...descendantsOf(child)]);
}

function isRunning(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

describe.skipIf(process.platform !== 'linux')('npm start (reads /proc: Linux only)', () => {
	test('SIGTERM to the npm process, as a supervisor sends it, drains the server and leaves no process behind', async () => {
		const app = await startApp(appEnv(stack.database, stack.sandbox, PATIENT_WITH_TMDB), {
			command: 'npm start'
		});
		const npmPid = app.child.pid!;
		const tree = descendantsOf(npmPid);
		try {
			// The server itself is npm's child (the script execs it), not a shell's.
			expect(tree.length).toBeGreaterThan(0);
			const { response: inFlight } = await heldSignInInFlight(app);
			const { exited } = await stopDuringHeldSignIn(app);
			expect((await inFlight).status).toBe(303);
			expect(await exited).toBe(0);
			expect(app.output.join('\n')).toContain('shutting down');
			expect(tree.filter(isRunning)).toEqual([]);
			// The script itself put the server in production mode (the test did not set NODE_ENV).
			expect(app.output.join('\n')).not.toContain('NODE_ENV is not production');
		} finally {
			for (const pid of tree.filter(isRunning)) process.kill(pid, 'SIGKILL');
		}
	}, 60_000);
});
