/** Where the e2e suite serves the built app and the standalone TMDB sandbox. */
export const APP_PORT = Number(process.env.E2E_APP_PORT ?? 4173);
export const SANDBOX_PORT = Number(process.env.E2E_SANDBOX_PORT ?? 4174);
export const APP_URL = `http://127.0.0.1:${APP_PORT}`;
export const SANDBOX_URL = `http://127.0.0.1:${SANDBOX_PORT}`;
/** The API key the app under test uses; only the sandbox accepts it. */
export const E2E_TMDB_API_KEY = 'e2e0000000000000000000000000000000000key';
/** The second app of the suite: the built server in sandbox mode, TMDB played by its in-app sandbox. */
export const IN_APP_SANDBOX_PORT = Number(process.env.E2E_IN_APP_SANDBOX_PORT ?? APP_PORT + 2);
export const IN_APP_SANDBOX_URL = `http://127.0.0.1:${IN_APP_SANDBOX_PORT}`;
/** The third: the built server in sandbox mode behind a TLS-terminating proxy (tls-proxy.ts). */
export const HTTPS_PORT = Number(process.env.E2E_HTTPS_PORT ?? APP_PORT + 3);
export const HTTPS_URL = `https://127.0.0.1:${HTTPS_PORT}`;
/** Where that app itself listens, in plain http behind the proxy. */
export const BEHIND_PROXY_PORT = Number(process.env.E2E_BEHIND_PROXY_PORT ?? APP_PORT + 4);
/** Where serve.ts writes each app's log lines (reporter.ts shows them when a test failed). */
export const SERVER_LOG_DIR = 'tests/e2e/.output';
export const serverLogFile = (mode: string) => `${SERVER_LOG_DIR}/server-${mode}.log`;
