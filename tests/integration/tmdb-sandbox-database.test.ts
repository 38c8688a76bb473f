/**
 * The in-app sandbox's state in PostgreSQL (protocol-state.ts, migrations/0006): what several
 * instances share. Two sandboxes on one database stand for two instances.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDatabaseState } from '../../src/lib/server/tmdb-sandbox/protocol-state.ts';
import { createTmdbSandbox } from '../../src/lib/server/tmdb-sandbox/sandbox.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

const KEY = 'database-sandbox-key';
const BASE = 'http://sandbox.internal';

let database: TestDatabase;
let clock = Date.now();
const instance = () =>
	createTmdbSandbox({
		credentials: [KEY, 'other-key'],
		webBasePath: '/sandbox/tmdb',
		state: createDatabaseState(database.sql, () => clock)
	});
let first: ReturnType<typeof instance>;
let second: ReturnType<typeof instance>;

beforeAll(async () => {
	database = await createTestDatabase();
	[first, second] = [instance(), instance()];
}, 60_000);
afterAll(async () => {
	await database?.drop();
});

async function call(
	sandbox: typeof first,
	method: string,
	path: string,
	body?: object,
	key = KEY
): Promise<{ status: number; json: Record<string, unknown> }> {
	const separator = path.includes('?') ? '&' : '?';
	const response = await sandbox.handle(
		new Request(`${BASE}${path}${separator}api_key=${key}`, {
			method,
			headers: body ? { 'content-type': 'application/json' } : {},
			body: body && JSON.stringify(body)
		})
	);
	return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function newToken(sandbox = first): Promise<string> {
	const { json } = await call(sandbox, 'GET', '/3/authentication/token/new');
	return json.request_token as string;
}

/** The approval page's form, as the person posts it. */
async function decide(sandbox: typeof first, token: string, form: Record<string, string>) {
	return sandbox.handle(
		new Request(`${BASE}/authenticate/${token}`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams(form)
		})
	);
}

async function sessionFor(username: string): Promise<string> {
	const token = await newToken(first);
	await decide(second, token, { username, decision: 'approve' });
	const { json } = await call(first, 'POST', '/3/authentication/session/new', {
		request_token: token
	});
	return json.session_id as string;
}

describe('R7.3 the in-app sandbox’s state in PostgreSQL', () => {
	test('a token made by one instance is approved on another and redeemed once, by either', async () => {
		const token = await newToken(first);
		expect(
			(await call(second, 'POST', '/3/authentication/session/new', { request_token: token })).json
		).toMatchObject({ status_code: 17 });
		expect((await decide(second, token, { account: 'grace', decision: 'approve' })).status).toBe(
			200
		);
		// Redeemed by both at once: one session, and TMDB's "used" answer for the other.
		const answers = await Promise.all(
			[first, second].map((sandbox) =>
				call(sandbox, 'POST', '/3/authentication/session/new', { request_token: token })
			)
		);
		expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401]);
		const sessionId = answers.find((answer) => answer.status === 200)!.json.session_id as string;
		const account = await call(second, 'GET', `/3/account?session_id=${sessionId}`);
		expect(account.json).toMatchObject({ username: 'grace' });
	});

	test('the last decision counts; a token belongs to the key that made it; tokens expire after 60 minutes', async () => {
		const token = await newToken(first);
		await decide(first, token, { account: 'ada', decision: 'approve' });
		await decide(second, token, { decision: 'deny' });
		const denied = await call(first, 'POST', '/3/authentication/session/new', {
			request_token: token
		});
		expect(denied.json).toMatchObject({ status_code: 17 });
		await decide(second, token, { account: 'ada', decision: 'approve' });
		const otherKey = await call(
			second,
			'POST',
			'/3/authentication/session/new',
			{ request_token: token },
			'other-key'
		);
		expect(otherKey.json).toMatchObject({ status_code: 17 });

		const later = await newToken(second);
		clock += 60 * 60 * 1000;
		await decide(first, later, { account: 'ada', decision: 'approve' });
		const expired = await call(first, 'POST', '/3/authentication/session/new', {
			request_token: later
		});
		expect(expired.json).toMatchObject({ status_code: 17 });
	});

	test('a session deleted on one instance is gone on the other', async () => {
		const sessionId = await sessionFor('deleted-elsewhere');
		expect((await call(second, 'GET', `/3/account?session_id=${sessionId}`)).status).toBe(200);
		expect(
			(await call(second, 'DELETE', '/3/authentication/session', { session_id: sessionId })).status
		).toBe(200);
		expect((await call(first, 'GET', `/3/account?session_id=${sessionId}`)).json).toMatchObject({
			status_code: 3
		});
	});

	test('a watchlist is seeded once, in order, and changed on one instance is changed on both', async () => {
		const sessionId = await sessionFor('shared-list');
		const { json: account } = await call(first, 'GET', `/3/account?session_id=${sessionId}`);
		const path = `/3/account/${account.id as number}/watchlist`;
		const list = async (sandbox: typeof first) => {
			const { json } = await call(sandbox, 'GET', `${path}/movies?session_id=${sessionId}`);
			return (json.results as { id: number }[]).map((movie) => movie.id);
		};
		// Both instances read the new account's list at once: seeded once, not twice.
		const [seen, seenToo] = await Promise.all([list(first), list(second)]);
		expect(seen).toHaveLength(3);
		expect(seenToo).toEqual(seen);

		const removed = await call(second, 'POST', `${path}?session_id=${sessionId}`, {
			media_type: 'movie',
			media_id: seen[0],
			watchlist: false
		});
		expect(removed.json).toMatchObject({ status_code: 13 });
		const readded = await call(first, 'POST', `${path}?session_id=${sessionId}`, {
			media_type: 'movie',
			media_id: seen[0],
			watchlist: true
		});
		expect(readded.json).toMatchObject({ status_code: 1 });
		expect(await list(second)).toEqual([seen[1], seen[2], seen[0]]);
	});

	test('R6.7 the tables hold digests, never a token, a session id or a key', async () => {
		const sessionId = await sessionFor('digests-only');
		const token = await newToken(first);
		const dump = JSON.stringify([
			await database.sql`SELECT * FROM tmdb_sandbox_request_tokens`,
			await database.sql`SELECT * FROM tmdb_sandbox_sessions`
		]);
		expect(dump).toContain('digests-only');
		for (const secret of [sessionId, token, KEY]) expect(dump).not.toContain(secret);
	});
});
