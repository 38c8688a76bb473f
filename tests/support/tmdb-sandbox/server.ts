/**
 * The sandbox as a standalone HTTP server for tests (and for running the app against it):
 * TMDB's API, the approval pages and avatars at the root, fault injection on, and the control
 * API under /__sandbox/. node:http requests are converted to `Request` and back.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONTROL_PREFIX, handleControlRequest } from './control-api.ts';
import { shouldResetConnection } from './faults.ts';
import { createTestSandbox, type TestSandbox } from './sandbox.ts';

export type SandboxServer = { url: string; sandbox: TestSandbox; stop(): Promise<void> };

export type SandboxServerOptions = {
	/** 0 picks a free port. */
	port?: number;
	host?: string;
	credentials: string[];
	now?: () => number;
};

const MAX_BODY_BYTES = 64 * 1024;

export async function startSandboxServer(options: SandboxServerOptions): Promise<SandboxServer> {
	const sandbox = createTestSandbox({ credentials: options.credentials, now: options.now });
	const host = options.host ?? '127.0.0.1';
	const server = createServer((incoming, outgoing) => {
		serve(sandbox, incoming, outgoing).catch(() => {
			if (!outgoing.headersSent) outgoing.writeHead(500).end();
			else outgoing.destroy();
		});
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port ?? 0, host, () => resolve());
	});
	const { port } = server.address() as AddressInfo;
	const urlHost = host.includes(':') ? `[${host}]` : host;
	return {
		url: `http://${urlHost}:${port}`,
		sandbox,
		stop: () =>
			new Promise<void>((resolve, reject) => {
				server.close((error) => (error ? reject(error) : resolve()));
				// Hanging requests would otherwise keep close() waiting for ever.
				server.closeAllConnections();
			})
	};
}

async function serve(
	sandbox: TestSandbox,
	incoming: IncomingMessage,
	outgoing: ServerResponse
): Promise<void> {
	const body = await readBody(incoming);
	if (body === 'too_large') {
		outgoing.writeHead(413, { 'content-type': 'text/plain', connection: 'close' }).end('Too large');
		return;
	}
	const aborted = new AbortController();
	outgoing.on('close', () => {
		if (!outgoing.writableFinished) aborted.abort();
	});
	const request = toRequest(incoming, body, aborted.signal);
	const pathname = new URL(request.url).pathname;
	const response = pathname.startsWith(CONTROL_PREFIX)
		? await handleControlRequest(sandbox, request, pathname)
		: await sandbox.handle(request);
	if (shouldResetConnection(response)) {
		incoming.socket.destroy();
		return;
	}
	if (aborted.signal.aborted) return;
	const headers: Record<string, string> = {};
	response.headers.forEach((value, name) => {
		headers[name] = value;
	});
	outgoing.writeHead(response.status, headers);
	outgoing.end(Buffer.from(await response.arrayBuffer()));
}

async function readBody(incoming: IncomingMessage): Promise<Buffer | null | 'too_large'> {
	if (incoming.method === 'GET' || incoming.method === 'HEAD') return null;
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of incoming) {
		size += (chunk as Buffer).length;
		if (size > MAX_BODY_BYTES) return 'too_large';
		chunks.push(chunk as Buffer);
	}
	return Buffer.concat(chunks);
}

function toRequest(incoming: IncomingMessage, body: Buffer | null, signal: AbortSignal): Request {
	const headers = new Headers();
	for (const [name, value] of Object.entries(incoming.headers)) {
		if (value === undefined) continue;
		for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
	}
	const url = new URL(incoming.url ?? '/', `http://${incoming.headers.host ?? 'localhost'}`);
	return new Request(url, {
		method: incoming.method,
		headers,
		body: body === null ? null : new Uint8Array(body),
		signal
	});
}
