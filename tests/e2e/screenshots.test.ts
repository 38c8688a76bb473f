/** The screenshots in README.md and docs/screenshots/, taken from the real app and sandbox. */
import { expect, test } from '@playwright/test';
import { decideOnTmdb, openMenu, signIn, startSignIn } from './helpers.ts';

// Every run takes the screenshots (the flow itself is checked); only `npm run screenshots`
// (UPDATE_SCREENSHOTS=1) writes them over the tracked ones in docs/screenshots/.
const DIR =
	process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : 'test-results/screenshots';

test.use({ viewport: { width: 1200, height: 760 } });

test('screenshots of every page (js-on only: one set is enough)', async ({
	page,
	browser
}, testInfo) => {
	test.skip(testInfo.project.name !== 'js-on', 'one set of screenshots is enough');

	await page.goto('/');
	await expect(page.getByRole('heading', { level: 1, name: 'Marquee' })).toBeVisible();
	await page.screenshot({ path: `${DIR}/home-signed-out.png` });

	await startSignIn(page);
	await page.getByRole('radio', { name: /^grace\b/ }).check();
	await page.screenshot({ path: `${DIR}/tmdb-sandbox-approval.png` });
	await decideOnTmdb(page, { username: 'grace' });
	await expect(page.getByRole('banner').locator('summary')).toHaveText('grace');

	// A second device, so the sessions page has one to sign out.
	const phone = await browser.newContext({
		baseURL: testInfo.project.use.baseURL,
		userAgent:
			'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
		viewport: { width: 390, height: 760 },
		deviceScaleFactor: 2
	});
	const phonePage = await phone.newPage();
	await phonePage.goto('/');
	await signIn(phonePage, { username: 'grace' });
	await openMenu(phonePage);
	await phonePage.screenshot({ path: `${DIR}/phone-menu-open.png` });
	await phone.close();

	await page.goto('/');
	await openMenu(page);
	await page.getByRole('banner').getByRole('link', { name: 'Account' }).hover();
	await page.screenshot({ path: `${DIR}/signed-in-menu-open.png` });

	await page.goto('/account');
	await expect(page.getByRole('heading', { level: 1, name: 'Grace Hopper' })).toBeVisible();
	await page.screenshot({ path: `${DIR}/account.png`, fullPage: true });

	await page.goto('/account/sessions');
	await expect(page.getByText('This device')).toBeVisible();
	await page.screenshot({ path: `${DIR}/sessions.png`, fullPage: true });

	await page.goto('/watchlist');
	await expect(page.getByRole('main').getByRole('listitem')).toHaveCount(6);
	// Posters load lazily: bring the last one into view so that all of them are in the shot.
	await page.locator('img.poster').last().scrollIntoViewIfNeeded();
	await expect
		.poll(() =>
			page
				.locator('img.poster')
				.evaluateAll((images: HTMLImageElement[]) => images.every((image) => image.complete))
		)
		.toBe(true);
	await page.evaluate(() => window.scrollTo(0, 0));
	await page.screenshot({ path: `${DIR}/watchlist.png`, fullPage: true });

	await page.goto('/auth/logout');
	await page.screenshot({ path: `${DIR}/sign-out.png` });

	await page.context().clearCookies();
	await page.goto('/auth/login?error=unavailable&returnTo=%2Faccount');
	await expect(page.getByRole('alert')).toBeVisible();
	await page.screenshot({ path: `${DIR}/sign-in-error.png` });

	await page.goto('/no-such-page');
	await expect(page.getByRole('heading', { name: 'Error 404' })).toBeVisible();
	await page.screenshot({ path: `${DIR}/error-404.png` });
});
