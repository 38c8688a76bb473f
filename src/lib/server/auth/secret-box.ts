/**
 * Authenticated encryption of the TMDB session id at rest (R6.2): AES-256-GCM with a random
 * 96-bit nonce. The ciphertext names its key (a short fingerprint), so keys can be rotated:
 * the first configured key encrypts, every configured key decrypts.
 *
 * Format: `v1.<key id>.<nonce>.<ciphertext><tag>` with base64url parts.
 */
import {
	createCipheriv,
	createDecipheriv,
	createHash,
	createHmac,
	hkdfSync,
	randomBytes,
	timingSafeEqual
} from 'node:crypto';

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

/**
 * MACs for values the browser holds but must not be able to forge (the pending-login cookie).
 * The MAC key is derived from each encryption key with HKDF, so one configured secret serves
 * both purposes without one key ever doing two jobs, and rotation works the same way: the first
 * key signs, every configured key verifies.
 */
const macKeys = new WeakMap<Buffer, Buffer>();

function macKeyOf(key: Buffer): Buffer {
	let derived = macKeys.get(key);
	if (!derived) {
		derived = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'marquee cookie mac v1', 32));
		macKeys.set(key, derived);
	}
	return derived;
}

const macOf = (value: string, key: Buffer) =>
	createHmac('sha256', macKeyOf(key)).update(value).digest('base64url');

/** `<value>.<mac>`; the value must not contain a dot (base64url never does). */
export function signValue(value: string, keys: readonly Buffer[]): string {
	const key = keys[0];
	if (!key) throw new Error('No encryption key configured');
	return `${value}.${macOf(value, key)}`;
}

/** The value when some configured key signed it, otherwise null. */
export function verifySignedValue(signed: string, keys: readonly Buffer[]): string | null {
	const [value, macText, ...rest] = signed.split('.');
	if (!value || !macText || rest.length > 0) return null;
	// Compared as text: base64url decoding ignores trailing bits, so two spellings decode alike.
	const mac = Buffer.from(macText);
	const valid = keys.some((key) => {
		const expected = Buffer.from(macOf(value, key));
		return mac.length === expected.length && timingSafeEqual(mac, expected);
	});
	return valid ? value : null;
}
