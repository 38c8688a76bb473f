import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';

/** Starts the built server with `env` and returns how it ended within a few seconds. */
function startBuiltServer(env: Record<string, string>) {
	const result = spawnSync(process.execPath, ['build'], {
		env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', ...env },
		encoding: 'utf8',
		timeout: 15_000
	});
	return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

const GOOD = {
	NODE_ENV: 'production',
	DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
	SESSION_ENCRYPTION_KEYS: Buffer.alloc(32, 3).toString('base64'),
	TMDB_API_KEY: 'key'
};

describe('R7.1 the built server refuses a bad configuration at start', () => {
	test.each([
		[
			'a malformed encryption key',
			{ SESSION_ENCRYPTION_KEYS: 'tooshort' },
			/SESSION_ENCRYPTION_KEYS: key 1 is not a base64-encoded 32-byte key/
		],
		[
			'a missing encryption key in production',
			{ SESSION_ENCRYPTION_KEYS: '' },
			/SESSION_ENCRYPTION_KEYS: required in production/
		],
		[
			'a plain-http TMDB URL that is not loopback',
			{ TMDB_API_URL: 'http://api.themoviedb.org' },
			/TMDB_API_URL: must use https:\/\//
		],
		[
			'no TMDB credential',
			{ TMDB_API_KEY: '' },
			/TMDB_API_KEY: set TMDB_API_KEY or TMDB_READ_ACCESS_TOKEN/
		]
	])('%s: exits 1 naming the variable, without a stack trace', (_case, override, message) => {
		const { status, output } = startBuiltServer({ ...GOOD, ...override });
		expect(status).toBe(1);
		expect(output).toMatch(message);
		expect(output).toContain('Marquee cannot start.');
		expect(output).not.toMatch(/\n\s+at /);
	});
});
