/**
 * `npx tsx bench/profile.ts anonymous valid`: one server per case, started with `node --cpu-prof`,
 * driven like `npm run bench` drives it (after `npm run build`), then stopped so the profile is
 * written. Prints where the server's CPU time went; profiles stay in bench/.tmp/profiles.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encryptSecret } from '../src/lib/server/auth/keys.ts';
import {
	createBenchDatabase,
	seededToken,
	seedSessions,
	seedUsers,
	vacuumAnalyze
} from './database.ts';
import { measureLoad } from './load.ts';
import { formatSummary, summarizeProfile } from './profile-summary.ts';
import { killAllServers, startAppServer } from './server.ts';

const CASES = ['anonymous', 'valid', 'invalid', 'sliding'] as const;
type Case = (typeof CASES)[number];
const ROWS = 10_000;
const DAY_MS = 24 * 60 * 60 * 1000;

async function main(): Promise<void> {
	const requested = process.argv.slice(2);
	const unknown = requested.filter((name) => !CASES.includes(name as Case));
	if (requested.length === 0 || unknown.length > 0) {
		throw new Error(`usage: tsx bench/profile.ts <${CASES.join('|')}>...`);
	}
	const seconds = Number(process.env.BENCH_SECONDS ?? 10);
	const dir = path.resolve('bench/.tmp/profiles');
	mkdirSync(dir, { recursive: true });
	const database = await createBenchDatabase(
		process.env.BENCH_DATABASE_URL ??
			process.env.TEST_DATABASE_URL ??
			'postgres://postgres@127.0.0.1:5432/postgres'
	);
	try {
		const key = randomBytes(32);
		const now = new Date();
		const seed = {
			createdAt: now,
			lastSeenAt: now,
			expiresAt: new Date(now.getTime() + 30 * DAY_MS),
			sealedTmdbSessionId: encryptSecret('bench-tmdb-session-id', [key])
		};
		await seedUsers(database.sql);
		await seedSessions(database.sql, { ...seed, kind: 'v', from: 1, to: ROWS });
		await seedSessions(database.sql, {
			...seed,
			kind: 's',
			from: 1,
			to: 100_000,
			expiresAt: new Date(now.getTime() + 10 * DAY_MS)
		});
		await vacuumAnalyze(database.sql);
		let sliding = 1;
		const tokens: Record<Case, () => string | null> = {
			anonymous: () => null,
			valid: () => seededToken('v', 1 + Math.floor(Math.random() * ROWS)),
			invalid: () => randomBytes(32).toString('base64url'),
			sliding: () => seededToken('s', sliding++)
		};
		for (const name of requested as Case[]) {
			const runDir = path.join(dir, `${name}-${Date.now()}`);
			mkdirSync(runDir);
			const server = await startAppServer({
				port: 4390,
				databaseUrl: database.url,
				encryptionKey: key.toString('base64'),
				poolSize: 10,
				cpuProfileDir: runDir
			});
			const options = { connections: 50, nextToken: tokens[name] };
			const result = await measureLoad(server, { ...options, warmupSeconds: 3, seconds });
			await server.stop();
			const file = readdirSync(runDir).find((entry) => entry.endsWith('.cpuprofile'));
			if (!file) throw new Error(`no profile written for ${name}`);
			const target = path.join(dir, `${name}.cpuprofile`);
			renameSync(path.join(runDir, file), target);
			rmdirSync(runDir);
			const text = `${name}: ${result.requestsPerSecond} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms\n${formatSummary(summarizeProfile(target))}\n`;
			writeFileSync(path.join(dir, `${name}.txt`), text);
			console.log(text);
		}
	} finally {
		killAllServers();
		await database.drop();
	}
}

process.on('exit', killAllServers);
main().then(
	() => process.exit(0),
	(error: unknown) => {
		console.error(error);
		process.exit(1);
	}
);
