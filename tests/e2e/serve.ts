/**
 * Serves the built app for the e2e suite the way production runs it: `node build` with
 * NODE_ENV=production, a fresh database (TEST_DATABASE_URL's server, or the embedded one) and
 * the standalone TMDB sandbox on a loopback port standing in for TMDB, so tests can inject
 * faults through its control API. Playwright starts and stops this script.
 *
 * With the argument `in-app-sandbox` it serves the built app in sandbox mode instead
 * (TMDB_SANDBOX=true, no TMDB credential): TMDB is the app's own in-app sandbox, on the app's
 * origin, as a new user meets it. With `https`, the same behind a TLS-terminating proxy, as
 * production runs it: Secure, `__Host-` cookies and HSTS, in a real browser.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync } from 'node:fs';
import { startSandboxServer } from '../support/tmdb-sandbox/server.ts';
import { createTestDatabase, databaseEnv } from '../helpers/database.ts';
import {
	SERVER_LOG_DIR,
	serverLogFile,
	APP_PORT,
	APP_URL,
	BEHIND_PROXY_PORT,
	E2E_TMDB_API_KEY,
	HTTPS_PORT,
	HTTPS_URL,
	IN_APP_SANDBOX_PORT,
	IN_APP_SANDBOX_URL,
	SANDBOX_PORT,
	SANDBOX_URL
} from './ports.ts';
import { startTlsProxy } from './tls-proxy.ts';

const mode = process.argv[2];
const behindTls = mode === 'https';
const inAppSandbox = mode === 'in-app-sandbox' || behindTls;
const [port, origin] = behindTls
	? [BEHIND_PROXY_PORT, HTTPS_URL]
	: inAppSandbox
		? [IN_APP_SANDBOX_PORT, IN_APP_SANDBOX_URL]
		: [APP_PORT, APP_URL];
const database = await createTestDatabase({ migrated: false });
const sandbox = inAppSandbox
	? null
	: await startSandboxServer({ port: SANDBOX_PORT, credentials: [E2E_TMDB_API_KEY] });
const tmdbEnv = inAppSandbox
	? { TMDB_SANDBOX: 'true' }
	: {
			TMDB_API_KEY: E2E_TMDB_API_KEY,
			TMDB_API_URL: SANDBOX_URL,
			TMDB_WEB_URL: SANDBOX_URL,
			TMDB_IMAGE_URL: `${SANDBOX_URL}/t/p`
		};

// The app's log lines go to a file, out of the test output: reporter.ts prints them when a test
// failed.
mkdirSync(SERVER_LOG_DIR, { recursive: true });
const log = openSync(serverLogFile(mode ?? 'app'), 'w');
const app = spawn(process.execPath, ['build'], {
	stdio: ['ignore', log, log],
	env: {
		...process.env,
		NODE_ENV: 'production',
		PORT: String(port),
		HOST: '127.0.0.1',
		ORIGIN: origin,
		...databaseEnv(database, 10),
		SESSION_ENCRYPTION_KEYS: randomBytes(32).toString('base64'),
		...tmdbEnv,
		// Fault tests hold a TMDB call while they check the page (a `hold` fault): the app must not
		// give up first, however slow the machine, so this outlasts the few expects (5 s each) made
		// meanwhile. The budget stays far below the tests' 120 s Retry-After.
		TMDB_TIMEOUT_MS: '20000',
		TMDB_RETRY_BUDGET_MS: '40000',
		// Every e2e test signs in from 127.0.0.1; the limit itself is tested in tests/integration.
		SIGN_IN_RATE_LIMIT_PER_MINUTE: '100000',
		// No cleanup round in the middle of a run: one that ended a TMDB session a fault test had
		// just seen fail made that test's count of failed DELETEs wrong. The job is tested in
		// tests/integration.
		SESSION_CLEANUP_MINUTES: '1440',
		LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn'
	}
});

const proxy = behindTls ? await startTlsProxy(HTTPS_PORT, BEHIND_PROXY_PORT) : null;

let stopping = false;
async function stop(code: number): Promise<void> {
	if (stopping) return;
	stopping = true;
	app.kill('SIGTERM');
	await new Promise((resolve) => app.once('exit', resolve));
	proxy?.close();
	await sandbox?.stop();
	await database.drop();
	process.exit(code);
}

app.once('exit', (code) => {
	if (!stopping) {
		console.error(`the app exited early with code ${code}`);
		void stop(1);
	}
});
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
