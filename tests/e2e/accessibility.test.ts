/** axe on every page of ours (the sandbox's approval page stands in for TMDB's: not ours). */
import { expect, test } from '@playwright/test';
import { expectAccessible, openMenu, signIn } from './helpers.ts';

test.skip(
	({ javaScriptEnabled }) => !javaScriptEnabled,
	'axe runs as a script in the page: needs JavaScript'
);

test('R2.3 accessibility (axe needs JavaScript): the signed-out home page', async ({ page }) => {
	await page.goto('/');
	await expectAccessible(page);
});

test('R2.1 R2.2 accessibility (axe needs JavaScript): the signed-in home page with the menu open', async ({
	page
}) => {
	await page.goto('/');
	await signIn(page, { username: 'ada' });
	await expectAccessible(page);
	await openMenu(page);
	await expectAccessible(page);
});

test('R1.3 accessibility (axe needs JavaScript): the sign-in page with an error message', async ({
	page
}) => {
	await page.goto('/auth/login?error=unavailable&returnTo=%2Faccount');
	await expect(page.getByRole('alert')).toBeVisible();
	await expectAccessible(page);
});

test('R3.3 accessibility (axe needs JavaScript): the sign-out page, signed in and signed out', async ({
	page
}) => {
	await page.goto('/auth/logout');
	await expect(page.getByRole('heading', { name: 'You are signed out' })).toBeVisible();
	await expectAccessible(page);
	await signIn(page, { username: 'ada' });
	await page.goto('/auth/logout');
	await expect(page.getByRole('heading', { name: 'Sign out of Marquee?' })).toBeVisible();
	await expectAccessible(page);
});

test('R6.4 accessibility (axe needs JavaScript): the account and sessions pages', async ({
	page
}) => {
	await page.goto('/account');
	await signIn(page, { username: 'ada' });
	await expect(page).toHaveURL('/account');
	await expectAccessible(page);
	await page.goto('/account/sessions');
	await expect(page.getByText('This device')).toBeVisible();
	await expectAccessible(page);
});

test('accessibility (axe needs JavaScript): the error page', async ({ page }) => {
	const response = await page.goto('/no-such-page');
	expect(response?.status()).toBe(404);
	await expect(page.getByRole('heading', { level: 1, name: 'Error 404' })).toBeVisible();
	await expectAccessible(page);
});

test('R8.3 accessibility (axe needs JavaScript): the watchlist, full and empty', async ({
	page
}) => {
	await page.goto('/watchlist');
	await signIn(page, { username: 'ada' });
	await expect(page.getByRole('main').getByRole('listitem')).toHaveCount(20);
	await expectAccessible(page);
	await page.goto('/watchlist?page=2');
	await expect(page.getByText('No poster').first()).toBeVisible();
	await expectAccessible(page);
	await page.context().clearCookies();
	await page.goto('/watchlist');
	await signIn(page, { username: 'nameless' });
	await expect(page.getByText('Your watchlist is empty.')).toBeVisible();
	await expectAccessible(page);
});
