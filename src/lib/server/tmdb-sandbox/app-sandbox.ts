/**
 * The app's in-process sandbox for sandbox mode (TMDB_SANDBOX): one per process, opened by the
 * wiring (services.ts) and shared through the app context by the TMDB client (called
 * in-process) and the /sandbox/tmdb route that serves the approval page. Its state lives in memory, so sandbox mode is for a single dev
 * instance; tokens and sessions are lost on restart (sign in again).
 */
import { SANDBOX_API_KEY, SANDBOX_BASE_PATH, type Config } from '../config.ts';
import { createTmdbSandbox, type TmdbSandbox } from './sandbox.ts';

// Kept on globalThis so that Vite reloading this module in development keeps the tokens and
// sessions already handed out.
const GLOBAL_KEY = Symbol.for('marquee.tmdbAppSandbox');
type GlobalWithSandbox = typeof globalThis & { [GLOBAL_KEY]?: TmdbSandbox };

export function openAppSandbox(config: Config): TmdbSandbox {
	const holder = globalThis as GlobalWithSandbox;
	holder[GLOBAL_KEY] ??= createTmdbSandbox({
		credentials: [SANDBOX_API_KEY, credentialValue(config.tmdb.credential)],
		webBasePath: SANDBOX_BASE_PATH
	});
	return holder[GLOBAL_KEY];
}

function credentialValue(credential: Config['tmdb']['credential']): string {
	return credential.kind === 'api_key' ? credential.apiKey : credential.token;
}
