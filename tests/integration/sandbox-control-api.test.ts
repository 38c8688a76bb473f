/**
 * The standalone sandbox's HTTP control API, as a test in another process (Playwright) uses it,
 * and the CLI that starts the server.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { startSandboxServer, type SandboxServer } from '../support/tmdb-sandbox/server.ts';

const API_KEY = 'control-api-test-key';

let server: SandboxServer;

beforeAll(async () => {
	server = await startSandboxServer({ port: 0, credentials: [API_KEY] });
});
afterAll(async () => {
	await server.stop();
});
beforeEach(async () => {
	await control('POST', 'reset');
});

async function control(method: string, route: string, body?: unknown) {
	const response = await fetch(`${server.url}/__sandbox/${route}`, {
		method,
		headers: body === undefined ? {} : { 'content-type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body)
	});
	return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function api(method: string, path: string, init: { query?: string; body?: unknown } = {}) {
	const response = await fetch(`${server.url}${path}?api_key=${API_KEY}${init.query ?? ''}`, {
		method,
		headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
		body: init.body === undefined ? undefined : JSON.stringify(init.body)
	});
	return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function signIn(username: string): Promise<string> {
	const token = (await api('GET', '/3/authentication/token/new')).body.request_token as string;
	expect((await control('POST', 'decide', { request_token: token, username })).body).toEqual({
		decided: true
	});
	const session = await api('POST', '/3/authentication/session/new', {
		body: { request_token: token }
	});
	return session.body.session_id as string;
}

describe('control API', () => {
	test('POST faults queues a fault for the next N calls of an endpoint', async () => {
		expect(
			(await control('POST', 'faults', { endpoint: 'token/new', kind: 'unavailable', count: 2 }))
				.status
		).toBe(201);
		expect((await api('GET', '/3/authentication/token/new')).status).toBe(503);
		expect((await api('GET', '/3/authentication/token/new')).status).toBe(503);
		expect((await api('GET', '/3/authentication/token/new')).status).toBe(200);
	});

	test('POST faults with rate_limited and retryAfterSeconds sends Retry-After', async () => {
		await control('POST', 'faults', {
			endpoint: 'any',
			kind: 'rate_limited',
			retryAfterSeconds: 7
		});
		const response = await fetch(`${server.url}/3/authentication?api_key=${API_KEY}`);
		expect(response.status).toBe(429);
		expect(response.headers.get('retry-after')).toBe('7');
	});

	test('DELETE faults clears queued faults', async () => {
		await control('POST', 'faults', { endpoint: 'authentication', kind: 'unavailable', count: 5 });
		await control('DELETE', 'faults');
		expect((await api('GET', '/3/authentication')).status).toBe(200);
	});

	test('a hold keeps a call until POST release, or DELETE faults, lets it go on', async () => {
		await control('POST', 'faults', { endpoint: 'token/new', kind: 'hold', count: 2 });
		const heldCalls = async () =>
			((await control('GET', 'requests')).body.requests as Array<Record<string, unknown>>).filter(
				(entry) => entry.fault === 'hold' && entry.status === null
			);
		const first = api('GET', '/3/authentication/token/new');
		await vi.waitFor(async () => expect(await heldCalls()).toHaveLength(1));
		expect((await control('POST', 'release')).body).toEqual({ released: 1 });
		expect((await first).status).toBe(200);
		expect((await control('POST', 'release')).body).toEqual({ released: 0 });

		const second = api('GET', '/3/authentication/token/new');
		await vi.waitFor(async () => expect(await heldCalls()).toHaveLength(1));
		await control('DELETE', 'faults');
		expect((await second).status).toBe(200);
		expect(await heldCalls()).toHaveLength(0);
	});

	test('rejects an invalid fault with 400 and a reason', async () => {
		const answer = await control('POST', 'faults', { endpoint: 'nowhere', kind: 'explode' });
		expect(answer.status).toBe(400);
		expect(answer.body.error).toBe('Invalid control request');
	});

	test('R4.4 POST revoke ends a session, or all sessions of an account', async () => {
		const first = await signIn('ada');
		const second = await signIn('ada');
		const other = await signIn('grace');
		expect((await control('POST', 'revoke', { session_id: first })).body).toEqual({ revoked: 1 });
		expect((await api('GET', '/3/account', { query: `&session_id=${first}` })).status).toBe(401);
		expect((await api('GET', '/3/account', { query: `&session_id=${second}` })).status).toBe(200);
		expect((await control('POST', 'revoke', { username: 'ada' })).body).toEqual({ revoked: 1 });
		expect((await control('POST', 'revoke', { account_id: 4_100_002 })).body).toEqual({
			revoked: 1
		});
		const revoked = await api('GET', '/3/account', { query: `&session_id=${other}` });
		expect(revoked.body.status_code).toBe(3);
	});

	test('POST clock moves time forward so request tokens expire', async () => {
		const token = (await api('GET', '/3/authentication/token/new')).body.request_token as string;
		await control('POST', 'clock', { advance_ms: 60 * 60_000 });
		expect((await control('POST', 'decide', { request_token: token })).status).toBe(404);
	});

	test('R6.7 GET requests lists what arrived without secrets', async () => {
		const sessionId = await signIn('grace');
		await api('GET', '/3/account', { query: `&session_id=${sessionId}` });
		await fetch(`${server.url}/authenticate/${'a'.repeat(40)}`);
		const { body } = await control('GET', 'requests');
		const requests = body.requests as Array<Record<string, unknown>>;
		expect(requests.map((entry) => entry.endpoint)).toEqual([
			'token/new',
			'session/new',
			'account',
			'approval_page'
		]);
		expect(requests[2]).toMatchObject({ method: 'GET', path: '/3/account', auth: 'api_key' });
		expect(requests[2]!.status).toBe(200);
		expect(requests[3]!.path).toBe('/authenticate/:token');
		const text = JSON.stringify(requests);
		expect(text).not.toContain(API_KEY);
		expect(text).not.toContain(sessionId);
		expect(text).not.toContain('a'.repeat(40));
	});

	test('GET accounts lists the sandbox accounts', async () => {
		const { body } = await control('GET', 'accounts');
		const usernames = (body.accounts as Array<{ username: string }>).map((a) => a.username);
		expect(usernames).toEqual(['ada', 'grace', 'nameless', 'oldtimer']);
	});

	test('unknown control routes answer 404', async () => {
		expect((await control('GET', 'nothing')).status).toBe(404);
	});
});

describe('CLI', () => {
	test('starts the server on the given port and prints its URL', async () => {
		const child = spawn(
			process.execPath,
			['--import', 'tsx', 'tests/support/tmdb-sandbox/cli.ts', '--port', '0', '--api-key', API_KEY],
			{ cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] }
		);
		try {
			let output = '';
			child.stdout.setEncoding('utf8');
			const url = await new Promise<string>((resolve, reject) => {
				child.stdout.on('data', (chunk: string) => {
					output += chunk;
					const match = /listening on (http:\/\/\S+)/.exec(output);
					if (match?.[1]) resolve(match[1]);
				});
				child.once('exit', (code) => reject(new Error(`CLI exited with ${code}: ${output}`)));
			});
			const response = await fetch(`${url}/3/authentication?api_key=${API_KEY}`);
			expect(response.status).toBe(200);
		} finally {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill('SIGTERM');
				await once(child, 'exit');
			}
		}
	});
});
