import { describe, expect, test } from 'vitest';
import {
	deleteSessionCookie,
	readSessionCookie,
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
