import { defineConfig, devices } from '@playwright/test';
import { existsSync } from 'node:fs';
import { APP_URL } from './ports.ts';

const DEBIAN_CHROMIUM = '/usr/bin/chromium';

// Debian's Chromium when the machine has it (Playwright's own download needs the internet).
const launchOptions = existsSync(DEBIAN_CHROMIUM)
	? {
			executablePath: DEBIAN_CHROMIUM,
			args: [
				'--no-sandbox',
				'--disable-gpu',
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync'
			]
		}
	: {};

export default defineConfig({
	testDir: '.',
	outputDir: '../../test-results',
	forbidOnly: !!process.env.CI,
	retries: process.env.CI ? 1 : 0,
	// One app process and one embedded database: keep the browser load modest on two cores.
	workers: 2,
	reporter: process.env.CI ? [['list']] : [['list']],
	use: {
		baseURL: APP_URL,
		trace: 'retain-on-failure',
		launchOptions
	},
	projects: [
		{ name: 'js-on', use: { ...devices['Desktop Chrome'], javaScriptEnabled: true } },
		{ name: 'js-off', use: { ...devices['Desktop Chrome'], javaScriptEnabled: false } }
	],
	webServer: {
		command: 'npx tsx tests/e2e/serve.ts',
		cwd: '../..',
		url: `${APP_URL}/`,
		timeout: 120_000,
		reuseExistingServer: false,
		stdout: 'pipe',
		stderr: 'pipe'
	}
});
