/** The in-app mount of the sandbox: /sandbox/tmdb/[...path] (R7.2). */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseConfig, SANDBOX_API_KEY } from '../../src/lib/server/config.ts';
import type { AppContext } from '../../src/lib/server/context.ts';
import { createAppSandbox } from '../../src/lib/server/services.ts';
import { createMemoryState } from '../support/tmdb-sandbox/memory-state.ts';
import { GET, POST } from '../../src/routes/sandbox/tmdb/[...path]/+server.ts';

type RouteEvent = Parameters<typeof GET>[0];

const config = parseConfig(
	{ TMDB_SANDBOX: 'true', SESSION_ENCRYPTION_KEYS: randomBytes(32).toString('base64') },
	{ dev: true }
);
const app = { config, sandbox: createAppSandbox(config, createMemoryState().state) } as AppContext;

function event(
	method: string,
	path: string,
	body?: string,
	headers: Record<string, string> = body
		? { 'content-type': 'application/x-www-form-urlencoded' }
		: {}
): RouteEvent {
	const url = new URL(`http://localhost:5173/sandbox/tmdb/${path}`);
	const request = new Request(url, { method, body, headers });
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

describe('R6.7 the in-app sandbox sends the request token only back to this app', () => {
	const APP = 'http://localhost:5173';

	/** The status of the approval answer, and where it sends the browser. */
	async function decide(redirectTo: string, headers?: Record<string, string>) {
		const token = await newToken();
		const path = `authenticate/${token}?redirect_to=${encodeURIComponent(redirectTo)}`;
		try {
			const answer = await POST(event('POST', path, 'account=ada&decision=approve', headers));
			return { status: answer.status, location: answer.headers.get('location') };
		} catch (thrown) {
			return { status: (thrown as { status: number }).status, location: null };
		}
	}

	test.each([
		'/..//evil.example/cb',
		'/.//evil.example/auth/callback',
		'http:/evil.example/cb',
		'https:evil.example/auth/callback',
		'//evil.example/auth/callback',
		'/\\evil.example/auth/callback',
		'https://evil.example/auth/callback',
		'http://localhost:5173.evil.example/auth/callback',
		'http://user@localhost:5173/auth/callback',
		'/auth/callback/../../elsewhere',
		'/elsewhere',
		'javascript:alert(1)'
	])('R6.7 redirect_to %j is refused', async (redirectTo) => {
		expect(await decide(redirectTo)).toEqual({ status: 400, location: null });
	});

	test('R6.7 the callback, however it is written, is reached as an absolute URL on this origin', async () => {
		for (const redirectTo of ['/auth/callback', `${APP}/auth/callback`, 'http:/auth/callback']) {
			const { status, location } = await decide(redirectTo);
			expect(status).toBe(303);
			const target = new URL(location!);
			expect([target.origin, target.pathname]).toEqual([APP, '/auth/callback']);
		}
	});

	test("R6.7 any redirect_to either is refused or leads to this app's callback (fuzzed)", async () => {
		const prefixes = ['', '/', '//', '/..', '/./', 'http:', 'https:', 'http://', '\\', `${APP}`];
		const candidate = fc
			.tuple(
				fc.constantFrom(...prefixes),
				fc.string({ maxLength: 40 }),
				fc.constantFrom('', '/auth/callback')
			)
			.map(([prefix, middle, suffix]) => prefix + middle + suffix);
		await fc.assert(
			fc.asyncProperty(candidate, async (redirectTo) => {
				const { status, location } = await decide(redirectTo);
				if (status === 303) {
					const target = new URL(location!);
					expect([target.origin, target.pathname]).toEqual([APP, '/auth/callback']);
				} else {
					expect(status).toBe(400);
				}
			}),
			{ numRuns: 300 }
		);
	});

	test('R6.7 the decision is taken only as a form post from this origin', async () => {
		const json = { 'content-type': 'application/json', origin: 'https://evil.example' };
		expect((await decide('/auth/callback', json)).status).toBe(403);
		const foreignForm = {
			'content-type': 'application/x-www-form-urlencoded',
			origin: 'https://evil.example'
		};
		expect((await decide('/auth/callback', foreignForm)).status).toBe(403);
		const ownForm = { 'content-type': 'application/x-www-form-urlencoded', origin: APP };
		expect((await decide('/auth/callback', ownForm)).status).toBe(303);
	});
});
