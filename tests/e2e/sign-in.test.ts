import { expect, test } from '@playwright/test';
import { decideOnTmdb, signIn, startSignIn } from './helpers.ts';

test('R1.1 R1.2 R2.1 sign in from the home page shows the TMDB username in the header', async ({
	page,
	context
}) => {
	await page.goto('/');
	await expect(
		page.getByRole('banner').getByRole('button', { name: 'Sign in with TMDB' })
	).toBeVisible();
	await signIn(page, { username: 'ada' });
	await expect(page).toHaveURL('/');
	await expect(page.getByRole('heading', { name: 'Marquee' })).toBeVisible();
	const cookies = await context.cookies();
	const session = cookies.find((cookie) => cookie.name === 'marquee_session');
	expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
	expect(session?.expires).toBeGreaterThan(Date.now() / 1000 + 29 * 24 * 3600);
	expect(cookies.find((cookie) => cookie.name === 'marquee_login')).toBeUndefined();
});

test('R1.5 R2.4 a protected page sends you to sign in and brings you back', async ({ page }) => {
	await page.goto('/account');
	await expect(page).toHaveURL('/auth/login?returnTo=%2Faccount');
	await startSignIn(page);
	await decideOnTmdb(page, { username: 'grace' });
	await expect(page).toHaveURL('/account');
	await expect(page.getByRole('heading', { level: 1, name: 'Grace Hopper' })).toBeVisible();
	await expect(page.getByText('4100002')).toBeVisible();
});

test('R1.3 denying at TMDB lands on the sign-in page with a clear message', async ({ page }) => {
	await page.goto('/');
	await startSignIn(page);
	await decideOnTmdb(page, { decision: 'Deny' });
	await expect(page).toHaveURL(/\/auth\/login\?error=denied/);
	await expect(page.getByRole('alert')).toHaveText(/You chose not to approve Marquee on TMDB/);
	await expect(page.getByRole('banner').getByText('ada')).toHaveCount(0);
});

test('R1.3 R6.5 a forged callback is refused and signs nobody in', async ({ page }) => {
	await page.goto(
		'/auth/callback?request_token=0123456789abcdef0123456789abcdef01234567&approved=true'
	);
	await expect(page).toHaveURL(/\/auth\/login\?error=mismatch/);
	await expect(page.getByRole('alert')).toHaveText(/not started in this browser/);
});

test('R1.3 the sign-in page never reflects text from the URL', async ({ page }) => {
	await page.goto('/auth/login?error=%3Cb%3Epwned%3C%2Fb%3E');
	await expect(page.getByRole('alert')).toHaveCount(0);
	await expect(page.getByText('pwned')).toHaveCount(0);
});

test('R3.3 R3.4 R2.2 sign out from the menu lands home with a confirmation', async ({ page }) => {
	await page.goto('/');
	await signIn(page, { username: 'ada' });
	await page.getByRole('banner').getByText('ada', { exact: true }).click();
	await page.getByRole('button', { name: 'Sign out' }).click();
	await expect(page).toHaveURL('/?signed_out=1');
	await expect(page.getByRole('status')).toHaveText('You have signed out.');
	await expect(
		page.getByRole('banner').getByRole('button', { name: 'Sign in with TMDB' })
	).toBeVisible();
	await page.goto('/account');
	await expect(page).toHaveURL(/\/auth\/login/);
});
