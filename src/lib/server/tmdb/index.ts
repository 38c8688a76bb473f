/**
 * How the app gets its TMDB client and TMDB URLs: the real TMDB, or in sandbox mode the
 * in-process sandbox and its pages under /sandbox/tmdb.
 */
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { APP_SANDBOX_BASE_PATH, getAppSandbox } from '../tmdb-sandbox/app-sandbox.ts';
import { createTmdbClient, type TmdbClient } from './client.ts';

export { createTmdbClient, MAX_TMDB_PAGE, toTmdbAccount } from './client.ts';
export type {
	TmdbAccount,
	TmdbClient,
	TmdbClientOptions,
	TmdbCredential,
	TmdbMovie,
	TmdbMoviePage,
	TmdbSessionClient
} from './client.ts';
export { TmdbError, isTmdbError, type TmdbErrorKind } from './errors.ts';

/** Never resolved or contacted: in sandbox mode requests go straight to the handler below. */
const IN_PROCESS_SANDBOX_URL = 'http://sandbox.internal';

export function createAppTmdbClient(config: Config, log: Logger | (() => Logger)): TmdbClient {
	const common = {
		credential: config.tmdb.credential,
		timeoutMs: config.tmdb.timeoutMs,
		retryBudgetMs: config.tmdb.retryBudgetMs,
		log
	};
	if (!config.tmdb.sandbox) return createTmdbClient({ ...common, apiUrl: config.tmdb.apiUrl });
	const sandbox = getAppSandbox(config);
	return createTmdbClient({
		...common,
		apiUrl: IN_PROCESS_SANDBOX_URL,
		fetch: (input, init) => sandbox.handle(new Request(input, init))
	});
}

/** TMDB's approval page for a request token (the sandbox's own page in sandbox mode). */
export function approvalUrl(config: Config, requestToken: string, redirectTo: string): string {
	const base = config.tmdb.sandbox ? APP_SANDBOX_BASE_PATH : config.tmdb.webUrl;
	return `${base}/authenticate/${encodeURIComponent(requestToken)}?redirect_to=${encodeURIComponent(redirectTo)}`;
}

/**
 * The URL of a TMDB image (avatar, poster) at a TMDB size such as `w185`, or null when there is
 * none. `TMDB_IMAGE_URL`, or the sandbox's images in sandbox mode.
 */
export function tmdbImageUrl(config: Config, path: string | null, size = 'w185'): string | null {
	if (path === null) return null;
	const base = config.tmdb.sandbox ? `${APP_SANDBOX_BASE_PATH}/t/p` : config.tmdb.imageUrl;
	return `${base}/${size}${path}`;
}
