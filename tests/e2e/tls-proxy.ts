/**
 * A TLS-terminating proxy in front of the app, as a load balancer or reverse proxy runs it in
 * production: https to the browser, plain http to the app. Its certificate is self-signed for
 * 127.0.0.1, made with the `openssl` command at start (the browser is told to accept it).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';

function selfSignedCertificate(): { key: Buffer; cert: Buffer } {
	const dir = mkdtempSync(path.join(tmpdir(), 'marquee-tls-'));
	try {
		// prettier-ignore
		execFileSync('openssl', [
			'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
			'-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '2',
			'-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'
		], { stdio: 'ignore' });
		return {
			key: readFileSync(path.join(dir, 'key.pem')),
			cert: readFileSync(path.join(dir, 'cert.pem'))
		};
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

/** Listens on 127.0.0.1:`port` with TLS and forwards every request to `targetPort` unchanged. */
export async function startTlsProxy(port: number, targetPort: number): Promise<https.Server> {
	const server = https.createServer(selfSignedCertificate(), (request, response) => {
		const upstream = http.request(
			{
				host: '127.0.0.1',
				port: targetPort,
				method: request.method,
				path: request.url,
				headers: request.headers
			},
			(answer) => {
				response.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
				answer.pipe(response);
			}
		);
		upstream.on('error', () => response.destroy());
		request.pipe(upstream);
	});
	await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
	return server;
}
