import { describe, expect, test } from 'vitest';
import {
	deleteSessionCookie,
	readPendingLoginCookie,
	readSessionCookie,
	setPendingLoginCookie,
	setSessionCookie,
	type CookieJar
} from '../../src/lib/server/auth/cookies.ts';

type Recorded = { name: string; value: string; options: object };

function recordingJar() {
	const set: Recorded[] = [];
	const deleted: Recorded[] = [];
	const jar: CookieJar = {
		get: (name) => set.find((cookie) => cookie.name === name)?.value,
		set: (name, value, options) => void set.push({ name, value, options }),
		delete: (name, options) => void deleted.push({ name, value: '', options })
	};
	return { jar, set, deleted };
}

const expires = new Date('2030-01-01T00:00:00Z');

describe('R6.1 the session cookie', () => {
	test('over https: __Host- prefix, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain, persistent', () => {
		const { jar, set } = recordingJar();
		setSessionCookie(jar, true, 'token', expires);
		expect(set).toEqual([
			{
				name: '__Host-marquee_session',
				value: 'token',
				options: { path: '/', httpOnly: true, sameSite: 'lax', secure: true, expires }
			}
		]);
		expect(readSessionCookie(jar, true)).toBe('token');
		expect(readSessionCookie(jar, false)).toBeNull();
	});

	test('over plain http (development, loopback): no prefix and not Secure, which browsers would drop', () => {
		const { jar, set } = recordingJar();
		setSessionCookie(jar, false, 'token', expires);
		expect(set[0]).toMatchObject({
			name: 'marquee_session',
			options: { secure: false, httpOnly: true }
		});
	});

	test('clearing uses the same name and attributes, so the browser really drops it', () => {
		const { jar, deleted } = recordingJar();
		deleteSessionCookie(jar, true);
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
		const { jar } = recordingJar();
		setPendingLoginCookie(jar, true, keys, login);
		expect(readPendingLoginCookie(jar, true, keys, new Date())).toEqual(login);
		expect(readPendingLoginCookie(jar, true, [Buffer.alloc(32, 2)], new Date())).toBeNull();
	});

	test('survives key rotation: signed with the old key, read with the new key first', () => {
		const { jar } = recordingJar();
		setPendingLoginCookie(jar, true, keys, login);
		expect(readPendingLoginCookie(jar, true, [Buffer.alloc(32, 2), ...keys], new Date())).toEqual(
			login
		);
	});

	test('any change to its payload or its MAC is refused', () => {
		const { jar, set } = recordingJar();
		setPendingLoginCookie(jar, true, keys, login);
		const value = set[0]!.value;
		for (let index = 0; index < value.length; index++) {
			if (value[index] === '.') continue;
			// A and B differ only in the lowest bit, which base64url's last character may not carry.
			const changed =
				value.slice(0, index) + (value[index] === 'A' ? 'B' : 'A') + value.slice(index + 1);
			const tampered = recordingJar();
			tampered.jar.set('__Host-marquee_login', changed, { path: '/' });
			expect(readPendingLoginCookie(tampered.jar, true, keys, new Date())).toBeNull();
		}
	});
});
