import { expect, test } from '@playwright/test';
import { expectSignedOut } from './helpers.ts';

test('the error page names the status, says what happened in a sentence, and shows an error id', async ({
	page
}) => {
	const response = await page.goto('/no-such-page');
	expect(response?.status()).toBe(404);
	await expect(page).toHaveTitle('404 · Marquee');
	await expect(page.getByRole('heading', { level: 1, name: 'Error 404' })).toBeVisible();
	await expect(page.getByText('There is no page at this address.')).toBeVisible();
	await expect(page.getByText(/^Error id: [0-9a-f-]{36}$/)).toBeVisible();
	await expect(page.getByRole('link', { name: 'Back to the home page' })).toHaveAttribute(
		'href',
		'/'
	);
	await expectSignedOut(page);
	await expect(page.locator('body')).not.toContainText(/at \S+\.(js|ts):\d+/);
});
