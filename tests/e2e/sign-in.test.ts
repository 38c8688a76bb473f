import { expect, test } from '@playwright/test';
import {
	decideOnTmdb,
	expectSignedInAs,
	expectSignedOut,
	header,
	menuButton,
	ownUsername,
	sessionCookie,
	signIn,
	signOutFromMenu,
	startSignIn
} from './helpers.ts';
import { SANDBOX_URL } from './ports.ts';

test('R1.1 R1.2 R2.1 R2.3 R6.1 sign in from the home page shows the TMDB username in the header', async ({
	page,
	context
}) => {
	await page.goto('/');
	await expectSignedOut(page);
	await signIn(page, { username: 'ada' });
	await expect(page).toHaveURL('/');
	await expect(page.getByRole('heading', { name: 'Marquee' })).toBeVisible();
	await expect(page.getByText('Welcome back, Ada Lovelace.')).toBeVisible();
	await expect(header(page).locator('summary img')).toHaveAttribute('src', /\/t\/p\/.+/);
	const cookies = await context.cookies();
	const session = cookies.find((cookie) => cookie.name === 'marquee_session');
	// Host-only (no Domain attribute), HttpOnly, Lax; Secure needs https, which this suite lacks.
	expect(session).toMatchObject({
		httpOnly: true,
		sameSite: 'Lax',
		path: '/',
		domain: '127.0.0.1'
	});
	expect(session?.expires).toBeGreaterThan(Date.now() / 1000 + 29 * 24 * 3600);
	expect(cookies.find((cookie) => cookie.name === 'marquee_login')).toBeUndefined();
});

test('R2.1 a TMDB account without an avatar shows initials next to the username', async ({
	page
}) => {
	await page.goto('/');
	await signIn(page, { username: 'nameless' });
	await expect(header(page).locator('summary .initials')).toHaveText('NA');
	await expect(header(page).locator('summary img')).toHaveCount(0);
});

test('R1.5 R2.4 a protected page sends you to sign in and brings you back', async ({ page }) => {
	await page.goto('/account');
	await expect(page).toHaveURL('/auth/login?returnTo=%2Faccount');
	await expect(page.getByRole('heading', { level: 1, name: 'Sign in with TMDB' })).toBeVisible();
	await expect(page.getByText('We send you to TMDB (The Movie Database)')).toBeVisible();
	await startSignIn(page);
	await decideOnTmdb(page, { username: 'oldtimer' });
	await expect(page).toHaveURL('/account');
	await expect(page.getByRole('heading', { level: 1, name: 'Old Timer' })).toBeVisible();
	const facts = page.locator('dl.facts').first();
	await expect(facts).toContainText('4100004');
	await expect(facts).toContainText('German (de)');
	await expect(facts).toContainText('Germany (DE)');
	await expect(facts).toContainText('Included in results');
});

test('R1.5 signing in with the header button returns to the page it was pressed on', async ({
	page
}) => {
	await page.goto('/?from=header');
	await header(page).getByRole('button', { name: 'Sign in with TMDB' }).click();
	await expect(page).toHaveTitle(/Marquee TMDB sandbox/);
	await decideOnTmdb(page, { username: 'ada' });
	await expect(page).toHaveURL('/?from=header');
	await expectSignedInAs(page, 'ada');
});

test('R1.5 R6.5 a return path to another site is ignored: sign-in lands on the home page', async ({
	page
}) => {
	await page.goto('/auth/login?returnTo=%2F%2Fevil.example%2Fphish');
	await startSignIn(page);
	await decideOnTmdb(page, { username: 'ada' });
	await expect(page).toHaveURL('/');
	await expectSignedInAs(page, 'ada');
});

test('R1.3 denying at TMDB lands on the sign-in page with a clear message', async ({ page }) => {
	await page.goto('/');
	await startSignIn(page);
	await decideOnTmdb(page, { decision: 'Deny' });
	await expect(page).toHaveURL(/\/auth\/login\?error=denied/);
	await expect(page.getByRole('alert')).toHaveText(/You chose not to approve Marquee on TMDB/);
	await expect(page.getByRole('button', { name: 'Sign in with TMDB' })).toBeVisible();
	await expect(menuButton(page)).toHaveCount(0);
	expect(await sessionCookie(page)).toBeUndefined();
});

