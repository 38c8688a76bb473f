import { describe, expect, test } from 'vitest';
import { completeTmdbLogin, LoginError } from '../../../src/lib/server/auth/login.ts';
import { signOut } from '../../../src/lib/server/auth/sign-out.ts';
import {
	callbackParams,
	eventFor,
	CookieJar,
	countRows,
	signIn,
	startLogin,
	useHarness
} from '../../helpers/auth-harness.ts';
import { RECORDED } from '../../support/tmdb-reference-examples.ts';

const harness = useHarness();

/** Faults that outlast the client's retries (budget 1.5 s, timeout 1 s in the harness). */
const FAULTS = [
	['503', { kind: 'unavailable' }, 'unavailable'],
	['429 with Retry-After', { kind: 'rate_limited', retryAfterSeconds: 30 }, 'rate_limited'],
	['429 without Retry-After', { kind: 'rate_limited' }, 'rate_limited'],
	['a timeout', { kind: 'hang', delayMs: 3_000 }, 'unavailable'],
	['a reset connection', { kind: 'reset' }, 'unavailable'],
	['malformed JSON', { kind: 'malformed_json' }, 'unavailable'],
	['a CDN block (403 HTML)', { kind: 'reply', ...RECORDED.cloudFrontBlocked }, 'unavailable']
] as const;

function liveDeletes() {
	return harness.sandbox.sandbox
		.receivedRequests()
		.filter((request) => request.endpoint === 'session/delete' && request.status === 200).length;
}

async function loginError(promise: Promise<unknown>): Promise<LoginError> {
	const error = await promise.then(
		() => null,
		(caught: unknown) => caught
	);
	expect(error).toBeInstanceOf(LoginError);
	return error as LoginError;
}

describe('R5.1 R5.4 TMDB faults at every step of the handshake', () => {
	test.each(FAULTS)('creating the request token: %s', async (_name, fault, code) => {
		harness.sandbox.sandbox.injectFault('token/new', fault, 20);
		const jar = new CookieJar();
		expect((await loginError(startLogin(harness, jar))).code).toBe(code);
		expect(jar.store.size).toBe(0);
		expect(await countRows(harness)).toEqual({ users: 0, sessions: 0 });
	});

	test.each(FAULTS)('creating the TMDB session: %s', async (_name, fault, code) => {
		const jar = new CookieJar();
		const { requestToken } = await startLogin(harness, jar);
		harness.sandbox.sandbox.decideRequestToken(requestToken, { approve: true, username: 'ada' });
		harness.sandbox.sandbox.injectFault('session/new', fault, 20);
		const error = await loginError(
			completeTmdbLogin(eventFor(harness, jar, { params: callbackParams(requestToken) }))
		);
		expect(error.code).toBe(code);
		expect(await countRows(harness)).toEqual({ users: 0, sessions: 0 });
	});

	test.each(FAULTS)(
		'loading the account: %s, and the new TMDB session is deleted',
		async (_name, fault, code) => {
			const jar = new CookieJar();
			const { requestToken } = await startLogin(harness, jar);
			harness.sandbox.sandbox.decideRequestToken(requestToken, { approve: true, username: 'ada' });
			harness.sandbox.sandbox.injectFault('account', fault, 20);
			const error = await loginError(
				completeTmdbLogin(eventFor(harness, jar, { params: callbackParams(requestToken) }))
			);
			expect(error.code).toBe(code);
			expect(await countRows(harness)).toEqual({ users: 0, sessions: 0 });
			expect(liveDeletes()).toBe(1);
		}
	);

	test.each(FAULTS)(
		'R3.1 deleting the TMDB session at sign-out: %s, and the person is signed out anyway',
		async (_name, fault) => {
			const { token, session } = await signIn(harness);
			harness.sandbox.sandbox.injectFault('session/delete', fault, 20);
			const jar = new CookieJar();
			jar.set('__Host-marquee_session', token, { path: '/' });
			await signOut(eventFor(harness, jar, { session }));
			expect(jar.store.size).toBe(0);
			expect((await harness.services.sessions.validateSessionToken(token)).session).toBeNull();
			expect(await countRows(harness)).toEqual({ users: 1, sessions: 0 });
		}
	);
});
