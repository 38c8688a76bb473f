import { expect, test } from 'vitest';
import { BrowserSession } from '../../helpers/browser-session.ts';
import { useAppStack } from '../../helpers/app-stack.ts';

// The point is correctness under contention, so TMDB (the sandbox, in this test's own
// process) gets generous timeouts: on a busy two-core machine 200 handshakes queue up.
const stack = useAppStack({ TMDB_TIMEOUT_MS: '15000', TMDB_RETRY_BUDGET_MS: '30000' });

test('200 sign-ins at once complete with 200 sessions and one user per TMDB account; 200 pages at once each show their own account', async () => {
	const accounts = Array.from({ length: 50 }, (_, index) => `crowd-${index}`);
	const browsers = Array.from({ length: 200 }, () => new BrowserSession(stack.app.url));
	const results = await Promise.allSettled(
		browsers.map((browser, index) =>
			browser.signIn(stack.sandbox.url, accounts[index % accounts.length]!)
		)
	);
	const failures = results.filter((result) => result.status === 'rejected');
	expect(failures.map((failure) => String((failure as PromiseRejectedResult).reason))).toEqual([]);

	expect(await stack.rowCounts()).toEqual({ users: 50, sessions: 200 });
	const [duplicates] = await stack.database.sql`
		SELECT count(*)::int AS count FROM (
			SELECT tmdb_account_id FROM users GROUP BY tmdb_account_id HAVING count(*) > 1
		) AS d`;
	expect(duplicates!.count).toBe(0);
	const cookies = new Set(browsers.map((browser) => browser.cookies.get('marquee_session')));
	expect(cookies.size).toBe(200);

	// Requests that arrive together share one session lookup (db/auth.ts): none may get another's row.
	const pages = await Promise.all(browsers.map(async (browser) => (await browser.get('/')).text()));
	const shown = pages.map((page) => /class="username[^"]*">([^<]+)</.exec(page)?.[1]);
	expect(shown).toEqual(browsers.map((_, index) => accounts[index % accounts.length]));
	const errors = stack.app.output.filter((line) => line.includes('"level":50'));
	expect(errors).toEqual([]);
}, 120_000);
