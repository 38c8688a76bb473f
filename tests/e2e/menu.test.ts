import { expect, test } from '@playwright/test';
import { expectSignedOut, header, javaScriptOn, menuButton, openMenu, signIn } from './helpers.ts';

test.beforeEach(async ({ page }) => {
	await page.goto('/');
	await signIn(page, { username: 'ada' });
});

test('R2.2 the username menu works by keyboard: Tab to it, Enter opens, Tab through its items', async ({
	page
}) => {
	const panel = header(page).locator('.menu-panel');
	await header(page).getByRole('link', { name: 'Marquee' }).focus();
	await page.keyboard.press('Tab');
	await expect(menuButton(page)).toBeFocused();
	await expect(panel).toBeHidden();

	await page.keyboard.press('Enter');
	await expect(panel).toBeVisible();
	await expect(header(page).locator('details')).toHaveAttribute('open', '');
	await expect(panel).toContainText('Ada Lovelace');

	await page.keyboard.press('Tab');
	await expect(panel.getByRole('link', { name: 'Watchlist' })).toBeFocused();
	await page.keyboard.press('Tab');
	await expect(panel.getByRole('link', { name: 'Account' })).toBeFocused();
	await page.keyboard.press('Tab');
	await expect(panel.getByRole('link', { name: 'Sessions' })).toBeFocused();
	await page.keyboard.press('Tab');
	await expect(panel.getByRole('button', { name: 'Sign out' })).toBeFocused();

	// Back to the Account link and follow it.
	await page.keyboard.press('Shift+Tab');
	await page.keyboard.press('Shift+Tab');
	await expect(panel.getByRole('link', { name: 'Account' })).toBeFocused();
	await page.keyboard.press('Enter');
	await expect(page).toHaveURL('/account');
	await expect(page.getByRole('heading', { level: 1, name: 'Ada Lovelace' })).toBeVisible();
	await expect(header(page).locator('.menu-panel')).toBeHidden();
});

test('R2.2 Space on the username toggles the menu open and closed', async ({ page }) => {
	const panel = header(page).locator('.menu-panel');
	await menuButton(page).focus();
	await page.keyboard.press('Space');
	await expect(panel).toBeVisible();
	await page.keyboard.press('Space');
	await expect(panel).toBeHidden();
});

test('R2.2 R3.4 sign out from the menu by keyboard', async ({ page }) => {
	await menuButton(page).focus();
	await page.keyboard.press('Enter');
	const signOut = header(page).getByRole('button', { name: 'Sign out' });
	await signOut.focus();
	await page.keyboard.press('Enter');
	await expect(page).toHaveURL('/?signed_out=1');
	await expectSignedOut(page);
});

test('R2.2 the menu links lead to the account and sessions pages', async ({ page }) => {
	let panel = await openMenu(page);
	await panel.getByRole('link', { name: 'Sessions' }).click();
	await expect(page).toHaveURL('/account/sessions');
	await expect(page.getByRole('heading', { level: 1, name: 'Sessions' })).toBeVisible();
	panel = await openMenu(page);
	await panel.getByRole('link', { name: 'Account' }).click();
	await expect(page).toHaveURL('/account');
	await expect(page.getByRole('heading', { level: 1, name: 'Ada Lovelace' })).toBeVisible();
});

test('R2.2 Escape closes the menu and returns focus to the username (needs JavaScript)', async ({
	page
}, testInfo) => {
	test.skip(!javaScriptOn(testInfo), 'a <details> element has no Escape handling of its own');
	const panel = await openMenu(page);
	await panel.getByRole('link', { name: 'Account' }).focus();
	await page.keyboard.press('Escape');
	await expect(panel).toBeHidden();
	await expect(menuButton(page)).toBeFocused();
});

test('R2.2 a click outside closes the menu (needs JavaScript)', async ({ page }, testInfo) => {
	test.skip(!javaScriptOn(testInfo), 'a <details> element does not close on outside clicks');
	const panel = await openMenu(page);
	await page.getByRole('heading', { level: 1, name: 'Marquee' }).click();
	await expect(panel).toBeHidden();
});

test('R2.2 tabbing past the last item closes the menu (needs JavaScript)', async ({
	page
}, testInfo) => {
	test.skip(!javaScriptOn(testInfo), 'a <details> element stays open when focus leaves it');
	const panel = await openMenu(page);
	await panel.getByRole('button', { name: 'Sign out' }).focus();
	await page.keyboard.press('Tab');
	await expect(panel).toBeHidden();
});
