/**
 * TMDB failing at each step of sign-in and sign-out, through the sandbox's fault injection.
 * A queued fault hits whichever call of its endpoint comes next, from any test: these tests run
 * in their own projects, after all others and one at a time (see playwright.config.ts).
 */
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import {
	clearFaults,
	clearSandboxRequests,
	expectSignedInAs,
	expectSignedOut,
	injectFault,
	javaScriptOn,
	ownUsername,
	releaseHeldCall,
	sandboxRequests,
	sessionCookie,
	signIn,
	signOutFromMenu
} from './helpers.ts';

test.describe.configure({ mode: 'serial' });

const UNAVAILABLE = 'TMDB is unavailable right now. Try again in a few minutes.';
const RATE_LIMITED = 'TMDB is busy. Try again in a few seconds.';
/** Enough failures to use up every attempt the client makes within its time budget. */
const EVERY_ATTEMPT = 5;
/** Longer than the client's retry budget: the client gives up at once and says so. */
const LONG_RETRY_AFTER = 120;

test.beforeEach(async ({ request }) => {
	await clearFaults(request);
	await clearSandboxRequests(request);
});

test.afterEach(async ({ request }) => {
	await clearFaults(request);
});

/** Nothing was stored: no session cookie, no pending sign-in, and the header is signed out. */
async function expectNothingStored(page: Page) {
	await expectSignedOut(page);
	const cookies = await page.context().cookies();
	expect(cookies.map((cookie) => cookie.name)).not.toContain('marquee_session');
	await page.goto('/account');
	await expect(page).toHaveURL('/auth/login?returnTo=%2Faccount');
}

type Fault = Parameters<typeof injectFault>[1];

/**
 * Starts sign-in, queues `fault` while the person is on TMDB's page, then approves as ada.
 * Resolves with the callback URL TMDB sent the browser to, for a test that loads it again.
 */
async function approveWhileTmdbFails(
	page: Page,
	request: APIRequestContext,
	fault: Fault
): Promise<string> {
	await page.goto('/');
	await page.getByRole('main').getByRole('button', { name: 'Sign in with TMDB' }).click();
	await expect(page).toHaveTitle(/Marquee TMDB sandbox/);
	await injectFault(request, fault);
	await page.getByRole('radio', { name: /^ada\b/ }).check();
	const callback = page.waitForRequest((sent) => sent.url().includes('/auth/callback?'));
	await page.getByRole('button', { name: 'Approve' }).click();
	return (await callback).url();
}

async function expectSignInPageSays(page: Page, message: string) {
	await expect(page).toHaveURL(/\/auth\/login/);
	await expect(page.getByRole('alert')).toHaveText(message);
	// The way to try again is right there.
	await expect(
		page.getByRole('main').getByRole('button', { name: 'Sign in with TMDB' })
	).toBeEnabled();
}

test.describe('when sign-in starts (token/new)', () => {
	test('R5.1 R5.4 TMDB unavailable: a clear message and a retry that works', async ({
		page,
		request
	}) => {
		await page.goto('/account');
		await injectFault(request, {
			endpoint: 'token/new',
			kind: 'unavailable',
			count: EVERY_ATTEMPT
		});
		await page.getByRole('button', { name: 'Sign in with TMDB' }).click();
		await expectSignInPageSays(page, UNAVAILABLE);
		const calls = (await sandboxRequests(request)).filter((r) => r.endpoint === 'token/new');
		expect(calls.length).toBeGreaterThan(1);
		expect(calls.every((call) => call.fault === 'unavailable')).toBe(true);
		const cookies = (await page.context().cookies()).map((cookie) => cookie.name);
		expect(cookies).not.toContain('marquee_login');
		expect(cookies).not.toContain('marquee_session');

		await clearFaults(request);
		await page.getByRole('main').getByRole('button', { name: 'Sign in with TMDB' }).click();
		await expect(page).toHaveTitle(/Marquee TMDB sandbox/);
		await page.getByRole('radio', { name: /^ada\b/ }).check();
		await page.getByRole('button', { name: 'Approve' }).click();
		await expect(page).toHaveURL('/account');
		await expectSignedInAs(page, 'ada');
	});

	test('R5.3 R5.4 TMDB rate limiting: the person is told to try again shortly', async ({
		page,
		request
	}) => {
		await page.goto('/');
		await injectFault(request, {
			endpoint: 'token/new',
			kind: 'rate_limited',
			retryAfterSeconds: LONG_RETRY_AFTER
		});
		await page.getByRole('banner').getByRole('button', { name: 'Sign in with TMDB' }).click();
		await expectSignInPageSays(page, RATE_LIMITED);
		await expectNothingStored(page);
	});
});

