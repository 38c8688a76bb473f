/**
 * docs/deployment.md followed as written (issue 26): its SQL, its PgBouncer configuration and its
 * nginx block are read from the guide itself, and only hosts, ports, paths and names are changed,
 * each replacement checked, so the guide cannot drift from what runs here.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
	chmodSync,
	chownSync,
	existsSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync
} from 'node:fs';
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import { createConnection } from 'node:net';
import { checkServerIdentity } from 'node:tls';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { freePort, startApp, type AppProcess } from '../helpers/app-process.ts';
import { BrowserSession } from '../helpers/browser-session.ts';
import { selfSignedCertificate } from '../helpers/certificate.ts';
import { createTestDatabase, databaseEnv, type TestDatabase } from '../helpers/database.ts';

const GUIDE = readFileSync('docs/deployment.md', 'utf8');
const serverUrl = process.env.TEST_DATABASE_URL;
const binary = (name: string) =>
	[`/usr/sbin/${name}`, `/usr/bin/${name}`].find((file) => existsSync(file));
const NGINX = binary('nginx');
const PGBOUNCER = binary('pgbouncer');
const asRoot = process.getuid?.() === 0;

/** The guide's fenced block in `language` that contains `marker`. */
function guideBlock(language: string, marker: string): string {
	const blocks = [...GUIDE.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)];
	const found = blocks.find(([, lang, text]) => lang === language && text!.includes(marker));
	if (!found) throw new Error(`docs/deployment.md has no \`\`\`${language} block with ${marker}`);
	return found[2]!;
}

/** Replaces text the guide must contain; a guide that no longer has it fails the test. */
function replace(text: string, from: string | RegExp, to: string): string {
	const changed = text.replace(from, to);
	if (changed === text) throw new Error(`the guide's text no longer contains ${String(from)}`);
	return changed;
}

/** A folder the `postgres` user can use too, as PgBouncer runs as that user under root. */
function workDir(prefix: string): string {
	const dir = mkdtempSync(path.join(tmpdir(), prefix));
	chmodSync(dir, 0o755);
	return dir;
}

const accepts = (port: number) =>
	new Promise<boolean>((resolve) => {
		const socket = createConnection(port, '127.0.0.1');
		socket.once('connect', () => (socket.destroy(), resolve(true)));
		socket.once('error', () => resolve(false));
	});

