import { defineConfig, devices } from '@playwright/test';
import { launchOptions } from './browser.ts';
import { APP_URL, HTTPS_URL, IN_APP_SANDBOX_URL } from './ports.ts';

const FAULT_TESTS = /tmdb-trouble\.test\.ts$/;
const IN_APP_SANDBOX_TESTS = /in-app-sandbox\.test\.ts$/;
const HTTPS_TESTS = /https\.test\.ts$/;
// The proxy's certificate is self-signed for 127.0.0.1 (tls-proxy.ts).
const overHttps = { baseURL: HTTPS_URL, ignoreHTTPSErrors: true };
const jsOn = { ...devices['Desktop Chrome'], javaScriptEnabled: true };
const jsOff = { ...devices['Desktop Chrome'], javaScriptEnabled: false };

export default defineConfig({
	testDir: '.',
	outputDir: '../../test-results',
	forbidOnly: !!process.env.CI,
	retries: process.env.CI ? 1 : 0,
	// One app process and one embedded database: keep the browser load modest on two cores.
	workers: 2,
	// Hosts here differ 2-3x in speed: on a slow one, tests with several sign-ins took up to 28 s.
	timeout: 60_000,
	reporter: [['list'], ['./reporter.ts']],
	use: {
		baseURL: APP_URL,
		trace: 'retain-on-failure',
		launchOptions
	},
	// The whole suite runs twice, with JavaScript on and off. Tests that inject faults into the
	// shared TMDB sandbox run last and one at a time (a fault hits whichever call comes next, so it
	// must not meet another test's sign-in): their projects wait for the others to finish.
	projects: [
		{
			name: 'js-on',
			testIgnore: [FAULT_TESTS, IN_APP_SANDBOX_TESTS, HTTPS_TESTS],
			use: { ...jsOn }
		},
		{
			name: 'js-off',
			testIgnore: [FAULT_TESTS, IN_APP_SANDBOX_TESTS, HTTPS_TESTS],
			use: { ...jsOff }
		},
		// The same server behind a TLS-terminating proxy, as production runs it.
		{ name: 'https-js-on', testMatch: HTTPS_TESTS, use: { ...jsOn, ...overHttps } },
		{ name: 'https-js-off', testMatch: HTTPS_TESTS, use: { ...jsOff, ...overHttps } },
		// The built server in sandbox mode, where the approval page is on the app's own origin.
		{
			name: 'in-app-sandbox-js-on',
			testMatch: IN_APP_SANDBOX_TESTS,
			use: { ...jsOn, baseURL: IN_APP_SANDBOX_URL }
		},
		{
			name: 'in-app-sandbox-js-off',
			testMatch: IN_APP_SANDBOX_TESTS,
			use: { ...jsOff, baseURL: IN_APP_SANDBOX_URL }
		},
		{
			name: 'js-on-faults',
			testMatch: FAULT_TESTS,
			dependencies: ['js-on', 'js-off'],
			use: { ...jsOn }
		},
		{
			name: 'js-off-faults',
			testMatch: FAULT_TESTS,
			dependencies: ['js-on-faults'],
			use: { ...jsOff }
		}
	],
	webServer: [
		{ command: 'npx tsx tests/e2e/serve.ts', url: `${APP_URL}/` },
		{ command: 'npx tsx tests/e2e/serve.ts in-app-sandbox', url: `${IN_APP_SANDBOX_URL}/` },
		{ command: 'npx tsx tests/e2e/serve.ts https', url: `${HTTPS_URL}/`, ignoreHTTPSErrors: true }
	].map((server) => ({
		...server,
		cwd: '../..',
		timeout: 120_000,
		reuseExistingServer: false,
		// SIGTERM, not Playwright's default SIGKILL: serve.ts then drops its database and stops
		// its PgBouncer, which outlive a killed process group.
		gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 10_000 },
		// The apps' own lines go to files (serve.ts); reporter.ts shows them when a test failed.
		stdout: 'ignore' as const,
		stderr: 'pipe' as const
	}))
});
