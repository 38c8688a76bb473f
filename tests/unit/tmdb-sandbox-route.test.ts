/** The in-app mount of the sandbox: /sandbox/tmdb/[...path] (R7.2). */
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { parseConfig, SANDBOX_API_KEY } from '../../src/lib/server/config.ts';
import type { AppContext } from '../../src/lib/server/context.ts';
import { openAppSandbox } from '../../src/lib/server/tmdb-sandbox/app-sandbox.ts';
import { GET, POST } from '../../src/routes/sandbox/tmdb/[...path]/+server.ts';

type RouteEvent = Parameters<typeof GET>[0];

const config = parseConfig(
	{ TMDB_SANDBOX: 'true', SESSION_ENCRYPTION_KEYS: randomBytes(32).toString('base64') },
	{ dev: true }
);
const app = { config, sandbox: openAppSandbox(config) } as AppContext;

function event(method: string, path: string, body?: string): RouteEvent {
	const url = new URL(`http://localhost:5173/sandbox/tmdb/${path}`);
	const request = new Request(url, {
		method,
		body,
		headers: body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}
	});
	return {
		request,
		url,
		params: { path: url.pathname.slice('/sandbox/tmdb/'.length) },
		locals: { app }
	} as RouteEvent;
}

async function newToken(): Promise<string> {
	const response = await app.sandbox!.handle(
		new Request(`http://sandbox.internal/3/authentication/token/new?api_key=${SANDBOX_API_KEY}`)
	);
	return ((await response.json()) as { request_token: string }).request_token;
}

describe('/sandbox/tmdb in sandbox mode', () => {
	test('R7.2 serves the watchlist posters the in-app sandbox names, as SVG', async () => {
		const response = await GET(event('GET', 't/p/w185/sandbox-poster-9100001.svg'));
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toBe('image/svg+xml');
		expect(await response.text()).toContain('Metropolis');
		expect((await GET(event('GET', 't/p/w185/sandbox-poster-1.svg'))).status).toBe(404);
	});

	test('R7.2 serves the approval page and its form posts back through the same route', async () => {
		const token = await newToken();
		const redirect = encodeURIComponent('http://localhost:5173/auth/callback');
		const page = await GET(event('GET', `authenticate/${token}?redirect_to=${redirect}`));
		expect(page.status).toBe(200);
		expect(await page.text()).toContain('Marquee TMDB sandbox');

		const answer = await POST(
			event('POST', `authenticate/${token}?redirect_to=${redirect}`, 'account=ada&decision=approve')
		);
		expect(answer.status).toBe(303);
		expect(answer.headers.get('location')).toBe(
			`http://localhost:5173/auth/callback?request_token=${token}&approved=true`
		);
	});

	test('serves avatars', async () => {
		const response = await GET(event('GET', 't/p/w45/sandbox-grace.svg'));
		expect(response.headers.get('content-type')).toBe('image/svg+xml');
	});

	test('R6.7 does not expose the TMDB API over HTTP', async () => {
		await expect(
			GET(event('GET', `3/authentication/token/new?api_key=${SANDBOX_API_KEY}`))
		).rejects.toMatchObject({ status: 404 });
	});
});
