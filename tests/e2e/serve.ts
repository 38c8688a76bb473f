/**
 * Serves the built app for the e2e suite the way production runs it: `node build` with
 * NODE_ENV=production, a fresh database (TEST_DATABASE_URL's server, or the embedded one) and
 * the standalone TMDB sandbox on a loopback port. Playwright starts and stops this script.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '../helpers/database.ts';
import { APP_PORT, APP_URL } from './ports.ts';

const database = await createTestDatabase({ migrated: false });

const app = spawn(process.execPath, ['build'], {
	stdio: ['ignore', 'inherit', 'inherit'],
	env: {
		...process.env,
		NODE_ENV: 'production',
		PORT: String(APP_PORT),
		HOST: '127.0.0.1',
		ORIGIN: APP_URL,
		DATABASE_URL: database.url,
		SESSION_ENCRYPTION_KEYS: randomBytes(32).toString('base64'),
		TMDB_SANDBOX: 'true',
		LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn'
	}
});

let stopping = false;
async function stop(code: number): Promise<void> {
	if (stopping) return;
	stopping = true;
	app.kill('SIGTERM');
	await new Promise((resolve) => app.once('exit', resolve));
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
