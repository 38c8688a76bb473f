/**
 * What SESSION_ENCRYPTION_KEYS protect, whole: the TMDB session id sealed at rest, and the MACs
 * of the pending-login cookie and of rate-limit clients. The first key seals and signs; every
 * configured key opens and verifies, so keys rotate by putting a new one first.
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

// --- Sealing: AES-256-GCM with a random 96-bit nonce. The ciphertext names its key (a short
// fingerprint). Format: `v1.<key id>.<nonce>.<ciphertext><tag>` with base64url parts. ---

const SEAL_VERSION = 'v1';
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
	return [SEAL_VERSION, keyId(key), nonce.toString('base64url'), sealed.toString('base64url')].join(
		'.'
	);
}

/** The plaintext, or null when the value is malformed, tampered with, or sealed by an unknown key. */
export function decryptSecret(sealedValue: string, keys: readonly Buffer[]): string | null {
	const [version, id, nonceText, sealedText, ...rest] = sealedValue.split('.');
	if (version !== SEAL_VERSION || !id || !nonceText || !sealedText || rest.length > 0) return null;
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

// --- MACs: HMAC-SHA-256 under a key derived with HKDF for one purpose, so no two uses share a
// key, and knowing a leaked request token is not enough to build the pending-login cookie. ---

const macKeys = new WeakMap<Buffer, Record<string, Buffer>>();

export function macOf(value: string, key: Buffer, purpose = 'cookie mac'): string {
	let derived = macKeys.get(key);
	if (!derived) macKeys.set(key, (derived = {}));
	derived[purpose] ??= Buffer.from(
		hkdfSync('sha256', key, Buffer.alloc(0), `marquee ${purpose} v1`, 32)
	);
	return createHmac('sha256', derived[purpose]).update(value).digest('base64url');
}

/** `<value>.<mac>`; the value must not contain a dot (base64url never does). */
export function signValue(value: string, keys: readonly Buffer[]): string {
	return `${value}.${macOf(value, keys[0]!)}`;
}

/** The value when some configured key signed it, otherwise null. */
export function verifySignedValue(signed: string, keys: readonly Buffer[]): string | null {
	const [value, mac, ...rest] = signed.split('.');
	if (!value || !mac || rest.length > 0) return null;
	// Compared as text: base64url decoding ignores trailing bits, so two spellings decode alike.
	const presented = Buffer.from(mac);
	const valid = keys.some((key) => {
		const expected = Buffer.from(macOf(value, key));
		return presented.length === expected.length && timingSafeEqual(presented, expected);
	});
	return valid ? value : null;
}
