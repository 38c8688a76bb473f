/**
 * Which Chromium the e2e suite drives, so that `npm install && npm test` passes on a machine
 * that has none: the first of
 *   1. a system Chromium: $CHROMIUM_PATH, else Debian's /usr/bin/chromium;
 *   2. Playwright's own, when `npx playwright install chromium` has put it in its cache;
 *   3. the Chromium inside the @sparticuz/chromium devDependency, which `npm install` brings from
 *      the npm registry (Playwright's own download needs the internet, which a machine may lack).
 * E2E_BROWSER=bundled skips the first two: CI's PgBouncer pass runs so, to prove the third.
 */
import { chromium } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { brotliDecompressSync } from 'node:zlib';

const NO_BROWSER =
	'No Chromium for the e2e suite: install one (apt-get install chromium, or set CHROMIUM_PATH) or Playwright’s (npx playwright install chromium)';

// Debian's Chromium reaches for Google's hosts at start; the machines' closed network refuses it.
const ARGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync'
];

/** Stops the run with one line, not a stack trace: these are the machine's state, not a bug. */
function fail(message: string): never {
	console.error(message);
	process.exit(1);
}

type Choice = { name: string; executablePath: string; env?: Record<string, string> };

/**
 * @sparticuz/chromium ships a brotli-compressed chrome-headless-shell for Linux x64 with the NSS
 * libraries it links, so it needs nothing from the system but glibc and libsqlite3. Its own unpacker writes to a
 * fixed /tmp/chromium that it reuses whatever version or half-written state it is in, so this one
 * unpacks once per package version under node_modules/.cache, into a temporary folder renamed
 * into place when complete.
 */
function bundledChromium(): Choice | undefined {
	if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
	let packageDir: string;
	try {
		const main = createRequire(import.meta.url).resolve('@sparticuz/chromium');
		packageDir = path.resolve(path.dirname(main), '..');
	} catch {
		return undefined;
	}
	const { version } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
	const dir = path.resolve(packageDir, '../../.cache', `sparticuz-chromium-${version}`);
	if (!existsSync(dir)) {
		const partial = `${dir}.${process.pid}`;
		rmSync(partial, { recursive: true, force: true });
		mkdirSync(partial, { recursive: true });
		const unpack = (file: string) =>
			brotliDecompressSync(readFileSync(path.join(packageDir, 'bin', file)));
		writeFileSync(path.join(partial, 'chromium'), unpack('chromium.br'), { mode: 0o755 });
		for (const archive of ['al2023.tar.br', 'fonts.tar.br']) {
			const tar = spawnSync('tar', ['-x', '-C', partial], { input: unpack(archive) });
			if (tar.status !== 0) throw new Error(`unpacking ${archive}: ${tar.stderr}`);
		}
		// The system's fonts where it has any, and the package's Open Sans in any case.
		writeFileSync(
			path.join(partial, 'fonts.conf'),
			`<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n` +
				`\t<include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n` +
				`\t<dir>${dir}/fonts</dir>\n\t<cachedir>${dir}/fonts-cache</cachedir>\n</fontconfig>\n`
		);
		try {
			renameSync(partial, dir);
		} catch (error) {
			// Another run unpacked it first.
			rmSync(partial, { recursive: true, force: true });
			if (!existsSync(dir)) throw error;
		}
	}
	const env = {
		LD_LIBRARY_PATH: path.join(dir, 'lib'),
		FONTCONFIG_FILE: path.join(dir, 'fonts.conf')
	};
	// Its NSS, which every https page loads, links the system's libsqlite3: Amazon Linux has it, as
	// does any Debian with python3 or gpg, but not a minimal one, where Chromium would crash there.
	const ldd = spawnSync('ldd', [path.join(dir, 'lib', 'libsoftokn3.so')], {
		env: { ...process.env, ...env },
		encoding: 'utf8'
	});
	if (/not found/.test(ldd.stdout ?? '')) {
		fail(`${NO_BROWSER}; the npm package's also needs libsqlite3 (apt-get install libsqlite3-0)`);
	}
	return {
		name: `@sparticuz/chromium ${version} (npm package)`,
		executablePath: path.join(dir, 'chromium'),
		env
	};
}

function choose(): Choice | undefined {
	const forced = process.env.E2E_BROWSER;
	if (forced !== undefined && forced !== 'bundled') {
		fail(`E2E_BROWSER=${forced}: the only value is "bundled" (the npm package's Chromium)`);
	}
	if (forced !== 'bundled') {
		const system = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
		if (existsSync(system)) return { name: `system Chromium at ${system}`, executablePath: system };
		if (process.env.CHROMIUM_PATH) fail(`CHROMIUM_PATH=${system}: no such file`);
		const playwrights = chromium.executablePath();
		if (existsSync(playwrights)) {
			return { name: `Playwright’s Chromium at ${playwrights}`, executablePath: playwrights };
		}
	}
	return bundledChromium();
}

const choice = choose() ?? fail(NO_BROWSER);
// Playwright loads the config in its runner and again in every worker: say it once.
if (process.env.TEST_WORKER_INDEX === undefined) console.log(`e2e browser: ${choice.name}`);

/** Playwright's `use.launchOptions` for the chosen browser. */
export const launchOptions = {
	executablePath: choice.executablePath,
	args: ARGS,
	...(choice.env && { env: { ...process.env, ...choice.env } })
};
