import { expect, test, type Browser, type Page, type TestInfo } from '@playwright/test';
import {
	expectSignedInAs,
	expectSignedOut,
	javaScriptOn,
	ownUsername,
	returnToTab,
	sessionCookie,
	signIn,
	signOutFromMenu
} from './helpers.ts';

const FIREFOX_ON_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

/** A second browser (its own cookies), with this project's JavaScript setting. */
async function otherBrowser(browser: Browser, testInfo: TestInfo, userAgent?: string) {
	const context = await browser.newContext({
		baseURL: testInfo.project.use.baseURL,
		javaScriptEnabled: testInfo.project.use.javaScriptEnabled,
		userAgent
	});
	return { context, page: await context.newPage() };
}

/**
 * The session has ended while this tab stayed open on a protected page: with JavaScript the tab
 * notices when it regains focus; without it, on the next navigation. Either way the header is
 * signed out and the page asks for sign-in, then returns to where it was (R2.4).
 */
async function expectTabNoticesSignOut(page: Page, testInfo: TestInfo, username: string) {
	if (javaScriptOn(testInfo)) await returnToTab(page);
	else await page.reload();
	await expect(page).toHaveURL('/auth/login?returnTo=%2Faccount');
	await expectSignedOut(page);
	await page.getByRole('button', { name: 'Sign in with TMDB' }).click();
	await expect(page).toHaveTitle(/Marquee TMDB sandbox/);
	await page.getByLabel(/Or type a username/).fill(username);
	await page.getByRole('button', { name: 'Approve' }).click();
	await expect(page).toHaveURL('/account');
	await expectSignedInAs(page, username);
}

test('R6.4 R2.4 a session signed out from another browser on the sessions page ends there', async ({
	page,
	browser
}, testInfo) => {
	const username = ownUsername(testInfo, 'revoke');
	await page.goto('/account');
	await signIn(page, { username });
	await expect(page).toHaveURL('/account');

	const other = await otherBrowser(browser, testInfo, FIREFOX_ON_LINUX);
	await other.page.goto('/account/sessions');
	await signIn(other.page, { username });
	await expect(other.page).toHaveURL('/account/sessions');
	const sessions = other.page.getByRole('main').getByRole('listitem');
	await expect(sessions).toHaveCount(2);
	const thisDevice = sessions.filter({ hasText: 'This device' });
	await expect(thisDevice).toHaveCount(1);
	await expect(thisDevice).toContainText('Firefox on Linux');
	await expect(thisDevice.getByRole('button')).toHaveCount(0);
	const first = sessions.filter({ hasNotText: 'This device' });
	await expect(first).toContainText('Chrome on Windows');
	await expect(first).toContainText(/Signed in \d+ \w+ \d{4}, \d\d:\d\d UTC · last seen/);
	await first.getByRole('button', { name: 'Sign out' }).click();
	await expect(other.page.getByRole('status')).toHaveText('The session was signed out.');
	await expect(sessions).toHaveCount(1);
	await expect(other.page.getByText('No other device is signed in.')).toBeVisible();
	await expectSignedInAs(other.page, username);
	await other.context.close();

	await expectTabNoticesSignOut(page, testInfo, username);
});

test('R6.4 sign out everywhere else ends every other session and keeps this one', async ({
	page,
	browser
}, testInfo) => {
	const username = ownUsername(testInfo, 'everywhere');
	await page.goto('/');
	await signIn(page, { username });
	const second = await otherBrowser(browser, testInfo);
	const third = await otherBrowser(browser, testInfo);
	for (const other of [second, third]) {
		await other.page.goto('/');
		await signIn(other.page, { username });
	}

	await page.goto('/account/sessions');
	await expect(page.getByRole('main').getByRole('listitem')).toHaveCount(3);
	await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
	await expect(page.getByRole('status')).toHaveText('Signed out 2 other sessions.');
	await expect(page.getByRole('main').getByRole('listitem')).toHaveCount(1);
	await expect(page.getByRole('button', { name: 'Sign out everywhere else' })).toHaveCount(0);
	await expectSignedInAs(page, username);

	for (const other of [second, third]) {
		await other.page.goto('/account');
		await expect(other.page).toHaveURL('/auth/login?returnTo=%2Faccount');
		await expectSignedOut(other.page);
		await other.context.close();
	}
});

test('R2.4 R3.4 two tabs: signing out in one shows the other signed out too', async ({
	page,
	context
}, testInfo) => {
	await page.goto('/');
	await signIn(page, { username: 'ada' });
	const second = await context.newPage();
	await second.goto('/account');
	await expectSignedInAs(second, 'ada');

	await signOutFromMenu(page);
	await expectSignedOut(page);

	if (javaScriptOn(testInfo)) {
		await returnToTab(second);
	} else {
		await second.getByRole('link', { name: 'Marquee' }).click();
	}
	await expectSignedOut(second);
	await expect(second).toHaveURL(javaScriptOn(testInfo) ? /\/auth\/login/ : '/');
});

test('R2.4 in the other tab, the next navigation shows the signed-out header', async ({
	page,
	context
}) => {
	await page.goto('/');
	await signIn(page, { username: 'ada' });
	const second = await context.newPage();
	await second.goto('/');
	await expectSignedInAs(second, 'ada');
	await signOutFromMenu(page);

	await second
		.getByRole('main')
		.getByRole('link', { name: /Sessions/ })
		.click();
	await expect(second).toHaveURL('/auth/login?returnTo=%2Faccount%2Fsessions');
	await expectSignedOut(second);
});

test('R4.3 R2.4 a session cookie the app does not know is cleared and the tab is signed out', async ({
	page,
	context
}, testInfo) => {
	await page.goto('/account');
	await signIn(page, { username: ownUsername(testInfo, 'expired') });
	const cookie = await sessionCookie(page);
	expect(cookie).toBeDefined();
	// What the browser holds after the session expired or was removed: a token the app no longer has.
	await context.addCookies([{ ...cookie!, value: 'a'.repeat(cookie!.value.length) }]);

	if (javaScriptOn(testInfo)) await returnToTab(page);
	else await page.reload();
	await expect(page).toHaveURL('/auth/login?returnTo=%2Faccount');
	await expectSignedOut(page);
	expect(await sessionCookie(page)).toBeUndefined();
});
