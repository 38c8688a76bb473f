/**
 * PgBouncer in transaction mode in front of the test PostgreSQL server: the stand-in for a
 * managed host's pooled connection string. Each caller gets its own PgBouncer on a free loopback
 * port, configured from tests/pgbouncer/pgbouncer.ini, which it can restart (the PostgreSQL
 * server is shared; the pooler is ours).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './app-process.ts';
import { selfSignedCertificate } from './certificate.ts';

const BINARY = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((file) => existsSync(file));
const TEMPLATE = path.resolve('tests/pgbouncer/pgbouncer.ini');

/** Whether the machine has PgBouncer (CI installs it; `apt-get install pgbouncer`). */
export const hasPgBouncer = BINARY !== undefined;

export type PgBouncer = {
	port: number;
	/** `serverUrl` with its host and port replaced by PgBouncer's, for database `name`. */
	urlFor(name: string): string;
	/** Stops PgBouncer (dropping every client and server connection) and starts it again. */
	restart(): Promise<void>;
	stop(): Promise<void>;
};

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
	for (let attempt = 0; attempt < 200; attempt++) {
		if (await check()) return;
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
	throw new Error(`PgBouncer: ${what}`);
}

function readPid(file: string): number | undefined {
	const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
	return /^\d+\n$/.test(text) && Number(text) > 1 ? Number(text) : undefined;
}

const isRunning = (pid: number) => {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
};

export async function startPgBouncer(
	serverUrl: string,
	options: { clientTls?: boolean } = {}
): Promise<PgBouncer> {
	if (!BINARY) throw new Error('PgBouncer is not installed (apt-get install pgbouncer)');
	const server = new URL(serverUrl);
	const user = decodeURIComponent(server.username) || 'postgres';
	// The port is free when chosen, but another process may take it before PgBouncer binds it:
	// then PgBouncer says so in its log and exits, and the first start tries another port.
	let port = await freePort();
	// PgBouncer refuses to run as root: as root, run it as `postgres` from a folder it owns.
	const asRoot = process.getuid?.() === 0;
	const dir = mkdtempSync(path.join(tmpdir(), 'marquee-pgbouncer-'));
	chmodSync(dir, 0o755);
	const ini = path.join(dir, 'pgbouncer.ini');
	const logFile = path.join(dir, 'pgbouncer.log');
	const owned = [dir, ini, path.join(dir, 'userlist.txt')];
	let tlsSettings = '';
	if (options.clientTls) {
		// Clients must speak TLS, as managed hosts require (sslmode=require); a throwaway certificate.
		const key = path.join(dir, 'server.key');
		const cert = path.join(dir, 'server.crt');
		const pems = await selfSignedCertificate();
		writeFileSync(key, pems.key);
		writeFileSync(cert, pems.cert);
		chmodSync(key, 0o600);
		tlsSettings = `client_tls_sslmode = require\nclient_tls_key_file = ${key}\nclient_tls_cert_file = ${cert}\n`;
		owned.push(key, cert);
	}
	const writeSettings = () => {
		writeFileSync(
			ini,
			readFileSync(TEMPLATE, 'utf8')
				.replaceAll('@SERVER_HOST@', server.hostname)
				.replaceAll('@SERVER_PORT@', server.port || '5432')
				.replaceAll('@SERVER_USER@', user)
				.replaceAll('@LISTEN_PORT@', String(port))
				.replaceAll('@DIR@', dir) + tlsSettings
		);
		writeFileSync(path.join(dir, 'userlist.txt'), `"${user}" ""\n`);
		if (asRoot) {
			const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
			const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
			for (const file of owned) chownSync(file, uid, gid);
		}
	};
	writeSettings();
	const pidFile = path.join(dir, 'pgbouncer.pid');
	let pid: number | undefined;

	const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
	/** Starts PgBouncer on `port`; false when another process holds the port. */
	const launch = async (): Promise<boolean> => {
		const logBefore = readLog().length;
		const command = asRoot
			? spawnSync('su', ['postgres', '-s', '/bin/sh', '-c', `exec ${BINARY} -d ${ini}`])
			: spawnSync(BINARY, ['-d', ini]);
		if (command.status !== 0) {
			throw new Error(`PgBouncer did not start: ${command.stderr.toString()}${logTail()}`);
		}
		// Its log says whether it listens: "listening on 127.0.0.1:<port>", or "nowhere to listen on".
		let outcome: 'listening' | 'port_taken' | undefined;
		await waitFor(async () => {
			const logged = readLog().slice(logBefore);
			if (logged.includes(`listening on 127.0.0.1:${port}`)) outcome = 'listening';
			else if (logged.includes('nowhere to listen on')) outcome = 'port_taken';
			return outcome !== undefined;
		}, `no word of listening on ${port}${logTail()}`);
		if (outcome === 'port_taken') return false;
		// PgBouncer creates its pid file before it writes the pid: wait for a whole one. An empty
		// file read as 0 would make `process.kill(0)` signal our own process group (CI's shell too).
		await waitFor(async () => (pid = readPid(pidFile)) !== undefined, `no pid file${logTail()}`);
		return true;
	};
	/** A restart keeps the port: the app under test holds PgBouncer's URL. */
	const start = async () => {
		if (!(await launch())) throw new Error(`PgBouncer: port ${port} was taken${logTail()}`);
	};
	const stop = async () => {
		if (pid === undefined) return;
		const running = pid;
		pid = undefined;
		// SIGTERM: immediate shutdown, every connection dropped, like a pooler crash or redeploy.
		if (isRunning(running)) process.kill(running, 'SIGTERM');
		await waitFor(async () => !isRunning(running), `pid ${running} did not exit`);
	};
	const logTail = () => `\n${readLog().split('\n').slice(-10).join('\n')}`;

	for (let attempt = 1; !(await launch()); attempt++) {
		if (attempt === 3) throw new Error(`PgBouncer: three ports were taken${logTail()}`);
		port = await freePort();
		writeSettings();
	}
	return {
		port,
		urlFor(name) {
			const url = new URL(serverUrl);
			url.hostname = '127.0.0.1';
			url.port = String(port);
			url.pathname = `/${name}`;
			if (options.clientTls) url.searchParams.set('sslmode', 'require');
			return url.toString();
		},
		async restart() {
			await stop();
			await start();
		},
		async stop() {
			await stop();
			rmSync(dir, { recursive: true, force: true });
		}
	};
}
