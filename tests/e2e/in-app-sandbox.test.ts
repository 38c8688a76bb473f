/**
 * Sign-in as a new user meets it: the built server with TMDB_SANDBOX=true, where TMDB's approval
 * page is the app's own in-app sandbox, on the app's origin. The approval form's POST must pass
 * SvelteKit's origin check, which the standalone sandbox on another origin never meets.
 */
import { expect, test } from '@playwright/test';
import {
	decideOnTmdb,
	expectSignedInAs,
	expectSignedOut,
	ownUsername,
	signOutFromMenu
} from './helpers.ts';
import { IN_APP_SANDBOX_URL } from './ports.ts';

test('R7.2 R1.2 R1.5 sign in through the built server’s in-app sandbox, and back where one was going', async ({
	page
}, testInfo) => {
	const username = ownUsername(testInfo, 'in-app');
	await page.goto('/account');
	await expect(page).toHaveURL(/\/auth\/login\?returnTo=%2Faccount$/);
	await page.getByRole('main').getByRole('button', { name: 'Sign in with TMDB' }).click();
	await expect(page).toHaveTitle(/Marquee TMDB sandbox/);
	expect(new URL(page.url()).origin).toBe(IN_APP_SANDBOX_URL);

	await decideOnTmdb(page, { username });
	await expect(page).toHaveURL(`${IN_APP_SANDBOX_URL}/account`);
	await expectSignedInAs(page, username);

	await signOutFromMenu(page);
	await expectSignedOut(page);
});

test('R1.3 denying in the in-app sandbox ends on the sign-in page with a clear message', async ({
	page
}) => {
	await page.goto('/auth/login');
	await page.getByRole('main').getByRole('button', { name: 'Sign in with TMDB' }).click();
	await decideOnTmdb(page, { decision: 'Deny' });
	await expect(page).toHaveURL(/\/auth\/login\?error=denied$/);
	await expect(page.getByRole('alert')).toContainText('You chose not to approve Marquee on TMDB');
	await expectSignedOut(page);
});