async function waitUntilListening(port: number, child: ChildProcess, output: () => string) {
	await vi.waitFor(
		async () => {
			if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${output()}`);
			expect(await accepts(port)).toBe(true);
		},
		{ timeout: 15_000, interval: 50 }
	);
}

function startChild(command: string, args: string[], options: { uid?: number; gid?: number }) {
	const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
	let output = '';
	child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
	child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
	const exited = new Promise((resolve) => child.once('exit', resolve));
	return {
		child,
		output: () => output,
		async stop() {
			if (child.exitCode === null) child.kill('SIGTERM');
			await exited;
		}
	};
}

describe.skipIf(!NGINX || !serverUrl)(
	`the guide's nginx block in front of two instances${!NGINX ? ' (skipped: nginx is not installed; apt-get install nginx)' : !serverUrl ? ' (skipped: two instances need TEST_DATABASE_URL)' : ''}`,
	() => {
		const dir = workDir('marquee-nginx-');
		let database: TestDatabase;
		let instances: AppProcess[] = [];
		let nginx: ReturnType<typeof startChild> | undefined;
		let cert: string;
		let config: string;
		let httpsPort: number;
		let httpPort: number;
		let publicOrigin: string;

		/** The guide's block, with a throwaway certificate and the upstream and listen ports here. */
		function nginxConfig(upstreams: number[]): string {
			let block = guideBlock('nginx', 'upstream marquee');
			block = replace(block, /ssl_certificate \S+;/, `ssl_certificate ${dir}/cert.pem;`);
			block = replace(block, /ssl_certificate_key \S+;/, `ssl_certificate_key ${dir}/key.pem;`);
			block = replace(block, 'server 127.0.0.1:3001;', `server 127.0.0.1:${upstreams[0]};`);
			block = replace(block, 'server 127.0.0.1:3002;', `server 127.0.0.1:${upstreams[1]};`);
			block = replace(block, 'listen 80;', `listen 127.0.0.1:${httpPort};`);
			block = replace(block, 'listen 443 ssl;', `listen 127.0.0.1:${httpsPort} ssl;`);
			writeFileSync(path.join(dir, 'marquee.conf'), block);
			// What Debian's /etc/nginx/nginx.conf gives the block; here every path is in `dir`.
			writeFileSync(
				path.join(dir, 'nginx.conf'),
				`worker_processes 1;
pid ${dir}/nginx.pid;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path ${dir}/body;
	proxy_temp_path ${dir}/proxy;
	fastcgi_temp_path ${dir}/fastcgi;
	uwsgi_temp_path ${dir}/uwsgi;
	scgi_temp_path ${dir}/scgi;
	include ${dir}/marquee.conf;
}
`
			);
			return path.join(dir, 'nginx.conf');
		}

		beforeAll(async () => {
			const pems = await selfSignedCertificate();
			cert = pems.cert;
			writeFileSync(path.join(dir, 'cert.pem'), pems.cert);
			writeFileSync(path.join(dir, 'key.pem'), pems.key);
			[httpsPort, httpPort] = [await freePort(), await freePort()];
			// The guide's variables for each instance: ORIGIN, ADDRESS_HEADER, XFF_DEPTH, HOST.
			const instanceLines = guideBlock('sh', 'npm start &');
			const variables = Object.fromEntries(
				[...instanceLines.matchAll(/\b([A-Z_]+)=([^\s.][^\s]*)/g)]
					.filter(([, name]) => ['ORIGIN', 'ADDRESS_HEADER', 'XFF_DEPTH', 'HOST'].includes(name!))
					.map(([, name, value]) => [name!, value!])
			);
			expect(Object.keys(variables).sort()).toEqual([
				'ADDRESS_HEADER',
				'HOST',
				'ORIGIN',
				'XFF_DEPTH'
			]);
			publicOrigin = variables.ORIGIN!;
			database = await createTestDatabase();
			// Test mode: the built-in sandbox stands in for TMDB, its state shared through PostgreSQL.
			const env = { ...databaseEnv(database), ...variables, TMDB_SANDBOX: 'true' };
			instances = await Promise.all([startApp(env), startApp(env)]);
			config = nginxConfig(instances.map((instance) => instance.port));
		}, 60_000);

		afterAll(async () => {
			await nginx?.stop();
			await Promise.all(instances.map((instance) => instance.stop()));
			await database?.drop();
			rmSync(dir, { recursive: true, force: true });
		});

		test('nginx -t accepts the block, certificate lines and all', () => {
			const checked = spawnSync(NGINX!, ['-t', '-e', 'stderr', '-p', dir, '-c', config], {
				encoding: 'utf8'
			});
			expect(checked.stderr).toContain('test is successful');
			expect(checked.status).toBe(0);
		});

		test('R7.3 a sign-in in test mode through nginx, whichever instance answers each step', async () => {
			nginx = startChild(
				NGINX!,
				['-e', 'stderr', '-p', dir, '-c', config, '-g', 'daemon off;'],
				{}
			);
			await waitUntilListening(httpsPort, nginx.child, nginx.output);

			const cookies = new Map<string, string>();
			/** A browser at the public origin: TLS to nginx, which trusts the test's certificate. */
			function send(method: string, target: string, form?: Record<string, string>) {
				const body = form && new URLSearchParams(form).toString();
				return new Promise<{ status: number; headers: string[]; text: string }>(
					(resolve, reject) => {
						const request = https.request(
							{
								host: '127.0.0.1',
								port: httpsPort,
								ca: cert,
								// The certificate is for 127.0.0.1, where nginx listens here.
								checkServerIdentity: (_host, peer) => checkServerIdentity('127.0.0.1', peer),
								method,
								path: target,
								headers: {
									host: new URL(publicOrigin).host,
									accept: 'text/html',
									cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
									...(body && {
										origin: publicOrigin,
										'content-type': 'application/x-www-form-urlencoded'
									})
								}
							},
							(response) => {
								let text = '';
								response.on('data', (chunk: Buffer) => (text += chunk.toString()));
								response.on('end', () => {
									for (const line of response.headers['set-cookie'] ?? []) {
										const [name, value] = line.split(';')[0]!.split('=') as [string, string];
										if (value === '') cookies.delete(name);
										else cookies.set(name, value);
									}
									resolve({ status: response.statusCode!, headers: response.rawHeaders, text });
								});
							}
						);
						request.on('error', reject);
						request.end(body);
					}
				);
			}
			const header = (answer: { headers: string[] }, name: string) =>
				answer.headers.filter(
					(_, i) => i % 2 === 1 && answer.headers[i - 1]!.toLowerCase() === name
				);
			const location = (answer: { headers: string[] }) => header(answer, 'location')[0]!;

			const home = await send('GET', '/');
			expect(home.status).toBe(200);
			// The app's HSTS, once: the block adds no header of its own.
			expect(header(home, 'strict-transport-security')).toEqual([
				'max-age=31536000; includeSubDomains'
			]);

			const started = await send('POST', '/auth/login', { returnTo: '/account' });
			expect(started.status).toBe(303);
			const approval = location(started);
			expect(approval).toMatch(/^\/sandbox\/tmdb\/authenticate\/[0-9a-f]{40}\?redirect_to=/);
			expect((await send('GET', approval)).status).toBe(200);
			const decided = await send('POST', approval, { username: 'via-nginx', decision: 'approve' });
			expect(decided.status).toBe(303);
			const callback = new URL(location(decided));
			expect(callback.origin).toBe(publicOrigin);
			const finished = await send('GET', callback.pathname + callback.search);
			expect(location(finished)).toBe('/account');
			const account = await send('GET', '/account');
			expect(account.status).toBe(200);
			expect(account.text).toContain('via-nginx');
			// nginx shared the steps out between both instances.
			for (const instance of instances) {
				expect(instance.output.some((line) => line.includes('"msg":"request"'))).toBe(true);
			}

			// Plain http only redirects to https.
			const plain = await fetch(`http://127.0.0.1:${httpPort}/account`, { redirect: 'manual' });
			expect(plain.status).toBe(301);
			expect(plain.headers.get('location')).toBe(`${publicOrigin}/account`);
		});
	}
);

describe.skipIf(!PGBOUNCER || !serverUrl)(
	`the guide's database SQL and PgBouncer configuration${!PGBOUNCER ? ' (skipped: PgBouncer is not installed; apt-get install pgbouncer)' : !serverUrl ? ' (skipped: needs a PostgreSQL server, TEST_DATABASE_URL, to create a role)' : ''}`,
	() => {
		const name = `marquee_guide_${randomBytes(4).toString('hex')}`;
		const dir = workDir('marquee-pgbouncer-guide-');
		const server = new URL(serverUrl ?? 'postgres://localhost');
		const admin = postgres(serverUrl ?? '', { max: 1, onnotice: () => {} });
		let pgbouncer: ReturnType<typeof startChild> | undefined;
		let app: AppProcess | undefined;

		afterAll(async () => {
			await app?.stop();
			await pgbouncer?.stop();
			await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
			await admin.unsafe(`DROP ROLE IF EXISTS ${name}`);
			await admin.end();
			rmSync(dir, { recursive: true, force: true });
		});

		test('the app migrates and signs in through PgBouncer, as the guide’s role, in its own database', async () => {
			// The guide's SQL, with the role and database renamed for this run.
			const sql = replace(guideBlock('sql', 'CREATE ROLE'), /\bmarquee\b/g, name);
			for (const statement of sql
				.split(';')
				.map((part) => part.trim())
				.filter(Boolean)) {
				await admin.unsafe(statement);
			}
			const password = /PASSWORD '([^']+)'/.exec(sql)![1]!;
			const userlist = replace(guideBlock('', '"marquee"'), /"marquee"/, `"${name}"`);
			expect(userlist).toBe(`"${name}" "${password}"\n`);

			let ini = guideBlock('ini', '[pgbouncer]');
			ini = replace(
				ini,
				'marquee = host=db.internal port=5432 dbname=marquee',
				`${name} = host=${server.hostname} port=${server.port || 5432} dbname=${name}`
			);
			const port = await freePort();
			ini = replace(ini, 'listen_port = 6432', `listen_port = ${port}`);
			ini = replace(ini, '/etc/pgbouncer/userlist.txt', `${dir}/userlist.txt`);
			ini = replace(ini, '/var/log/postgresql/pgbouncer.log', `${dir}/pgbouncer.log`);
			ini = replace(ini, '/var/run/postgresql/pgbouncer.pid', `${dir}/pgbouncer.pid`);
			ini = replace(ini, 'unix_socket_dir = /var/run/postgresql', 'unix_socket_dir =');
			const iniFile = path.join(dir, 'pgbouncer.ini');
			writeFileSync(iniFile, ini);
			writeFileSync(path.join(dir, 'userlist.txt'), userlist, { mode: 0o600 });

			let user = {};
			if (asRoot) {
				// The guide's warning: PgBouncer will not run as root.
				const refused = spawnSync(PGBOUNCER!, [iniFile], { encoding: 'utf8' });
				expect(refused.status).not.toBe(0);
				expect(refused.stderr + refused.stdout).toContain('should not run as root');
				const id = (flag: string) =>
					Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
				user = { uid: id('-u'), gid: id('-g') };
				// The refused start may have made its log file already, as root.
				for (const file of [dir, ...readdirSync(dir).map((entry) => path.join(dir, entry))]) {
					chownSync(file, id('-u'), id('-g'));
				}
			}
			pgbouncer = startChild(PGBOUNCER!, [iniFile], user);
			await waitUntilListening(port, pgbouncer.child, pgbouncer.output);

			const databaseUrl = `postgres://${name}:${password}@127.0.0.1:${port}/${name}`;
			app = await startApp({
				DATABASE_URL: databaseUrl,
				DATABASE_POOLER: 'transaction',
				TMDB_SANDBOX: 'true'
			});
			expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
			const browser = new BrowserSession(app.url);
			const started = await browser.post('/auth/login', { returnTo: '/account' });
			const approval = started.headers.get('location')!;
			const decided = await browser.post(approval, { username: 'pooled', decision: 'approve' });
			const callback = new URL(decided.headers.get('location')!);
			await browser.get(callback.pathname + callback.search);
			const account = await browser.get('/account');
			expect(account.status).toBe(200);
			expect(await account.text()).toContain('pooled');

			// The tables are the role's own, made by the migrations through the pooler; and the
			// guide's server-side bound for pooled connections is the role's to set.
			const direct = `postgres://${name}:${password}@${server.host}/${name}`;
			const own = postgres(direct, { max: 1, onnotice: () => {} });
			try {
				const tables = await own<{ owner: string }[]>`
					SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE schemaname = 'public'`;
				expect(tables.map((row) => row.owner)).toEqual([name]);
				const alter = /psql "\$DIRECT_DATABASE_URL" -c "(ALTER ROLE [^"]+)"/.exec(
					guideBlock('sh', 'ALTER ROLE')
				)![1]!;
				await own.unsafe(replace(alter, /\bmarquee\b/, name));
				const [setting] = await own<{ config: string[] }[]>`
					SELECT rolconfig AS config FROM pg_roles WHERE rolname = ${name}`;
				expect(setting!.config).toEqual(['statement_timeout=10s']);
			} finally {
				await own.end();
			}
		});
	}
);
