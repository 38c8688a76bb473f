/**
 * The watchlist page and TMDB as the signed-in person, through the built app with the standalone
 * sandbox as TMDB: the session id never reaches the browser, a session revoked at TMDB between
 * two calls ends ours at once, bad input changes nothing, and TMDB trouble is a message.
 */
import { beforeEach, describe, expect, test, vi } from 'vitest';
import { decryptSecret } from '../../src/lib/server/auth/keys.ts';
import { TEST_ENCRYPTION_KEY } from '../helpers/app-process.ts';
import { BrowserSession } from '../helpers/browser-session.ts';
import { useAppStack } from '../helpers/app-stack.ts';

const stack = useAppStack({ LOG_LEVEL: 'debug' });
beforeEach(async () => {
	stack.sandbox.sandbox.reset();
	await stack.database.sql`DELETE FROM auth_sessions`;
});

const ADA_ID = 4_100_001;

async function signedIn(username: string): Promise<BrowserSession> {
	const browser = new BrowserSession(stack.app.url);
	await browser.signIn(stack.sandbox.url, username);
	return browser;
}

function titlesIn(html: string): string[] {
	return [
		...html.matchAll(/<h2 class="movie-title[^"]*" id="movie-(\d+)"[^>]*>([^<]*)<\/h2>/g)
	].map((match) => match[2]!);
}

function tmdbSessionIdOfOnlyRow(rows: { tmdb_session_id: string }[]): string {
	expect(rows).toHaveLength(1);
	const id = decryptSecret(rows[0]!.tmdb_session_id, [Buffer.from(TEST_ENCRYPTION_KEY, 'base64')]);
	expect(id).toMatch(/^[0-9a-f]{40}$/);
	return id!;
}

describe('viewing', () => {
	test('R6.7 R8.1 ada sees page 1 of 2; the TMDB session id is in neither the page nor its data', async () => {
		const browser = await signedIn('ada');
		const page = await browser.get('/watchlist');
		expect(page.status).toBe(200);
		const html = await page.text();
		const titles = titlesIn(html);
		expect(titles).toHaveLength(20);
		expect(titles[0]).toBe('Metropolis');
		expect(html).toContain('page 1 of 2');
		expect(html).toContain(`${stack.sandbox.url}/t/p/w185/sandbox-poster-9100001.svg`);

		const data = await (await browser.get('/watchlist/__data.json?page=2')).text();
		expect(data).toContain('An Unreleased Sandbox Picture');
		const secret = tmdbSessionIdOfOnlyRow(
			await stack.database.sql`SELECT tmdb_session_id FROM auth_sessions`
		);
		expect(html).not.toContain(secret);
		expect(data).not.toContain(secret);
		expect(stack.app.output.join('\n')).not.toContain(secret);
	});

	test('R8.3 signed out, /watchlist redirects to sign-in and comes back (guarded like /account)', async () => {
		const browser = new BrowserSession(stack.app.url);
		const response = await browser.get('/watchlist?page=2');
		expect(response.status).toBe(303);
		expect(response.headers.get('location')).toBe('/auth/login?returnTo=%2Fwatchlist%3Fpage%3D2');
		const action = await browser.post('/watchlist?/remove', { movieId: '9100001' });
		expect(action.status).toBe(303);
		expect(action.headers.get('location')).toBe('/auth/login?returnTo=%2Fwatchlist');
	});

	test.each(['0', '501', 'abc', '-1', '1e3', '01'])(
		'R8.3 ?page=%s answers 400 with a clear message and never reaches TMDB',
		async (page) => {
			const browser = await signedIn('ada');
			stack.sandbox.sandbox.clearReceivedRequests();
			const response = await browser.get(`/watchlist?page=${page}`);
			expect(response.status).toBe(400);
			expect(await response.text()).toContain('That page number is not valid.');
			const calls = stack.sandbox.sandbox.receivedRequests();
			expect(calls.filter((call) => call.endpoint === 'watchlist/movies')).toEqual([]);
		}
	);
});