test.describe('when TMDB sends the browser back (session/new)', () => {
	test('R5.1 R5.4 TMDB unavailable: a clear message, nothing stored', async ({ page, request }) => {
		await approveWhileTmdbFails(page, request, {
			endpoint: 'session/new',
			kind: 'unavailable',
			count: EVERY_ATTEMPT
		});
		await expectSignInPageSays(page, UNAVAILABLE);
		await expect(page).toHaveURL(/error=unavailable/);
		await expectNothingStored(page);
	});

	test('R1.3 R5.1 TMDB offline (503 code 9: it did not act): reloading the callback signs in', async ({
		page,
		request
	}) => {
		const callback = await approveWhileTmdbFails(page, request, {
			endpoint: 'session/new',
			kind: 'unavailable',
			statusCode: 9,
			count: EVERY_ATTEMPT
		});
		await expectSignInPageSays(page, UNAVAILABLE);
		await clearFaults(request);
		await page.goto(callback);
		await expectSignedInAs(page, 'ada');
	});

	test('R5.3 R5.4 TMDB rate limiting: a clear message, nothing stored', async ({
		page,
		request
	}) => {
		await approveWhileTmdbFails(page, request, {
			endpoint: 'session/new',
			kind: 'rate_limited',
			retryAfterSeconds: LONG_RETRY_AFTER
		});
		await expectSignInPageSays(page, RATE_LIMITED);
		await expect(page).toHaveURL(/error=rate_limited/);
		await expectNothingStored(page);
	});
});

test.describe('when the callback is loaded again after a failure (session/new)', () => {
	test('R1.3 R5.4 after a failure TMDB may have acted on (500), the person is told the request was used, and TMDB is not asked twice', async ({
		page,
		request
	}) => {
		// A 500 after which TMDB may have acted: the token is spent.
		const callback = await approveWhileTmdbFails(page, request, {
			endpoint: 'session/new',
			kind: 'unavailable',
			httpStatus: 500,
			statusCode: 11
		});
		await expectSignInPageSays(page, UNAVAILABLE);
		await page.goto(callback);
		await expectSignInPageSays(
			page,
			'That TMDB sign-in request was used already. Please sign in again.'
		);
		await expect(page).toHaveURL(/error=already_used/);
		const exchanges = (await sandboxRequests(request)).filter((r) => r.endpoint === 'session/new');
		expect(exchanges).toHaveLength(1);
		await expectNothingStored(page);
	});
});

test.describe('when the account is loaded (account)', () => {
	test('R5.1 R5.4 TMDB unavailable: nothing stored, and the new TMDB session is ended', async ({
		page,
		request
	}) => {
		await approveWhileTmdbFails(page, request, {
			endpoint: 'account',
			kind: 'unavailable',
			count: EVERY_ATTEMPT
		});
		await expectSignInPageSays(page, UNAVAILABLE);
		await expect(page).toHaveURL(/error=unavailable/);
		const endpoints = (await sandboxRequests(request)).map((r) => `${r.endpoint} ${r.status}`);
		expect(endpoints).toContain('session/new 200');
		expect(endpoints).toContain('session/delete 200');
		await expectNothingStored(page);
	});

	test('R5.3 R5.4 TMDB rate limiting: nothing stored', async ({ page, request }) => {
		await approveWhileTmdbFails(page, request, {
			endpoint: 'account',
			kind: 'rate_limited',
			retryAfterSeconds: LONG_RETRY_AFTER
		});
		await expectSignInPageSays(page, RATE_LIMITED);
		await expectNothingStored(page);
	});
});

test('R3.1 R3.4 signing out while TMDB is unavailable still signs out', async ({
	page,
	request
}, testInfo) => {
	const username = ownUsername(testInfo, 'tmdb-down');
	await page.goto('/');
	await signIn(page, { username });
	await injectFault(request, {
		endpoint: 'session/delete',
		kind: 'unavailable',
		count: EVERY_ATTEMPT
	});
	await signOutFromMenu(page);
	await expect(page.getByRole('status')).toHaveText('You have signed out.');
	await expectSignedOut(page);
	expect(await sessionCookie(page)).toBeUndefined();
	const deletes = (await sandboxRequests(request)).filter((r) => r.endpoint === 'session/delete');
	expect(deletes.length).toBeGreaterThan(0);
	expect(deletes.every((call) => call.fault === 'unavailable')).toBe(true);
});

