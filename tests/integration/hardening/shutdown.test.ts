import { afterAll, beforeAll, expect, test } from 'vitest';
import { BrowserSession } from '../../helpers/browser-session.ts';
import { startAppStack, type AppStack } from './app-harness.ts';

let stack: AppStack;
beforeAll(async () => {
	stack = await startAppStack();
}, 60_000);
afterAll(async () => {
	await stack?.stop();
});

test('graceful shutdown: SIGTERM lets an in-flight request finish, then stops the cleanup job and the pool', async () => {
	// TMDB answers the sign-in start slowly, so the request is still running at SIGTERM.
	stack.sandbox.sandbox.injectFault('token/new', { kind: 'hang', delayMs: 1_000 }, 1);
	const browser = new BrowserSession(stack.app.url);
	const inFlight = browser.post('/auth/login', { returnTo: '/' });
	await new Promise((resolve) => setTimeout(resolve, 300));
	const exited = stack.app.stop();

	const response = await inFlight;
	// One TMDB call, answered late but within the client's timeout: no retry hid the shutdown.
	const starts = stack.sandbox.sandbox.receivedRequests().filter((r) => r.endpoint === 'token/new');
	expect(starts).toHaveLength(1);
	expect(response.status).toBe(303);
	expect(new URL(response.headers.get('location')!).origin).toBe(stack.sandbox.url);
	expect(await exited).toBe(0);
	expect(stack.app.output.join('\n')).toContain('shutting down');
	// New connections are refused once it has stopped.
	await expect(fetch(`${stack.app.url}/`)).rejects.toThrow();
}, 30_000);
