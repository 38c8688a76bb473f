import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { decryptSecret, encryptSecret, keyId } from '../../src/lib/server/auth/keys.ts';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const secret = '8e1f0c7a2b6d4e9f8a7b6c5d4e3f2a1b0c9d8e7f';

describe('R6.2 the TMDB session id sealed at rest', () => {
	test('round-trips and names the key that sealed it', () => {
		const sealed = encryptSecret(secret, [keyA]);
		expect(sealed.split('.')[1]).toBe(keyId(keyA));
		expect(sealed).not.toContain(secret);
		expect(decryptSecret(sealed, [keyA])).toBe(secret);
	});

	test('a random nonce makes every sealing different', () => {
		expect(encryptSecret(secret, [keyA])).not.toBe(encryptSecret(secret, [keyA]));
	});

	test('rotation: the first key seals, any configured key opens', () => {
		const old = encryptSecret(secret, [keyA]);
		const rotated = [keyB, keyA];
		expect(decryptSecret(old, rotated)).toBe(secret);
		const fresh = encryptSecret(secret, rotated);
		expect(fresh.split('.')[1]).toBe(keyId(keyB));
		expect(decryptSecret(fresh, [keyA])).toBeNull();
	});

	test.each([
		[
			'a tampered ciphertext',
			(value: string) => value.slice(0, -4) + (value.endsWith('AAAA') ? 'BBBB' : 'AAAA')
		],
		[
			'a tampered nonce',
			(value: string) =>
				value.replace(/^(v1\.[^.]+\.)./, '$1' + (value.split('.')[2]![0] === 'A' ? 'B' : 'A'))
		],
		['an unknown version', (value: string) => value.replace(/^v1/, 'v9')],
		['a missing part', (value: string) => value.split('.').slice(0, 3).join('.')],
		['an extra part', (value: string) => `${value}.x`],
		['plaintext', () => secret],
		['an empty value', () => '']
	])('%s opens to null, never throws', (_case, mangle) => {
		expect(decryptSecret(mangle(encryptSecret(secret, [keyA])), [keyA])).toBeNull();
	});
});