test('R1.6 while TMDB is slow the button says "Redirecting to TMDB..." and submits once (needs JavaScript)', async ({
	page,
	request
}, testInfo) => {
	test.skip(
		!javaScriptOn(testInfo),
		'a pending state needs JavaScript; the plain form still works'
	);
	await page.goto('/');
	// TMDB keeps the call until the test has checked the pending state.
	await injectFault(request, { endpoint: 'token/new', kind: 'hold' });
	const button = page.getByRole('main').locator('form.sign-in-form button');
	await button.click();
	await expect(button).toHaveText('Redirecting to TMDB...');
	await expect(button).toBeDisabled();
	await expect(button).toHaveAttribute('aria-busy', 'true');
	// Another submit while pending (Enter in the form, a script) is cancelled.
	await page
		.getByRole('main')
		.locator('form.sign-in-form')
		.evaluate((form: HTMLFormElement) => {
			form.requestSubmit();
		});
	await releaseHeldCall(request, 'token/new');
	await expect(page).toHaveTitle(/Marquee TMDB sandbox/);
	const starts = (await sandboxRequests(request)).filter((r) => r.endpoint === 'token/new');
	expect(starts).toHaveLength(1);
});

test.describe('on the watchlist', () => {
	const WATCHLIST_UNAVAILABLE = 'TMDB is unavailable right now. Try again in a few minutes.';

	test('R5.1 R8.3 TMDB unavailable while loading: a message, no error page, and a retry that works', async ({
		page,
		request
	}, testInfo) => {
		await page.goto('/');
		await signIn(page, { username: ownUsername(testInfo, 'wl-down') });
		await injectFault(request, {
			endpoint: 'watchlist/movies',
			kind: 'unavailable',
			count: EVERY_ATTEMPT
		});
		const response = await page.goto('/watchlist');
		expect(response?.status()).toBe(200);
		await expect(page.getByRole('alert')).toHaveText(WATCHLIST_UNAVAILABLE);
		await expect(page.getByRole('main').getByRole('listitem')).toHaveCount(0);

		await clearFaults(request);
		await page.getByRole('link', { name: 'Try again' }).click();
		await expect(page.getByRole('main').getByRole('listitem')).toHaveCount(3);
		await expect(page.getByRole('alert')).toHaveCount(0);
	});

	test('R5.3 R8.3 TMDB rate limiting while removing: told when to try again, nothing removed', async ({
		page,
		request
	}, testInfo) => {
		await page.goto('/');
		await signIn(page, { username: ownUsername(testInfo, 'wl-busy') });
		await page.goto('/watchlist');
		const movies = page.getByRole('main').getByRole('listitem');
		await expect(movies).toHaveCount(3);
		await injectFault(request, {
			endpoint: 'watchlist',
			kind: 'rate_limited',
			retryAfterSeconds: LONG_RETRY_AFTER
		});
		await movies.first().getByRole('button', { name: 'Remove' }).click();
		await expect(page.getByRole('alert')).toHaveText(
			`TMDB is busy. Try again in ${LONG_RETRY_AFTER} seconds.`
		);
		await expect(movies).toHaveCount(3);
		await expectSignedInAs(page, ownUsername(testInfo, 'wl-busy'));
	});

	test('R8.3 while TMDB is slow the button says "Removing..." and submits once (needs JavaScript)', async ({
		page,
		request
	}, testInfo) => {
		test.skip(
			!javaScriptOn(testInfo),
			'a pending state needs JavaScript; the plain form still works'
		);
		await page.goto('/');
		await signIn(page, { username: ownUsername(testInfo, 'wl-slow') });
		await page.goto('/watchlist');
		const movies = page.getByRole('main').getByRole('listitem');
		await expect(movies).toHaveCount(3);
		await clearSandboxRequests(request);
		await injectFault(request, { endpoint: 'watchlist', kind: 'hold' });
		const button = movies.first().getByRole('button');
		await button.click();
		await expect(button).toHaveText('Removing...');
		await expect(button).toBeDisabled();
		await expect(button).toHaveAttribute('aria-busy', 'true');
		await movies
			.first()
			.locator('form')
			.evaluate((form: HTMLFormElement) => {
				form.requestSubmit();
			});
		await releaseHeldCall(request, 'watchlist');
		await expect(page.getByRole('status')).toHaveText('Removed from your watchlist.');
		await expect(movies).toHaveCount(2);
		const removals = (await sandboxRequests(request)).filter((r) => r.endpoint === 'watchlist');
		expect(removals).toHaveLength(1);
	});
});