describe('R8.3 removing', () => {
	test('removes the movie at TMDB and shows the list without it', async () => {
		const browser = await signedIn('grace');
		const before = titlesIn(await (await browser.get('/watchlist')).text());
		expect(before.length).toBeGreaterThan(1);
		const html = await (await browser.get('/watchlist')).text();
		const firstId = /id="movie-(\d+)"/.exec(html)![1]!;
		const response = await browser.post('/watchlist?/remove', { movieId: firstId });
		expect(response.status).toBe(200);
		const after = await response.text();
		expect(after).toContain('Removed from your watchlist.');
		expect(titlesIn(after)).toEqual(before.slice(1));
		expect(titlesIn(await (await browser.get('/watchlist')).text())).toEqual(before.slice(1));
	});

	test.each([
		['non-numeric', 'abc'],
		['empty', ''],
		['zero', '0'],
		['negative', '-5'],
		['fractional', '1.5'],
		['oversized', '9'.repeat(40)],
		['beyond 32 bits', '2147483648']
	])(
		'a %s movieId answers 400, changes nothing, and never reaches TMDB',
		async (_label, movieId) => {
			const browser = await signedIn('grace');
			const before = titlesIn(await (await browser.get('/watchlist')).text());
			stack.sandbox.sandbox.clearReceivedRequests();
			const response = await browser.post('/watchlist?/remove', { movieId });
			expect(response.status).toBe(400);
			expect(await response.text()).toContain('That movie could not be found on your watchlist.');
			const calls = stack.sandbox.sandbox.receivedRequests();
			expect(calls.filter((call) => call.endpoint === 'watchlist')).toEqual([]);
			expect(titlesIn(await (await browser.get('/watchlist')).text())).toEqual(before);
		}
	);

	test('a movie TMDB does not know answers 404 with a clear message; the person stays signed in', async () => {
		const browser = await signedIn('grace');
		const before = titlesIn(await (await browser.get('/watchlist')).text());
		const response = await browser.post('/watchlist?/remove', { movieId: '550' });
		expect(response.status).toBe(404);
		expect(await response.text()).toContain('TMDB could not find that item.');
		expect(titlesIn(await (await browser.get('/watchlist')).text())).toEqual(before);
		expect(await stack.rowCounts()).toMatchObject({ sessions: 1 });
	});
});

describe('R8.3 a page past the end of the watchlist', () => {
	/** TMDB's answer for a page that came back empty, with its (possibly stale) counts. */
	function emptyPage(page: number, totalPages: number, totalResults: number) {
		const body = { page, results: [], total_pages: totalPages, total_results: totalResults };
		stack.sandbox.sandbox.injectFault(
			'watchlist/movies',
			{
				kind: 'reply',
				httpStatus: 200,
				headers: { 'content-type': 'application/json;charset=utf-8' },
				body: JSON.stringify(body)
			},
			1
		);
	}

	test('R8.3 TMDB still counting two pages while page 2 is empty: one redirect to page 1, not to itself', async () => {
		const browser = await signedIn('ada');
		emptyPage(2, 2, 20);
		const response = await browser.get('/watchlist?page=2');
		expect(response.status).toBe(303);
		expect(response.headers.get('location')).toBe('/watchlist');
	});

	test('R8.3 when TMDB counts movies on the empty page itself, the empty state shows instead of a redirect', async () => {
		const browser = await signedIn('ada');
		emptyPage(2, 2, 40);
		const response = await browser.get('/watchlist?page=2');
		expect(response.status).toBe(200);
		expect(await response.text()).toContain('There are no movies on this page.');
	});
});

