/**
 * A TLS-terminating proxy in front of the app, as a load balancer or reverse proxy runs it in
 * production: https to the browser, plain http to the app. Its certificate is self-signed for
 * 127.0.0.1, made in-process at start (the browser is told to accept it).
 */
import http from 'node:http';
import https from 'node:https';
import { selfSignedCertificate } from '../helpers/certificate.ts';

/** Listens on 127.0.0.1:`port` with TLS and forwards every request to `targetPort` unchanged. */
export async function startTlsProxy(port: number, targetPort: number): Promise<https.Server> {
	const server = https.createServer(await selfSignedCertificate(), (request, response) => {
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
