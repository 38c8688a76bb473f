/** Shared e2e flows: sign in through the sandbox's approval page, drive the sandbox's faults. */
import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { SANDBOX_URL } from './ports.ts';

export async function startSignIn(page: Page): Promise<void> {
	await page.getByRole('button', { name: 'Sign in with TMDB' }).first().click();
	await expect(page).toHaveTitle(/Marquee TMDB sandbox/);
}

/** On the sandbox's approval page: choose an account (or type a username) and decide. */
export async function decideOnTmdb(
	page: Page,
	options: { username?: string; decision?: 'Approve' | 'Deny' } = {}
): Promise<void> {
	const username = options.username ?? 'ada';
	const choice = page.getByRole('radio', { name: new RegExp(`^${username}\\b`) });
	if ((await choice.count()) > 0) await choice.check();
	else await page.getByLabel(/Or type a username/).fill(username);
	await page.getByRole('button', { name: options.decision ?? 'Approve' }).click();
}

/** The whole sign-in from the current page; ends back in the app. */
export async function signIn(page: Page, options: { username?: string } = {}): Promise<void> {
	await startSignIn(page);
	await decideOnTmdb(page, options);
	await expect(
		page.getByRole('banner').getByText(options.username ?? 'ada', { exact: true })
	).toBeVisible();
}

export async function injectFault(
	request: APIRequestContext,
	fault: {
		endpoint: string;
		kind: string;
		count?: number;
		retryAfterSeconds?: number;
		delayMs?: number;
	}
): Promise<void> {
	const response = await request.post(`${SANDBOX_URL}/__sandbox/faults`, { data: fault });
	expect(response.status()).toBe(201);
}

export async function clearFaults(request: APIRequestContext): Promise<void> {
	await request.delete(`${SANDBOX_URL}/__sandbox/faults`);
}

export async function revokeAtTmdb(request: APIRequestContext, username: string): Promise<number> {
	const response = await request.post(`${SANDBOX_URL}/__sandbox/revoke`, { data: { username } });
	return ((await response.json()) as { revoked: number }).revoked;
}
