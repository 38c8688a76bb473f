/**
 * Starts the standalone TMDB sandbox:
 *   npx tsx tests/support/tmdb-sandbox/cli.ts --port 5999 --api-key KEY [--api-key KEY2] [--host 127.0.0.1]
 * Without --api-key it accepts the app's built-in sandbox key. Point the app at it with
 * TMDB_API_URL and TMDB_WEB_URL set to the printed URL, TMDB_IMAGE_URL to that URL plus /t/p,
 * and TMDB_SANDBOX=false (docs/tmdb.md).
 */
import { parseArgs } from 'node:util';
import { SANDBOX_API_KEY } from '../../../src/lib/server/config.ts';
import { startSandboxServer } from './server.ts';

const { values } = parseArgs({
	options: {
		port: { type: 'string', default: '5999' },
		host: { type: 'string', default: '127.0.0.1' },
		'api-key': { type: 'string', multiple: true }
	}
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
	console.error(`--port: expected a port number from 0 to 65535, got "${values.port}"`);
	process.exit(2);
}

const server = await startSandboxServer({
	port,
	host: values.host,
	credentials: values['api-key'] ?? [SANDBOX_API_KEY]
});
console.log(`Marquee TMDB sandbox listening on ${server.url}`);
console.log(
	`Control API: ${server.url}/__sandbox/ (faults, release, revoke, decide, clock, requests, reset)`
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.once(signal, () => {
		server.stop().then(
			() => process.exit(0),
			() => process.exit(1)
		);
	});
}
