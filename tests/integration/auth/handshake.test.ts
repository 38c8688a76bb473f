import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { LoginError, completeTmdbLogin } from '../../../src/lib/server/auth/login.ts';
import { hashSessionToken, tmdbSessionIdOf } from '../../../src/lib/server/auth/sessions.ts';
import {
	API_KEY,
	callbackParams,
	eventFor,
	CookieJar,
	countRows,
	signIn,
	startLogin,
	useHarness
} from '../../helpers/auth-harness.ts';

const harness = useHarness();

async function expectLoginError(promise: Promise<unknown>, code: string) {
	const error = await promise.then(
		() => null,
		(caught: unknown) => caught
	);
	expect(error).toBeInstanceOf(LoginError);
	expect((error as LoginError).code).toBe(code);
}

function sessionNewCalls() {
	return harness.sandbox.sandbox
		.receivedRequests()
		.filter((request) => request.endpoint === 'session/new').length;
}

describe('the sign-in handshake', () => {
	test('R1.1 start creates a request token, binds it to the browser and points TMDB back at /auth/callback', async () => {
		const jar = new CookieJar();
		// Pinned 900 ms into a second, so the cookie's expiry is exact rather than compared with a
		// later wall-clock read (which fails when the machine's clock steps back).
		const second = Math.floor(Date.now() / 1000) * 1000;
		harness.sandbox.sandbox.pinClock(second + 900);
		const { approvalUrl, requestToken } = await startLogin(harness, jar, '/account?tab=1');
		expect(approvalUrl.origin).toBe(harness.sandbox.url);
		expect(approvalUrl.pathname).toBe(`/authenticate/${requestToken}`);
		expect(approvalUrl.searchParams.get('redirect_to')).toBe('https://marquee.test/auth/callback');
		expect(requestToken).toMatch(/^[0-9a-f]{40}$/);

		const pending = jar.store.get('__Host-marquee_login');
		expect(pending?.options).toMatchObject({
			httpOnly: true,
			sameSite: 'lax',
			path: '/',
			secure: true
		});
		expect(pending?.options).not.toHaveProperty('domain');
		// The pending login outlives TMDB's request token (60 minutes) by an hour, so that a late
		// callback is told that the sign-in expired.
		const expires = (pending?.options as { expires: Date }).expires;
		expect(expires.getTime()).toBe(second + 120 * 60_000);
		// The cookie binds the token by its hash; the token itself is not in it.
		const decoded = Buffer.from(pending!.value, 'base64url').toString('utf8');
		expect(decoded).not.toContain(requestToken);
		expect(decoded).toContain(createHash('sha256').update(requestToken).digest('hex'));
	});

	test('R1.2 R1.5 an approved token becomes a TMDB session, a stored user and an app session, back at the return path', async () => {
		const { jar, token, session, returnTo } = await signIn(harness, { returnTo: '/account?tab=1' });
		expect(returnTo).toBe('/account?tab=1');
		expect(jar.store.has('__Host-marquee_login')).toBe(false);
		expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(session.id).toBe(hashSessionToken(token));

		const [user] = await harness.database.sql`SELECT * FROM users`;
		expect(user).toMatchObject({
			username: 'ada',
			name: 'Ada Lovelace',
			tmdb_account_id: '4100001'
		});
		const validated = await harness.services.sessions.validateSessionToken(token);
		expect(validated.user?.username).toBe('ada');
		expect(validated.session?.id).toBe(session.id);
		expect(await countRows(harness)).toEqual({ users: 1, sessions: 1 });
	});

	test('R1.2 signing in again with the same TMDB account reuses the user', async () => {
		await signIn(harness, { username: 'grace' });
		await signIn(harness, { username: 'grace' });
		expect(await countRows(harness)).toEqual({ users: 1, sessions: 2 });
	});

	test('R1.3 a denied approval stores nothing and clears the pending sign-in', async () => {
		const jar = new CookieJar();
		const { requestToken } = await startLogin(harness, jar);
		harness.sandbox.sandbox.decideRequestToken(requestToken, { approve: false });
		await expectLoginError(
			completeTmdbLogin(eventFor(harness, jar, { params: callbackParams(requestToken, 'denied') })),
			'denied'
		);
		expect(jar.store.has('__Host-marquee_login')).toBe(false);
		expect(sessionNewCalls()).toBe(0);
		expect(await countRows(harness)).toEqual({ users: 0, sessions: 0 });
	});

	test('R1.3 R6.5 a forged callback with another token is refused before TMDB is asked', async () => {
		const jar = new CookieJar();
		await startLogin(harness, jar);
		const attacker = await startLogin(harness, new CookieJar());
		harness.sandbox.sandbox.decideRequestToken(attacker.requestToken, {
			approve: true,
			username: 'grace'
		});
		await expectLoginError(
			completeTmdbLogin(eventFor(harness, jar, { params: callbackParams(attacker.requestToken) })),
			'mismatch'
		);
		expect(sessionNewCalls()).toBe(0);
		// The victim's own sign-in in progress is left alone.
		expect(jar.store.has('__Host-marquee_login')).toBe(true);
		expect(await countRows(harness)).toEqual({ users: 0, sessions: 0 });
	});

	test('R1.3 R6.5 a callback in a browser that never started sign-in is refused', async () => {
		const { requestToken } = await startLogin(harness, new CookieJar());
		harness.sandbox.sandbox.decideRequestToken(requestToken, { approve: true, username: 'ada' });
		await expectLoginError(
			completeTmdbLogin(
				eventFor(harness, new CookieJar(), { params: callbackParams(requestToken) })
			),
			'mismatch'
		);
		expect(await countRows(harness)).toEqual({ users: 0, sessions: 0 });
	});

	test.each([
		['no parameters', ''],
		['no token', 'approved=true'],
		['an empty token', 'request_token=&approved=true'],
		['no verdict', 'request_token=TOKEN'],
		['approved=false', 'request_token=TOKEN&approved=false'],
		['two tokens', 'request_token=TOKEN&request_token=TOKEN&approved=true'],
		['approved and denied together', 'request_token=TOKEN&approved=true&denied=true'],
		['a token of the wrong shape', 'request_token=%3Cscript%3E&approved=true'],
		['an oversized token', `request_token=${'a'.repeat(5000)}&approved=true`]
	])('R1.3 a callback with %s stores nothing', async (_case, query) => {
		const jar = new CookieJar();
		const { requestToken } = await startLogin(harness, jar);
		harness.sandbox.sandbox.decideRequestToken(requestToken, { approve: true, username: 'ada' });
		const params = new URLSearchParams(query.replaceAll('TOKEN', requestToken));
		await expectLoginError(
			completeTmdbLogin(eventFor(harness, jar, { params })),
			'invalid_callback'
		);
		expect(sessionNewCalls()).toBe(0);
		expect(await countRows(harness)).toEqual({ users: 0, sessions: 0 });
	});

	test('R1.3 a token that was never approved is refused by TMDB and stores nothing', async () => {
		const jar = new CookieJar();
		const { requestToken } = await startLogin(harness, jar);
		await expectLoginError(
			completeTmdbLogin(eventFor(harness, jar, { params: callbackParams(requestToken) })),
			'not_approved'
		);
		expect(await countRows(harness)).toEqual({ users: 0, sessions: 0 });
	});

	test.each([
		['an hour and a minute ago: past its end by our clock too', 61 * 60_000],
		['59.5 minutes ago: 30 s short of its end by our clock, behind TMDB', 59.5 * 60_000]
	])(
		'R1.3 a token TMDB refuses after its end is named expired (made %s), and stores nothing',
		async (_case, ageMs) => {
			// TMDB refuses an expired token with 17, as an unapproved one: the pending login's own
			// record of the token's end tells them apart, allowing for a minute between clocks.
			const jar = new CookieJar();
			harness.sandbox.sandbox.pinClock(Date.now() - ageMs);
			const { requestToken } = await startLogin(harness, jar);
			harness.sandbox.sandbox.decideRequestToken(requestToken, { approve: true, username: 'ada' });
			harness.sandbox.sandbox.advanceClock(61 * 60_000);
			await expectLoginError(
				completeTmdbLogin(eventFor(harness, jar, { params: callbackParams(requestToken) })),
				'expired'
			);
			expect(sessionNewCalls()).toBe(1);
			expect(await countRows(harness)).toEqual({ users: 0, sessions: 0 });
		}
	);

	test('R1.3 a reused token is named as such without asking TMDB again, and adds nothing', async () => {
		// Replay the callback with this browser's own pending cookie put back (a cached cookie).
		const jar = new CookieJar();
		const { requestToken } = await startLogin(harness, jar);
		const pending = jar.store.get('__Host-marquee_login')!;
		harness.sandbox.sandbox.decideRequestToken(requestToken, { approve: true, username: 'ada' });
		await completeTmdbLogin(eventFor(harness, jar, { params: callbackParams(requestToken) }));
		expect(jar.store.has('__Host-marquee_login')).toBe(false);
		const replayJar = new CookieJar();
		replayJar.set('__Host-marquee_login', pending.value, pending.options);
		await expectLoginError(
			completeTmdbLogin(eventFor(harness, replayJar, { params: callbackParams(requestToken) })),
			'already_used'
		);
		expect(sessionNewCalls()).toBe(1);
		expect(await countRows(harness)).toEqual({ users: 1, sessions: 1 });
	});

	test('R1.3 reloading the callback after a failure TMDB may have acted on (500) says the request was used, without asking TMDB again', async () => {
		const jar = new CookieJar();
		const { requestToken } = await startLogin(harness, jar);
		harness.sandbox.sandbox.decideRequestToken(requestToken, { approve: true, username: 'ada' });
		harness.sandbox.sandbox.injectFault('session/new', {
			kind: 'unavailable',
			httpStatus: 500,
			statusCode: 11
		});
		const callback = () =>
			completeTmdbLogin(eventFor(harness, jar, { params: callbackParams(requestToken) }));
		await expectLoginError(callback(), 'unavailable');
		expect(sessionNewCalls()).toBe(1);
		await expectLoginError(callback(), 'already_used');
		expect(sessionNewCalls()).toBe(1);
		expect(await countRows(harness)).toEqual({ users: 0, sessions: 0 });
	});

	test('R1.3 reloading the callback after TMDB said it did not act (503 code 9: offline) exchanges the token again and signs in', async () => {
		const jar = new CookieJar();
		const { requestToken } = await startLogin(harness, jar);
		harness.sandbox.sandbox.decideRequestToken(requestToken, { approve: true, username: 'ada' });
		// More than the client's attempts within its budget: every one is refused.
		harness.sandbox.sandbox.injectFault('session/new', { kind: 'unavailable', statusCode: 9 }, 50);
		const callback = () =>
			completeTmdbLogin(eventFor(harness, jar, { params: callbackParams(requestToken) }));
		const before = sessionNewCalls();
		await expectLoginError(callback(), 'unavailable');
		const refused = sessionNewCalls();
		// The client itself retried it: TMDB said it did nothing.
		expect(refused - before).toBeGreaterThan(1);
		harness.sandbox.sandbox.clearFaults();
		const completed = await callback();
		expect(completed.kind).toBe('signed_in');
		expect(sessionNewCalls()).toBe(refused + 1);
		expect(await countRows(harness)).toEqual({ users: 1, sessions: 1 });
	});

	test('R1.3 two callbacks at once (a reload while the first runs): one signs in, the other is told the request was used', async () => {
		const jar = new CookieJar();
		const { requestToken } = await startLogin(harness, jar);
		harness.sandbox.sandbox.decideRequestToken(requestToken, { approve: true, username: 'ada' });
		// Each request carries the pending cookie as the browser sent it.
		const pending = jar.store.get('__Host-marquee_login')!;
		const outcomes = await Promise.allSettled(
			[new CookieJar(), new CookieJar()].map((requestJar) => {
				requestJar.set('__Host-marquee_login', pending.value, pending.options);
				return completeTmdbLogin(
					eventFor(harness, requestJar, { params: callbackParams(requestToken) })
				);
			})
		);
		const fulfilled = outcomes.filter((outcome) => outcome.status === 'fulfilled');
		const rejected = outcomes.flatMap((outcome) =>
			outcome.status === 'rejected' ? [outcome.reason as unknown] : []
		);
		expect(fulfilled).toHaveLength(1);
		expect(rejected).toHaveLength(1);
		expect(rejected[0]).toBeInstanceOf(LoginError);
		expect((rejected[0] as LoginError).code).toBe('already_used');
		expect(sessionNewCalls()).toBe(1);
		expect(await countRows(harness)).toEqual({ users: 1, sessions: 1 });
	});

	test('R1.3 reloading a used callback URL while signed in just goes on', async () => {
		const { jar, session, requestToken } = await signIn(harness);
		const outcome = await completeTmdbLogin(
			eventFor(harness, jar, { session: session, params: callbackParams(requestToken) })
		);
		expect(outcome).toEqual({ kind: 'already_signed_in', returnTo: '/' });
		expect(await countRows(harness)).toEqual({ users: 1, sessions: 1 });
	});

	test('R1.4 signing in replaces the session this browser had (no session fixation)', async () => {
		const first = await signIn(harness, { username: 'ada' });
		const jar = new CookieJar();
		const { requestToken } = await startLogin(harness, jar);
		harness.sandbox.sandbox.decideRequestToken(requestToken, { approve: true, username: 'grace' });
		const outcome = await completeTmdbLogin(
			eventFor(harness, jar, { session: first.session, params: callbackParams(requestToken) })
		);
		expect(outcome.kind).toBe('signed_in');
		const ids = await harness.database.sql`SELECT id FROM auth_sessions`;
		expect(ids.map((row) => row.id)).not.toContain(first.session.id);
		expect(ids).toHaveLength(1);
		expect((await harness.services.sessions.validateSessionToken(first.token)).session).toBeNull();
	});

	test('R5.1 R1.3 when loading the account fails, nothing is stored and the new TMDB session is deleted', async () => {
		const jar = new CookieJar();
		const { requestToken } = await startLogin(harness, jar);
		harness.sandbox.sandbox.decideRequestToken(requestToken, { approve: true, username: 'ada' });
		harness.sandbox.sandbox.injectFault('account', { kind: 'unavailable' }, 20);
		await expectLoginError(
			completeTmdbLogin(eventFor(harness, jar, { params: callbackParams(requestToken) })),
			'unavailable'
		);
		expect(await countRows(harness)).toEqual({ users: 0, sessions: 0 });
		const deletes = harness.sandbox.sandbox
			.receivedRequests()
			.filter((request) => request.endpoint === 'session/delete' && request.status === 200);
		expect(deletes).toHaveLength(1);
	});

	test('R5.1 when storing the session fails, no session exists and the TMDB session is deleted', async () => {
		const jar = new CookieJar();
		const { requestToken } = await startLogin(harness, jar);
		harness.sandbox.sandbox.decideRequestToken(requestToken, { approve: true, username: 'ada' });
		// A constraint that rejects every new session makes the insert fail after the user upsert.
		const brokenSql = harness.database.sql;
		await brokenSql`ALTER TABLE auth_sessions ADD CONSTRAINT reject_all CHECK (false) NOT VALID`;
		try {
			const error = await completeTmdbLogin(
				eventFor(harness, jar, { params: callbackParams(requestToken) })
			).catch((caught: unknown) => caught);
			expect(error).toBeInstanceOf(LoginError);
			expect((error as LoginError).code).toBe('failed');
			expect((error as LoginError).details.errorId).toMatch(/^[0-9a-f-]{36}$/);
		} finally {
			await brokenSql`ALTER TABLE auth_sessions DROP CONSTRAINT reject_all`;
		}
		// The user is stored first, on its own: a user without a session signs nobody in.
		expect(await countRows(harness)).toEqual({ users: 1, sessions: 0 });
		const deletes = harness.sandbox.sandbox
			.receivedRequests()
			.filter((request) => request.endpoint === 'session/delete' && request.status === 200);
		expect(deletes).toHaveLength(1);
		// TMDB confirmed at once, so nothing is left in the queue either.
		expect(await harness.database.sql`SELECT 1 FROM tmdb_session_ends`).toHaveLength(0);
	});

	test('R5.3 TMDB rate limiting when starting sign-in gives the rate-limited message', async () => {
		harness.sandbox.sandbox.injectFault(
			'token/new',
			{ kind: 'rate_limited', retryAfterSeconds: 30 },
			5
		);
		const jar = new CookieJar();
		await expectLoginError(startLogin(harness, jar), 'rate_limited');
		expect(jar.store.size).toBe(0);
	});

	test('R6.7 the request token, the TMDB session id, the cookie token and the API key never reach the logs', async () => {
		harness.logs.length = 0;
		const { token, requestToken, session } = await signIn(harness);
		const joined = harness.logs.join('\n');
		expect(joined).toContain('sign_in_completed');
		const tmdbSessionId = tmdbSessionIdOf(session);
		expect(tmdbSessionId).toMatch(/^[0-9a-f]{40}$/);
		for (const secret of [token, requestToken, tmdbSessionId!, API_KEY]) {
			expect(joined).not.toContain(secret);
		}
	});

	test('R6.2 the database holds neither the cookie token nor the TMDB session id in plaintext', async () => {
		const { token, session } = await signIn(harness);
		const tmdbSessionId = tmdbSessionIdOf(session)!;
		const dump = await harness.database.sql`
			SELECT (SELECT json_agg(u)::text FROM users u) || (SELECT json_agg(s)::text FROM auth_sessions s) AS text`;
		const text = dump[0]!.text as string;
		expect(text).toContain(hashSessionToken(token));
		expect(text).not.toContain(token);
		expect(text).not.toContain(tmdbSessionId);
		const [row] = await harness.database.sql`SELECT tmdb_session_id FROM auth_sessions`;
		expect(row!.tmdb_session_id).toMatch(/^v1\./);
	});
});
