/**
 * The production server, built into `build/index.js` in place of adapter-node's entry
 * (svelte.config.js): adapter-node's own request handler (static files, then SvelteKit) in a Node
 * HTTP server that adds what adapter-node's entry cannot (it creates its server without options
 * and starts listening as it loads):
 * - the security headers on every response, static files and SvelteKit's own refusals included;
 * - bounded header and request times, checked every second, so a client trickling its request
 *   holds a connection for `REQUEST_TIMEOUT` seconds, not Node's five minutes;
 * - one JSON log line when it listens, so every line on stdout is JSON.
 * Shutdown is adapter-node's: on SIGTERM or SIGINT stop accepting, let requests in flight finish
 * (closing their connections after `SHUTDOWN_TIMEOUT`), then emit `sveltekit:shutdown`, which
 * startup.ts answers by stopping the cleanup job and closing the pool.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { loadConfig } from './config.ts';
import { log } from './log.ts';
import { securityHeaders } from './security/headers.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

// Loading the handler starts the app (`init` in hooks.server.ts): a bad configuration or an
// unreachable database stops the process here, before it listens.
const handlerModule = new URL('handler.js', import.meta.url).href;
const { handler } = (await import(/* @vite-ignore */ handlerModule)) as { handler: Handler };
const { production, origin, server: settings } = loadConfig(process.env, { dev: false });
/** A path to an .ico file, query or not: tested on every request, so no split. */
const ICON_PATH = /^[^?]*\.ico(?:\?|$)/;

/** Whether a request came over https, as adapter-node decides it: ORIGIN, else PROTOCOL_HEADER. */
function isHttps(req: IncomingMessage): boolean {
	if (origin) return origin.startsWith('https:');
	if (!settings.protocolHeader) return true;
	return req.headers[settings.protocolHeader] === 'https';
}

const server = createServer(
	{
		requestTimeout: settings.requestTimeoutMs,
		headersTimeout: settings.headersTimeoutMs,
		connectionsCheckingInterval: 1_000,
		...(settings.keepAliveTimeoutMs && { keepAliveTimeout: settings.keepAliveTimeoutMs })
	},
	(req, res) => {
		for (const [name, value] of Object.entries(securityHeaders(production && isHttps(req)))) {
			res.setHeader(name, value);
		}
		// adapter-node's static files (sirv) know no type for .ico and would send an empty one;
		// sirv keeps a type set before it.
		if (ICON_PATH.test(req.url ?? '')) res.setHeader('content-type', 'image/x-icon');
		handler(req, res, () => {
			res.statusCode = 404;
			res.end('Not found');
		});
	}
);

let shuttingDown = false;
function shutDown(reason: NodeJS.Signals): void {
	if (shuttingDown) return;
	shuttingDown = true;
	// Keep-alive connections would hold `close` open until they time out.
	server.closeIdleConnections();
	const forceClose = setTimeout(() => server.closeAllConnections(), settings.shutdownTimeoutMs);
	server.close(() => {
		clearTimeout(forceClose);
		// @ts-expect-error adapter-node's custom event (startup.ts listens), which Node's types do not know
		process.emit('sveltekit:shutdown', reason);
	});
}
server.on('request', (req: IncomingMessage) => {
	// Once shutting down, a connection closes as soon as its request is answered.
	req.on('close', () => shuttingDown && server.closeIdleConnections());
});
process.on('SIGTERM', shutDown);
process.on('SIGINT', shutDown);

// Only while binding: a port in use (or a host that is not this machine's) stops the server
// with a line naming it, as a bad configuration does, not with a stack.
const refuseToListen = (error: NodeJS.ErrnoException) => {
	const where = `${settings.host}:${settings.port}`;
	log.fatal(
		{ event: 'listen_failed', code: error.code, host: settings.host, port: settings.port },
		'cannot listen'
	);
	console.error(
		`Marquee cannot start: cannot listen on ${where} (${error.code}${error.code === 'EADDRINUSE' ? ': another process uses that port; set PORT or HOST' : ''})`
	);
	process.exit(1);
};
server.once('error', refuseToListen);
server.listen({ host: settings.host, port: settings.port }, () => {
	server.off('error', refuseToListen);
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : settings.port;
	log.info({ event: 'listening', host: settings.host, port }, 'listening');
});
