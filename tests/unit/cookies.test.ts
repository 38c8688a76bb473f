import type { Cookies } from '@sveltejs/kit';
import { describe, expect, test } from 'vitest';
import {
	LOGIN_COOKIE_GRACE_MS,
	readPendingLoginCookie,
	setPendingLoginCookie
} from '../../src/lib/server/auth/login.ts';
import {
	deleteSessionCookie,
	readSessionCookie,
	setSessionCookie,
	type CookieEvent
} from '../../src/lib/server/auth/sessions.ts';

type Recorded = { name: string; value: string; options: object };

/** A request on `origin` whose cookie jar records what would be sent. */
function recordingRequest(origin = 'https://marquee.test') {
	const set: Recorded[] = [];
	const deleted: Recorded[] = [];
	const cookies: Pick<Cookies, 'get' | 'set' | 'delete'> = {
		get: (name) => set.find((cookie) => cookie.name === name)?.value,
		set: (name, value, options) => void set.push({ name, value, options }),
		delete: (name, options) => void deleted.push({ name, value: '', options })
	};
	const event = { url: new URL(`${origin}/`), cookies } as unknown as CookieEvent;
	return { event, set, deleted };
}

const expires = new Date('2030-01-01T00:00:00Z');

describe('R6.1 the session cookie', () => {
	test('over https: __Host- prefix, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain, persistent', () => {
		const { event, set } = recordingRequest();
		setSessionCookie(event, 'token', expires);
		expect(set).toEqual([
			{
				name: '__Host-marquee_session',
				value: 'token',
				options: { path: '/', httpOnly: true, sameSite: 'lax', secure: true, expires }
			}
		]);
		expect(readSessionCookie(event)).toBe('token');
		// The same jar read over plain http looks for the unprefixed name.
		expect(readSessionCookie({ ...event, url: new URL('http://marquee.test/') })).toBeNull();
	});

	test('over plain http (development, loopback): no prefix and not Secure, which browsers would drop', () => {
		const { event, set } = recordingRequest('http://127.0.0.1:5173');
		setSessionCookie(event, 'token', expires);
		expect(set[0]).toMatchObject({
			name: 'marquee_session',
			options: { secure: false, httpOnly: true }
		});
	});

	test('clearing uses the same name and attributes, so the browser really drops it', () => {
		const { event, deleted } = recordingRequest();
		deleteSessionCookie(event);
		expect(deleted).toEqual([
			{
				name: '__Host-marquee_session',
				value: '',
				options: { path: '/', httpOnly: true, sameSite: 'lax', secure: true }
			}
		]);
	});
});

describe('R6.5 the pending-login cookie', () => {
	const keys = [Buffer.alloc(32, 1)];
	const login = {
		tokenHash: 'ab'.repeat(32),
		returnTo: '/account',
		expiresAt: new Date(Date.now() + 3_600_000)
	};

	test('reads back what it wrote, and is refused under another key', () => {
		const { event } = recordingRequest();
		setPendingLoginCookie(event, keys, login);
		expect(readPendingLoginCookie(event, keys, new Date())).toEqual(login);
		expect(readPendingLoginCookie(event, [Buffer.alloc(32, 2)], new Date())).toBeNull();
	});

	test('R1.3 outlives its token by the grace, so that the callback can name the token expired', () => {
		const { event, set } = recordingRequest();
		setPendingLoginCookie(event, keys, login);
		const end = login.expiresAt.getTime();
		expect((set[0]!.options as { expires: Date }).expires.getTime()).toBe(
			end + LOGIN_COOKIE_GRACE_MS
		);
		expect(readPendingLoginCookie(event, keys, new Date(end + 1_000))).toEqual(login);
		expect(readPendingLoginCookie(event, keys, new Date(end + LOGIN_COOKIE_GRACE_MS))).toBeNull();
	});

	test('survives key rotation: signed with the old key, read with the new key first', () => {
		const { event } = recordingRequest();
		setPendingLoginCookie(event, keys, login);
		expect(readPendingLoginCookie(event, [Buffer.alloc(32, 2), ...keys], new Date())).toEqual(
			login
		);
	});

	test('any change to its payload or its MAC is refused', () => {
		const { event, set } = recordingRequest();
		setPendingLoginCookie(event, keys, login);
		const value = set[0]!.value;
		for (let index = 0; index < value.length; index++) {
			if (value[index] === '.') continue;
			// A and B differ only in the lowest bit, which base64url's last character may not carry.
			const changed =
				value.slice(0, index) + (value[index] === 'A' ? 'B' : 'A') + value.slice(index + 1);
			const tampered = recordingRequest();
			tampered.event.cookies.set('__Host-marquee_login', changed, { path: '/' });
			expect(readPendingLoginCookie(tampered.event, keys, new Date())).toBeNull();
		}
	});
});
