/**
 * Which Chromium the e2e suite drives, so that `npm install && npm test` passes on a machine
 * with no browser installed. In this order:
 * 1. `CHROMIUM_PATH`, or the system's Chromium (Debian's /usr/bin/chromium);
 * 2. Playwright's own browser, when `npx playwright install chromium` has fetched it;
 * 3. the Chromium inside the `@sparticuz/chromium` dev dependency, which comes with `npm
 *    install` from the registry alone (unpacked to the temp directory on first use, ~3 s).
 * `E2E_BROWSER=bundled` skips straight to 3, as on a bare machine (CI's pooler pass does).
 */
import sparticuz, { inflate } from '@sparticuz/chromium';
import { chromium, type LaunchOptions } from '@playwright/test';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/**
 * Run as root with no display, and quiet on a closed network: without the background-networking
 * flags Chromium keeps trying to reach Google's hosts.
 */
const ARGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync'
];

export type Browser = { description: string; launchOptions: LaunchOptions };

export async function findBrowser(env: NodeJS.ProcessEnv = process.env): Promise<Browser> {
	const forceBundled = env.E2E_BROWSER === 'bundled';
	const system = env.CHROMIUM_PATH || (existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : null);
	if (system && !forceBundled) {
		return {
			description: `system Chromium (${system})`,
			launchOptions: { executablePath: system, args: ARGS }
		};
	}
	if (!forceBundled && existsSync(chromium.executablePath())) {
		return { description: "Playwright's Chromium", launchOptions: { args: ARGS } };
	}
	try {
		return {
			description: 'Chromium from @sparticuz/chromium',
			launchOptions: await bundledChromium()
		};
	} catch (error) {
		throw new Error(
			'No Chromium for the browser tests: install one with `apt-get install chromium` or ' +
				`\`npx playwright install chromium\` (the bundled one failed: ${(error as Error).message})`
		);
	}
}

/**
 * The bundled build is made for AWS Lambda: its own NSS and expat libraries come in a second
 * archive, which a bare Debian machine needs too, so both are unpacked and the libraries put on
 * the browser's library path. Its recommended flags are not used: they turn off web security and
 * site isolation, which the suite's cross-site checks rely on.
 */
async function bundledChromium(): Promise<LaunchOptions> {
	const executablePath = await sparticuz.executablePath();
	const libraries = path.join(tmpdir(), 'al2023', 'lib');
	if (!existsSync(libraries)) {
		const entry = createRequire(import.meta.url).resolve('@sparticuz/chromium');
		const bin = path.join(path.dirname(entry), '..', 'bin');
		await inflate(path.join(bin, 'al2023.tar.br'));
	}
	return {
		executablePath,
		args: ARGS,
		env: {
			...process.env,
			LD_LIBRARY_PATH: [libraries, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
			FONTCONFIG_PATH: path.join(tmpdir(), 'fonts')
		}
	};
}
