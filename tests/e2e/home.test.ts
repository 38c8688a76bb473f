import { expect, test } from '@playwright/test';

test('the home page shows the Marquee landing page', async ({ page }) => {
	const response = await page.goto('/');
	expect(response?.status()).toBe(200);
	await expect(page).toHaveTitle('Marquee');
	await expect(page.getByRole('heading', { level: 1, name: 'Marquee' })).toBeVisible();
	await expect(page.getByRole('banner').getByRole('link', { name: 'Marquee' })).toHaveAttribute(
		'href',
		'/'
	);
});
