/** Shared e2e flows: sign in through the sandbox's approval page, drive the sandbox's faults. */
import AxeBuilder from '@axe-core/playwright';
import {
	expect,
	type APIRequestContext,
	type Locator,
	type Page,
	type TestInfo
} from '@playwright/test';
import { SANDBOX_URL } from './ports.ts';

/** Whether the test runs in the project with JavaScript on. */
export function javaScriptOn(testInfo: TestInfo): boolean {
	return testInfo.project.use.javaScriptEnabled !== false;
}

/**
 * A sandbox username of this test alone: the sandbox makes a stable account for any typed name,
 * so tests that end sessions never touch another test's account (both projects run at once, and
 * a retry starts from an account of its own too). At most 32 characters.
 */
export function ownUsername(testInfo: TestInfo, label: string): string {
	const js = javaScriptOn(testInfo) ? 'on' : 'off';
	const name = `e2e-${label}-${js}${testInfo.retry}`;
	if (name.length > 32) throw new Error(`username too long for the sandbox: ${name}`);
	return name;
}

export function header(page: Page): Locator {
	return page.getByRole('banner');
}

/** The username menu's button (a <summary>: it has no ARIA role of its own). */
export function menuButton(page: Page): Locator {
	return header(page).locator('summary');
}

export async function expectSignedInAs(page: Page, username: string): Promise<void> {
	await expect(menuButton(page).locator('.username')).toHaveText(username);
	await expect(page.getByRole('button', { name: 'Sign in with TMDB' })).toHaveCount(0);
}

/**
 * The signed-out state (R2.3): no username menu, and a "Sign in with TMDB" button in the header;
 * on the sign-in page, whose own button is the page's point, the header leaves it out.
 */
export async function expectSignedOut(page: Page): Promise<void> {
	await expect(menuButton(page)).toHaveCount(0);
	const inHeader = header(page).getByRole('button', { name: 'Sign in with TMDB' });
	if (new URL(page.url()).pathname === '/auth/login') {
		await expect(inHeader).toHaveCount(0);
		await expect(
			page.getByRole('main').getByRole('button', { name: 'Sign in with TMDB' })
		).toBeVisible();
	} else {
		await expect(inHeader).toBeVisible();
	}
}

export async function startSignIn(page: Page): Promise<void> {
	await page.getByRole('button', { name: 'Sign in with TMDB' }).first().click();
	await expect(page).toHaveTitle(/Marquee TMDB sandbox/);
}

function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** On the sandbox's approval page: choose an account (or type a username) and decide. */
export async function decideOnTmdb(
	page: Page,
	options: { username?: string; decision?: 'Approve' | 'Deny' } = {}
): Promise<void> {
	const username = options.username ?? 'ada';
	const choice = page.getByRole('radio', { name: new RegExp(`^${escapeRegExp(username)}\\b`) });
	if ((await choice.count()) > 0) await choice.check();
	else await page.getByLabel(/Or type a username/).fill(username);
	await page.getByRole('button', { name: options.decision ?? 'Approve' }).click();
}

/** The whole sign-in from the current page; ends back in the app. */
export async function signIn(page: Page, options: { username?: string } = {}): Promise<void> {
	await startSignIn(page);
	await decideOnTmdb(page, options);
	await expectSignedInAs(page, options.username ?? 'ada');
}

/** Opens the username menu by pointer; works with JavaScript off (it is a <details>). */
export async function openMenu(page: Page): Promise<Locator> {
	await menuButton(page).click();
	const panel = header(page).locator('.menu-panel');
	await expect(panel).toBeVisible();
	return panel;
}

export async function signOutFromMenu(page: Page): Promise<void> {
	const panel = await openMenu(page);
	await panel.getByRole('button', { name: 'Sign out' }).click();
	await expect(page).toHaveURL('/?signed_out=1');
}

/** The session cookie of this browser context, if any. */
export async function sessionCookie(page: Page) {
	const cookies = await page.context().cookies();
	return cookies.find((cookie) => cookie.name === 'marquee_session');
}

/** The tab "comes back": what a browser fires when the person returns to it. */
export async function returnToTab(page: Page): Promise<void> {
	await page.evaluate(() => window.dispatchEvent(new Event('focus')));
}

/**
 * Zero serious or critical accessibility violations on the page as it is now. axe runs as a
 * script in the page, so only with JavaScript on; the server renders the same page either way.
 */
export async function expectAccessible(page: Page): Promise<void> {
	const results = await new AxeBuilder({ page }).analyze();
	const serious = results.violations
		.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
		.map((violation) => ({
			id: violation.id,
			impact: violation.impact,
			help: violation.help,
			targets: violation.nodes.map((node) => node.target.join(' '))
		}));
	expect(serious).toEqual([]);
}

type Fault = {
	endpoint:
		| 'token/new'
		| 'session/new'
		| 'session/delete'
		| 'account'
		| 'authentication'
		| 'watchlist/movies'
		| 'watchlist';
	kind: 'unavailable' | 'rate_limited' | 'tmdb_error' | 'hang' | 'hold' | 'reset';
	count?: number;
	httpStatus?: number;
	statusCode?: number;
	retryAfterSeconds?: number;
	delayMs?: number;
};

export async function injectFault(request: APIRequestContext, fault: Fault): Promise<void> {
	const response = await request.post(`${SANDBOX_URL}/__sandbox/faults`, { data: fault });
	expect(response.status()).toBe(201);
}

export async function clearFaults(request: APIRequestContext): Promise<void> {
	const response = await request.delete(`${SANDBOX_URL}/__sandbox/faults`);
	expect(response.ok()).toBe(true);
}

/**
 * Waits until the sandbox holds a call of `endpoint` (a `hold` fault), then lets it go on. Until
 * then the page waits for TMDB however long the test takes: no clock runs out first.
 */
export async function releaseHeldCall(
	request: APIRequestContext,
	endpoint: Fault['endpoint']
): Promise<void> {
	await expect
		.poll(async () =>
			(await sandboxRequests(request)).filter(
				(call) => call.endpoint === endpoint && call.fault === 'hold' && call.status === null
			)
		)
		.toHaveLength(1);
	const response = await request.post(`${SANDBOX_URL}/__sandbox/release`);
	// Still held when let go: what the test checked meanwhile happened while TMDB was slow.
	expect(await response.json()).toEqual({ released: 1 });
}

/** `status` is null while the sandbox has not answered yet. */
type SandboxRequest = {
	method: string;
	endpoint?: string;
	status: number | null;
	fault?: string;
};

/** What the sandbox received, oldest first (no secrets: no query values, no bodies). */
export async function sandboxRequests(request: APIRequestContext): Promise<SandboxRequest[]> {
	const response = await request.get(`${SANDBOX_URL}/__sandbox/requests`);
	expect(response.ok()).toBe(true);
	return ((await response.json()) as { requests: SandboxRequest[] }).requests;
}

export async function clearSandboxRequests(request: APIRequestContext): Promise<void> {
	const response = await request.delete(`${SANDBOX_URL}/__sandbox/requests`);
	expect(response.ok()).toBe(true);
}

export async function revokeAtTmdb(request: APIRequestContext, username: string): Promise<number> {
	const response = await request.post(`${SANDBOX_URL}/__sandbox/revoke`, { data: { username } });
	return ((await response.json()) as { revoked: number }).revoked;
}
