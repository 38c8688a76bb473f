import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { signValue } from '../../src/lib/server/auth/keys.ts';
import { LOGIN_COOKIE_GRACE_MS, readPendingLoginCookie } from '../../src/lib/server/auth/login.ts';
import { safeReturnPath } from '../../src/lib/server/auth/return-path.ts';
import {
	isWellFormedSessionToken,
	readSessionCookie,
	type CookieEvent
} from '../../src/lib/server/auth/sessions.ts';

const BASE = 'https://marquee.test';
const KEYS = [Buffer.alloc(32, 7)];

/** A plain-http request (no `__Host-` names) that carries one cookie. */
function requestWith(name: string, value: string): CookieEvent {
	return {
		url: new URL('http://127.0.0.1/'),
		cookies: { get: (asked: string) => (asked === name ? value : undefined) }
	} as unknown as CookieEvent;
}

/** Strings that look like what attackers send: path pieces, slashes, encodings, schemes. */
const hostilePath = fc
	.array(
		fc.oneof(
			fc.constantFrom(
				'/',
				'//',
				'\\',
				'%2F',
				'%2f',
				'%5C',
				'%09',
				'%0a',
				'\t',
				'\n',
				'@',
				':',
				'.',
				'..',
				'?',
				'#'
			),
			fc.constantFrom('javascript:', 'http:', 'https://', 'evil.example', 'data:', 'JaVaScRiPt:'),
			fc.string({ maxLength: 8 }),
			fc.string({ unit: 'grapheme', maxLength: 4 })
		),
		{ maxLength: 12 }
	)
	.map((parts) => parts.join(''));

describe('R1.5 R6.5 properties of the return-path check', () => {
	test('whatever comes in, what comes out stays on our origin', () => {
		fc.assert(
			fc.property(fc.oneof(hostilePath, fc.string(), fc.webUrl(), fc.webPath()), (input) => {
				const output = safeReturnPath(input);
				expect(output.startsWith('/')).toBe(true);
				expect(output.startsWith('//')).toBe(false);
				// eslint-disable-next-line no-control-regex -- control characters are what must not come out
				expect(output).not.toMatch(/[\\\u0000-\u001f]/);
				expect(new URL(output, BASE).origin).toBe(BASE);
			}),
			{ numRuns: 5_000 }
		);
	});

	test('a plain same-origin path is kept as it is', () => {
		const segment = fc.stringMatching(/^[a-z0-9-]{1,12}$/);
		fc.assert(
			fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), (segments) => {
				const candidate = `/${segments.join('/')}`;
				fc.pre(!/^\/auth\//.test(candidate));
				expect(safeReturnPath(candidate)).toBe(candidate);
			})
		);
	});

	test('the check is idempotent', () => {
		fc.assert(
			fc.property(fc.oneof(hostilePath, fc.string()), (input) => {
				const once = safeReturnPath(input);
				expect(safeReturnPath(once)).toBe(once);
			})
		);
	});
});

describe('R4.3 properties of cookie parsing', () => {
	test('the pending-login cookie parser never throws and accepts only what it wrote', () => {
		fc.assert(
			fc.property(
				fc.oneof(fc.string(), fc.base64String(), fc.string({ maxLength: 5000 })),
				(value) => {
					const parsed = readPendingLoginCookie(
						requestWith('marquee_login', value),
						KEYS,
						new Date()
					);
					if (parsed) {
						expect(parsed.tokenHash).toMatch(/^[0-9a-f]{64}$/);
						expect(parsed.expiresAt.getTime() + LOGIN_COOKIE_GRACE_MS).toBeGreaterThan(Date.now());
					}
				}
			),
			{ numRuns: 2_000 }
		);
	});

	test('a signed base64url JSON of the wrong shape is refused', () => {
		const encode = (value: unknown) =>
			signValue(Buffer.from(JSON.stringify(value)).toString('base64url'), KEYS);
		fc.assert(
			fc.property(fc.jsonValue(), (value) => {
				const request = requestWith('marquee_login', encode(value));
				const parsed = readPendingLoginCookie(request, KEYS, new Date());
				if (parsed) expect(parsed.tokenHash).toMatch(/^[0-9a-f]{64}$/);
			})
		);
	});

	test('only 43-character base64url session tokens are ever looked up', () => {
		fc.assert(
			fc.property(fc.string({ maxLength: 100 }), (value) => {
				expect(isWellFormedSessionToken(value)).toBe(/^[A-Za-z0-9_-]{43}$/.test(value));
				expect(readSessionCookie(requestWith('marquee_session', value))).toBe(value);
			})
		);
	});
});
