/**
 * A throwaway self-signed certificate for 127.0.0.1, made in-process (no `openssl` command, which
 * a fresh machine may not have): for the e2e suite's TLS proxy and PgBouncer's client TLS.
 */
import { generate } from 'selfsigned';

export async function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
	const now = Date.now();
	const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
		keyType: 'ec',
		curve: 'P-256',
		algorithm: 'sha256',
		notBeforeDate: new Date(now - 60_000),
		notAfterDate: new Date(now + 2 * 24 * 60 * 60_000),
		extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }]
	});
	return { key: pems.private, cert: pems.cert };
}
