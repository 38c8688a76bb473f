/** How the app wires the TMDB client, URLs and the in-process sandbox (R7.2). */
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { parseConfig, SANDBOX_API_KEY } from '../../src/lib/server/config.ts';
import { createLogger } from '../../src/lib/server/log.ts';
import { createAppSandbox, createAppTmdbClient } from '../../src/lib/server/services.ts';
import { approvalUrl, imageUrl } from '../../src/lib/server/tmdb/client.ts';
import { sandboxAccountForUsername } from '../../src/lib/server/tmdb-sandbox/accounts.ts';
import { createMemoryState } from '../support/tmdb-sandbox/memory-state.ts';

const keys = randomBytes(32).toString('base64');
const sandboxConfig = parseConfig(
	{ TMDB_SANDBOX: 'true', SESSION_ENCRYPTION_KEYS: keys },
	{ dev: true }
);
const realConfig = parseConfig(
	{ TMDB_SANDBOX: 'false', TMDB_API_KEY: 'real-key', SESSION_ENCRYPTION_KEYS: keys },
	{ dev: true }
);

describe('approvalUrl', () => {
	test("R1.1 points at TMDB's page with an encoded redirect_to", () => {
		expect(
			approvalUrl(realConfig.tmdb.webUrl, 'abc123', 'https://marquee.example/auth/callback?x=1')
		).toBe(
			'https://www.themoviedb.org/authenticate/abc123?redirect_to=https%3A%2F%2Fmarquee.example%2Fauth%2Fcallback%3Fx%3D1'
		);
	});

	test('R7.2 points at the in-app sandbox page in sandbox mode', () => {
		expect(
			approvalUrl(sandboxConfig.tmdb.webUrl, 'abc123', 'http://localhost:5173/auth/callback')
		).toBe(
			'/sandbox/tmdb/authenticate/abc123?redirect_to=http%3A%2F%2Flocalhost%3A5173%2Fauth%2Fcallback'
		);
	});
});

describe('imageUrl', () => {
	test('TMDB image CDN, or the sandbox, or null', () => {
		expect(imageUrl(realConfig.tmdb.imageUrl, '/a.png')).toBe(
			'https://image.tmdb.org/t/p/w185/a.png'
		);
		expect(imageUrl(realConfig.tmdb.imageUrl, '/a.png', 'w45')).toBe(
			'https://image.tmdb.org/t/p/w45/a.png'
		);
		expect(imageUrl(sandboxConfig.tmdb.imageUrl, '/sandbox-ada.svg')).toBe(
			'/sandbox/tmdb/t/p/w185/sandbox-ada.svg'
		);
		expect(imageUrl(sandboxConfig.tmdb.imageUrl, null)).toBeNull();
	});
});

describe('createAppTmdbClient in sandbox mode', () => {
	test('R7.2 signs in against the in-process sandbox without any network', async () => {
		const memory = createMemoryState();
		// Its call log goes nowhere: the test output stays free of raw JSON.
		const silent = createLogger('silent');
		const client = createAppTmdbClient(
			sandboxConfig,
			createAppSandbox(sandboxConfig, memory.state),
			() => silent
		);
		await client.checkCredential();
		const { requestToken } = await client.createRequestToken();
		// Approve as the person would on the sandbox's page.
		memory.decideToken(requestToken, {
			approved: true,
			account: sandboxAccountForUsername('grace')!
		});
		const sessionId = await client.createSession(requestToken);
		const account = await client.getAccount(sessionId);
		expect(account.username).toBe('grace');
		expect(imageUrl(sandboxConfig.tmdb.imageUrl, account.avatarPath)).toBe(
			'/sandbox/tmdb/t/p/w185/sandbox-grace.svg'
		);
		const { movies } = await client
			.forSession({ sessionId, accountId: account.id })
			.getWatchlistMovies();
		expect(movies.length).toBeGreaterThan(0);
		expect(imageUrl(sandboxConfig.tmdb.imageUrl, movies[0]!.posterPath)).toMatch(
			/^\/sandbox\/tmdb\/t\/p\/w185\/sandbox-poster-\d+\.svg$/
		);
		await client.deleteSession(sessionId);
		await expect(client.getAccount(sessionId)).rejects.toMatchObject({ kind: 'session_invalid' });
	});

	test('the app sandbox accepts the built-in key and the configured one, and no other', async () => {
		const sandbox = createAppSandbox(realConfig, createMemoryState().state);
		const statusWith = async (key: string) =>
			(await sandbox.handle(new Request(`http://sandbox.internal/3/authentication?api_key=${key}`)))
				.status;
		expect(await statusWith(SANDBOX_API_KEY)).toBe(200);
		expect(await statusWith('real-key')).toBe(200);
		expect(await statusWith('another-key')).toBe(401);
	});
});
