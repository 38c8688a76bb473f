/**
 * Behind TLS, as production runs it: the built server behind a TLS-terminating proxy, with an
 * https ORIGIN (serve.ts `https`). Proves in a real browser what plain http cannot: the browser
 * accepts and sends back the Secure, `__Host-` cookies as the app sets them, so sign-in and
 * sign-out work with them, and pages carry HSTS.
 */
import { expect, test } from '@playwright/test';
import {
	decideOnTmdb,
	expectSignedInAs,
	expectSignedOut,
	ownUsername,
	signOutFromMenu
} from './helpers.ts';
import { HTTPS_URL } from './ports.ts';

/** What a host-only, Secure, `__Host-`-compatible cookie looks like to the browser. */
const HOST_ONLY_SECURE = {
	domain: '127.0.0.1',
	path: '/',
	secure: true,
	httpOnly: true,
	sameSite: 'Lax'
} as const;

test('R6.1 R1.2 over https the browser keeps the Secure __Host- cookies, and sign-in and sign-out work', async ({
	page,
	context
}, testInfo) => {
	const username = ownUsername(testInfo, 'https');
	const home = await page.goto('/');
	expect(home?.headers()['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');

	await page.goto('/account');
	await expect(page).toHaveURL(/\/auth\/login\?returnTo=%2Faccount$/);
	await page.getByRole('main').getByRole('button', { name: 'Sign in with TMDB' }).click();
	await expect(page).toHaveTitle(/Marquee TMDB sandbox/);
	const pending = await context.cookies();
	expect(pending.map((cookie) => cookie.name)).toEqual(['__Host-marquee_login']);
	expect(pending[0]).toMatchObject(HOST_ONLY_SECURE);

	await decideOnTmdb(page, { username });
	await expect(page).toHaveURL(`${HTTPS_URL}/account`);
	await expectSignedInAs(page, username);
	const signedIn = await context.cookies();
	expect(signedIn.map((cookie) => cookie.name)).toEqual(['__Host-marquee_session']);
	expect(signedIn[0]).toMatchObject(HOST_ONLY_SECURE);

	await signOutFromMenu(page);
	await expectSignedOut(page);
	expect(await context.cookies()).toEqual([]);
});
