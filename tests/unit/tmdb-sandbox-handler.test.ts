/** The sandbox handler called in-process, as the app uses it: input validation and safety. */
import { describe, expect, test } from 'vitest';
import { createTmdbSandbox } from '../../src/lib/server/tmdb-sandbox/sandbox.ts';
import { createTestSandbox } from '../support/tmdb-sandbox/sandbox.ts';

const KEY = 'unit-sandbox-key';
const BASE = 'http://sandbox.internal';

function sandbox(options: { now?: () => number } = {}) {
	return createTestSandbox({ credentials: [KEY], ...options });
}

function inAppSandbox() {
	return createTmdbSandbox({ credentials: [KEY], webBasePath: '/sandbox/tmdb' });
}

async function json(response: Response): Promise<Record<string, unknown>> {
	return (await response.json()) as Record<string, unknown>;
}

function post(path: string, body: string, headers: Record<string, string> = {}): Request {
	return new Request(`${BASE}${path}?api_key=${KEY}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...headers },
		body
	});
}

describe('input validation', () => {
	test.each([
		['a non-JSON body', 'request_token=abc', 400, 47],
		['a JSON array', '[]', 400, 47],
		['a missing request_token', '{}', 401, 33],
		['a numeric request_token', '{"request_token":42}', 401, 33],
		['an oversized request_token', JSON.stringify({ request_token: 'a'.repeat(10_000) }), 401, 33],
		['an upper-case token', JSON.stringify({ request_token: 'A'.repeat(40) }), 401, 33],
		[
			'an oversized body',
			JSON.stringify({ request_token: 'a'.repeat(40), pad: 'x'.repeat(20_000) }),
			400,
			47
		]
	])('session/new with %s answers HTTP %i code %i', async (_label, body, status, code) => {
		const response = await sandbox().handle(post('/3/authentication/session/new', body));
		expect(response.status).toBe(status);
		expect(await json(response)).toMatchObject({ success: false, status_code: code });
	});

	test('an oversized api_key is refused with code 7, not compared', async () => {
		const response = await sandbox().handle(
			new Request(`${BASE}/3/authentication?api_key=${'k'.repeat(5_000)}`)
		);
		expect(response.status).toBe(401);
		expect((await json(response)).status_code).toBe(7);
	});

	test('a malformed Authorization header is refused with code 7', async () => {
		const response = await sandbox().handle(
			new Request(`${BASE}/3/authentication`, { headers: { authorization: `Basic ${KEY}` } })
		);
		expect((await json(response)).status_code).toBe(7);
	});

	test('unknown API paths answer 404 code 34 and wrong methods 405 code 42', async () => {
		const box = sandbox();
		const unknown = await box.handle(new Request(`${BASE}/3/movie/550?api_key=${KEY}`));
		expect([unknown.status, (await json(unknown)).status_code]).toEqual([404, 34]);
		const wrongMethod = await box.handle(post('/3/account', '{}'));
		expect([wrongMethod.status, (await json(wrongMethod)).status_code]).toEqual([405, 42]);
	});

	test('a non-numeric or foreign account id is refused', async () => {
		const box = sandbox();
		const token = (
			await json(await box.handle(new Request(`${BASE}/3/authentication/token/new?api_key=${KEY}`)))
		).request_token as string;
		box.decideRequestToken(token, { approve: true, username: 'ada' });
		const session = (
			await json(
				await box.handle(
					post('/3/authentication/session/new', JSON.stringify({ request_token: token }))
				)
			)
		).session_id as string;
		const own = await box.handle(
			new Request(`${BASE}/3/account/4100001?api_key=${KEY}&session_id=${session}`)
		);
		expect(own.status).toBe(200);
		const foreign = await box.handle(
			new Request(`${BASE}/3/account/4100002?api_key=${KEY}&session_id=${session}`)
		);
		expect((await json(foreign)).status_code).toBe(3);
		const odd = await box.handle(
			new Request(`${BASE}/3/account/abc?api_key=${KEY}&session_id=${session}`)
		);
		expect(odd.status).toBe(404);
	});

	test('unknown web paths answer a plain 404', async () => {
		const response = await sandbox().handle(new Request(`${BASE}/login`));
		expect(response.status).toBe(404);
	});
});

describe('the in-app mount', () => {
	test('Authentication-Callback is a path under webBasePath', async () => {
		const response = await inAppSandbox().handle(
			new Request(`${BASE}/3/authentication/token/new?api_key=${KEY}`)
		);
		const { request_token } = await json(response);
		expect(response.headers.get('authentication-callback')).toBe(
			`/sandbox/tmdb/authenticate/${request_token as string}`
		);
	});

	test('the approval page links avatars under webBasePath', async () => {
		const box = inAppSandbox();
		const { request_token } = await json(
			await box.handle(new Request(`${BASE}/3/authentication/token/new?api_key=${KEY}`))
		);
		const html = await (
			await box.handle(new Request(`${BASE}/authenticate/${request_token as string}`))
		).text();
		expect(html).toContain('src="/sandbox/tmdb/t/p/w45/sandbox-ada.svg"');
	});
});

describe('request tokens', () => {
	test('expire after 60 minutes on the sandbox clock', async () => {
		let now = Date.parse('2026-03-01T12:00:00Z');
		const box = sandbox({ now: () => now });
		const body = await json(
			await box.handle(new Request(`${BASE}/3/authentication/token/new?api_key=${KEY}`))
		);
		expect(body.expires_at).toBe('2026-03-01 13:00:00 UTC');
		const token = body.request_token as string;
		now += 59 * 60_000;
		expect(box.decideRequestToken(token, { approve: true, username: 'ada' })).toBe(true);
		now += 60_000;
		const exchange = await box.handle(
			post('/3/authentication/session/new', JSON.stringify({ request_token: token }))
		);
		expect((await json(exchange)).status_code).toBe(33);
	});

	test('typed usernames are validated', () => {
		const box = sandbox();
		expect(box.decideRequestToken('0'.repeat(40), { approve: true, username: 'ada' })).toBe(false);
	});
});