describe('R4.4 R8.2 a session revoked at TMDB between two calls', () => {
	function revokedLogLines() {
		return stack.app.output.filter((line) =>
			line.includes('"event":"session_revoked_at_tmdb_during_call"')
		);
	}

	test('on a page load: the row and the cookie go at once, and sign-in says why', async () => {
		const browser = await signedIn('ada');
		expect((await browser.get('/watchlist?page=2')).status).toBe(200);
		const logged = revokedLogLines().length;
		expect(stack.sandbox.sandbox.revokeAccountSessions({ id: ADA_ID })).toBe(1);

		const response = await browser.get('/watchlist?page=2');
		expect(response.status).toBe(303);
		expect(response.headers.get('location')).toBe(
			'/auth/login?error=session_ended&returnTo=%2Fwatchlist%3Fpage%3D2'
		);
		expect(browser.cookies.has('marquee_session')).toBe(false);
		expect(await stack.rowCounts()).toMatchObject({ sessions: 0 });
		// Log lines come through a pipe, a little after the answer.
		await vi.waitFor(() => expect(revokedLogLines()).toHaveLength(logged + 1));
		// It ended through the one door: its TMDB session is queued for the cleanup job, which
		// takes TMDB's "already gone" answer as done.
		const queued = await stack.database.sql`SELECT attempts FROM tmdb_session_ends`;
		expect(queued.map((row) => row.attempts)).toEqual([0]);
		await vi.waitFor(() =>
			expect(
				stack.app.output.some(
					(line) => line.includes('"cause":"revoked_at_tmdb"') && line.includes('"sessions_ended"')
				)
			).toBe(true)
		);

		const signIn = await browser.get(response.headers.get('location')!);
		expect(signIn.status).toBe(200);
		expect(await signIn.text()).toContain('Your TMDB session has ended. Please sign in again.');
	});

	test('on a form action: the same, with a return path to the page, not the action', async () => {
		const browser = await signedIn('grace');
		const html = await (await browser.get('/watchlist')).text();
		const firstId = /id="movie-(\d+)"/.exec(html)![1]!;
		stack.sandbox.sandbox.revokeAccountSessions({ username: 'grace' });
		const response = await browser.post('/watchlist?/remove', { movieId: firstId });
		expect(response.status).toBe(303);
		expect(response.headers.get('location')).toBe(
			'/auth/login?error=session_ended&returnTo=%2Fwatchlist'
		);
		expect(browser.cookies.has('marquee_session')).toBe(false);
		expect(await stack.rowCounts()).toMatchObject({ sessions: 0 });
	});

	test('with JavaScript (a __data.json request) the redirect is the same', async () => {
		const browser = await signedIn('ada');
		stack.sandbox.sandbox.revokeAccountSessions({ id: ADA_ID });
		const response = await browser.get('/watchlist/__data.json');
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual({
			type: 'redirect',
			location: '/auth/login?error=session_ended&returnTo=%2Fwatchlist'
		});
		expect(browser.cookies.has('marquee_session')).toBe(false);
		expect(await stack.rowCounts()).toMatchObject({ sessions: 0 });
	});
});

describe('R5.1 R5.3 R8.3 TMDB trouble: a message on the page, never a 5xx page', () => {
	test.each([
		['unavailable', { kind: 'unavailable' } as const, 'TMDB is unavailable right now.'],
		['rate limiting', { kind: 'rate_limited', retryAfterSeconds: 120 } as const, 'TMDB is busy.']
	])('%s while loading the watchlist', async (_label, fault, message) => {
		const browser = await signedIn('ada');
		stack.sandbox.sandbox.injectFault('watchlist/movies', fault, 10);
		const response = await browser.get('/watchlist');
		expect(response.status).toBe(200);
		const html = await response.text();
		expect(html).toContain(message);
		expect(html).toContain('Try again');
		expect(titlesIn(html)).toEqual([]);
		expect(await stack.rowCounts()).toMatchObject({ sessions: 1 });
	});

	test.each([
		['unavailable', { kind: 'unavailable' } as const, 503, 'TMDB is unavailable right now.'],
		[
			'rate limiting',
			{ kind: 'rate_limited', retryAfterSeconds: 120 } as const,
			429,
			'TMDB is busy.'
		]
	])(
		'%s while removing: the page, its status, and nothing removed',
		async (_label, fault, status, message) => {
			const browser = await signedIn('grace');
			const before = titlesIn(await (await browser.get('/watchlist')).text());
			const html = await (await browser.get('/watchlist')).text();
			const firstId = /id="movie-(\d+)"/.exec(html)![1]!;
			stack.sandbox.sandbox.injectFault('watchlist', fault, 10);
			const response = await browser.post('/watchlist?/remove', { movieId: firstId });
			expect(response.status).toBe(status);
			const page = await response.text();
			expect(page).toContain(message);
			stack.sandbox.sandbox.clearFaults();
			expect(titlesIn(await (await browser.get('/watchlist')).text())).toEqual(before);
		}
	);
});
