/**
 * The watchlist page (issue 13), with JavaScript on and off: viewing from the username menu,
 * paging, removing down to the empty state, and a session revoked at TMDB while in use.
 * Tests that change a watchlist use an account of their own (the sandbox is shared).
 */
import { expect, test, type Page } from '@playwright/test';
import {
	expectSignedInAs,
	expectSignedOut,
	javaScriptOn,
	openMenu,
	ownUsername,
	revokeAtTmdb,
	sessionCookie,
	signIn
} from './helpers.ts';

const SESSION_ENDED = 'Your TMDB session has ended. Please sign in again.';

function movies(page: Page) {
	return page.getByRole('main').getByRole('listitem');
}

async function openWatchlistFromMenu(page: Page) {
	const panel = await openMenu(page);
	await panel.getByRole('link', { name: 'Watchlist' }).click();
	await expect(page).toHaveURL('/watchlist');
	await expect(page.getByRole('heading', { level: 1, name: 'Your watchlist' })).toBeVisible();
}

test('R8.3 the username menu opens the watchlist: two pages, posters, titles and years', async ({
	page
}) => {
	await page.goto('/');
	await signIn(page, { username: 'ada' });
	await openWatchlistFromMenu(page);
	await expect(page.getByText('23 movies, page 1 of 2')).toBeVisible();
	await expect(movies(page)).toHaveCount(20);
	const first = movies(page).first();
	await expect(first.getByRole('heading', { level: 2 })).toHaveText('Metropolis');
	await expect(first).toContainText('1927');
	const poster = first.locator('img');
	await expect(poster).toHaveAttribute('src', /\/t\/p\/w185\/sandbox-poster-9100001\.svg$/);
	// The poster really loads (the CSP allows TMDB's image origin).
	await expect
		.poll(() => poster.evaluate((image: HTMLImageElement) => image.naturalWidth))
		.toBeGreaterThan(0);

	await page.getByRole('link', { name: 'Next page' }).click();
	await expect(page).toHaveURL('/watchlist?page=2');
	await expect(movies(page)).toHaveCount(3);
	await expect(movies(page).filter({ hasText: 'A Film Without a Poster' })).toContainText(
		'No poster'
	);
	await expect(movies(page).filter({ hasText: 'An Unreleased Sandbox Picture' })).toContainText(
		'Release date unknown'
	);
	await expect(page.getByRole('link', { name: 'Next page' })).toHaveCount(0);
	await page.getByRole('link', { name: 'Previous page' }).click();
	await expect(page).toHaveURL('/watchlist');
	await expect(movies(page)).toHaveCount(20);
});

test('R1.5 R8.3 signed out, /watchlist asks to sign in and comes back to it', async ({ page }) => {
	await page.goto('/watchlist?page=2');
	await expect(page).toHaveURL('/auth/login?returnTo=%2Fwatchlist%3Fpage%3D2');
	await signIn(page, { username: 'ada' });
	await expect(page).toHaveURL('/watchlist?page=2');
	await expect(movies(page)).toHaveCount(3);
});

test('R8.3 removing movies one by one until the empty state', async ({ page }, testInfo) => {
	const username = ownUsername(testInfo, 'wl-remove');
	await page.goto('/');
	await signIn(page, { username });
	await openWatchlistFromMenu(page);
	await expect(page.getByText('3 movies')).toBeVisible();
	const titles = await movies(page).getByRole('heading', { level: 2 }).allTextContents();
	expect(titles).toHaveLength(3);

	await movies(page).first().getByRole('button', { name: 'Remove' }).click();
	await expect(page.getByRole('status')).toHaveText('Removed from your watchlist.');
	// With JavaScript the removed button's focus moves to the outcome instead of being lost.
	if (javaScriptOn(testInfo)) await expect(page.getByRole('status')).toBeFocused();
	await expect(page.getByText('2 movies')).toBeVisible();
	await expect(movies(page).getByRole('heading', { level: 2 })).toHaveText(titles.slice(1));

	// The change is TMDB's, not the page's: a fresh load shows the same.
	await page.goto('/watchlist');
	await expect(movies(page).getByRole('heading', { level: 2 })).toHaveText(titles.slice(1));

	for (const title of titles.slice(1)) {
		await movies(page).filter({ hasText: title }).getByRole('button', { name: 'Remove' }).click();
		await expect(movies(page).filter({ hasText: title })).toHaveCount(0);
	}
	await expect(page.getByText('Your watchlist is empty.')).toBeVisible();
	await expect(movies(page)).toHaveCount(0);
	await expectSignedInAs(page, username);
});

test('R4.4 R8.2 R2.4 a session revoked at TMDB while in use signs out at once and comes back after sign-in', async ({
	page,
	request
}, testInfo) => {
	const username = ownUsername(testInfo, 'wl-revoked');
	await page.goto('/');
	await signIn(page, { username });
	await openWatchlistFromMenu(page);
	await expect(movies(page)).toHaveCount(3);

	expect(await revokeAtTmdb(request, username)).toBe(1);
	await movies(page).first().getByRole('button', { name: 'Remove' }).click();

	await expect(page).toHaveURL('/auth/login?error=session_ended&returnTo=%2Fwatchlist');
	await expect(page.getByRole('alert')).toHaveText(SESSION_ENDED);
	await expectSignedOut(page);
	expect(await sessionCookie(page)).toBeUndefined();

	// Nothing was removed, and signing in again returns to the watchlist.
	await signIn(page, { username });
	await expect(page).toHaveURL('/watchlist');
	await expect(movies(page)).toHaveCount(3);
});

test('R4.4 R8.2 a session revoked at TMDB ends when the watchlist is opened next', async ({
	page,
	request
}, testInfo) => {
	const username = ownUsername(testInfo, 'wl-open');
	await page.goto('/');
	await signIn(page, { username });
	await page.goto('/account');
	await revokeAtTmdb(request, username);
	// With JavaScript this is a client-side navigation: the page's data request gets the redirect.
	const panel = await openMenu(page);
	await panel.getByRole('link', { name: 'Watchlist' }).click();
	await expect(page).toHaveURL('/auth/login?error=session_ended&returnTo=%2Fwatchlist');
	await expect(page.getByRole('alert')).toHaveText(SESSION_ENDED);
	await expectSignedOut(page);
});