test('R1.3 R6.5 a forged callback is refused and signs nobody in', async ({ page }) => {
	await page.goto(
		'/auth/callback?request_token=0123456789abcdef0123456789abcdef01234567&approved=true'
	);
	await expect(page).toHaveURL(/\/auth\/login\?error=mismatch/);
	await expect(page.getByRole('alert')).toHaveText(/not started in this browser/);
	await expect(menuButton(page)).toHaveCount(0);
	expect(await sessionCookie(page)).toBeUndefined();
});

test('R1.3 R6.5 a callback for a sign-in started in another browser is refused', async ({
	page,
	browser,
	request
}, testInfo) => {
	// The attacker starts a sign-in in their own browser and approves it with their account...
	const attacker = await browser.newContext({ baseURL: testInfo.project.use.baseURL });
	const attackerPage = await attacker.newPage();
	await attackerPage.goto('/auth/login');
	await startSignIn(attackerPage);
	const token = new URL(attackerPage.url()).pathname.split('/').pop() ?? '';
	expect(token).toMatch(/^[0-9a-f]{40}$/);
	const decided = await request.post(`${SANDBOX_URL}/__sandbox/decide`, {
		data: { request_token: token, username: ownUsername(testInfo, 'attacker') }
	});
	expect(decided.ok()).toBe(true);
	await attacker.close();

	// ...and sends the victim the callback address, to sign them in as the attacker.
	await page.goto(`/auth/callback?request_token=${token}&approved=true`);
	await expect(page).toHaveURL(/\/auth\/login\?error=mismatch/);
	await expect(page.getByRole('alert')).toHaveText(/not started in this browser/);
	await expectSignedOut(page);
	expect(await sessionCookie(page)).toBeUndefined();
});

test('R1.3 the sign-in page never reflects text from the URL', async ({ page }) => {
	await page.goto('/auth/login?error=%3Cb%3Epwned%3C%2Fb%3E&ref=%3Cscript%3E');
	await expect(page.getByRole('alert')).toHaveCount(0);
	await expect(page.getByText('pwned')).toHaveCount(0);
	await page.goto('/auth/login?error=failed&ref=not-an-error-id');
	await expect(page.getByRole('alert')).toHaveText(/Something went wrong while signing you in/);
	await expect(page.getByText('not-an-error-id')).toHaveCount(0);
});

test('R3.2 R3.3 R3.4 R2.2 sign out from the menu lands home with a confirmation', async ({
	page
}) => {
	await page.goto('/');
	await signIn(page, { username: 'ada' });
	await signOutFromMenu(page);
	await expect(page.getByRole('status')).toHaveText('You have signed out.');
	await expectSignedOut(page);
	expect(await sessionCookie(page)).toBeUndefined();
	await page.goto('/account');
	await expect(page).toHaveURL('/auth/login?returnTo=%2Faccount');
});

test('R3.3 the sign-out page asks first, and its form signs out', async ({ page }) => {
	await page.goto('/');
	await signIn(page, { username: 'ada' });
	await page.goto('/auth/logout');
	await expect(page.getByRole('heading', { level: 1, name: 'Sign out of Marquee?' })).toBeVisible();
	await expectSignedInAs(page, 'ada');
	await page.getByRole('main').getByRole('button', { name: 'Sign out' }).click();
	await expect(page).toHaveURL('/?signed_out=1');
	await expect(page.getByRole('status')).toHaveText('You have signed out.');
	await expectSignedOut(page);
});

test('R4.1 R4.2 the session survives a browser restart: a returning visitor is signed in', async ({
	page,
	browser
}, testInfo) => {
	await page.goto('/');
	await signIn(page, { username: 'ada' });
	const state = await page.context().storageState();
	await page.context().close();
	// A new browser context holds only what was persisted: the cookies.
	const restarted = await browser.newContext({
		baseURL: testInfo.project.use.baseURL,
		javaScriptEnabled: testInfo.project.use.javaScriptEnabled,
		storageState: state
	});
	const again = await restarted.newPage();
	await again.goto('/account');
	await expect(again).toHaveURL('/account');
	await expectSignedInAs(again, 'ada');
	await restarted.close();
});
