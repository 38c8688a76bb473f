import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { startApp, type AppProcess } from '../../helpers/app-process.ts';
import { BrowserSession } from '../../helpers/browser-session.ts';
import { appEnv, startAppStack, type AppStack } from '../../helpers/app-stack.ts';

let stack: AppStack;
beforeAll(async () => {
	stack = await startAppStack();
}, 60_000);
afterAll(async () => {
	await stack?.stop();
});

/** Starts a sign-in that TMDB answers in a second, and returns once TMDB has the request. */
async function slowSignInInFlight(app: AppProcess) {
	stack.sandbox.sandbox.clearReceivedRequests();
	stack.sandbox.sandbox.injectFault('token/new', { kind: 'hang', delayMs: 1_000 }, 1);
	const response = new BrowserSession(app.url).post('/auth/login', { returnTo: '/' });
	const tokenRequests = () =>
		stack.sandbox.sandbox.receivedRequests().filter((r) => r.endpoint === 'token/new');
	// Waits for the event, however long a loaded machine takes to get there.
	await vi.waitFor(() => expect(tokenRequests()).toHaveLength(1), { timeout: 10_000 });
	return { response, tokenRequests };
}

test('graceful shutdown: SIGTERM lets an in-flight request finish, then stops the cleanup job and the pool', async () => {
	const { response: inFlight, tokenRequests } = await slowSignInInFlight(stack.app);
	const exited = stack.app.stop();

	const response = await inFlight;
	// One TMDB call, answered late but within the client's timeout: no retry hid the shutdown.
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
		const app = await startApp(appEnv(stack.database, stack.sandbox), { command: 'npm start' });
		const npmPid = app.child.pid!;
		const tree = descendantsOf(npmPid);
		try {
			// The server itself is npm's child (the script execs it), not a shell's.
			expect(tree.length).toBeGreaterThan(0);
			const { response: inFlight } = await slowSignInInFlight(app);
			const exited = app.stop();
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
