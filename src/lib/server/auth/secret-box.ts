/**
 * Authenticated encryption of the TMDB session id at rest (R6.2): AES-256-GCM with a random
 * 96-bit nonce. The ciphertext names its key (a short fingerprint), so keys can be rotated:
 * the first configured key encrypts, every configured key decrypts.
 *
 * Format: `v1.<key id>.<nonce>.<ciphertext><tag>` with base64url parts.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export function keyId(key: Buffer): string {
	return createHash('sha256').update(key).digest('base64url').slice(0, 8);
}

export function encryptSecret(plaintext: string, keys: readonly Buffer[]): string {
	const key = keys[0];
	if (!key) throw new Error('No encryption key configured');
	const nonce = randomBytes(NONCE_BYTES);
	const cipher = createCipheriv('aes-256-gcm', key, nonce);
	const sealed = Buffer.concat([
		cipher.update(plaintext, 'utf8'),
		cipher.final(),
		cipher.getAuthTag()
	]);
	return [VERSION, keyId(key), nonce.toString('base64url'), sealed.toString('base64url')].join('.');
}

/** The plaintext, or null when the value is malformed, tampered with, or sealed by an unknown key. */
export function decryptSecret(sealedValue: string, keys: readonly Buffer[]): string | null {
	const [version, id, nonceText, sealedText, ...rest] = sealedValue.split('.');
	if (version !== VERSION || !id || !nonceText || !sealedText || rest.length > 0) return null;
	const key = keys.find((candidate) => keyId(candidate) === id);
	if (!key) return null;
	const nonce = Buffer.from(nonceText, 'base64url');
	const sealed = Buffer.from(sealedText, 'base64url');
	if (nonce.length !== NONCE_BYTES || sealed.length <= TAG_BYTES) return null;
	try {
		const decipher = createDecipheriv('aes-256-gcm', key, nonce);
		decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
		return Buffer.concat([
			decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)),
			decipher.final()
		]).toString('utf8');
	} catch {
		return null;
	}
}
