/**
 * Opens postgres.js pools, directly or through a transaction-mode pooler, and bounds every wait
 * on the database on the client side: the server's statement timeout cannot help when the
 * network, a pooler or a proxy stops answering.
 */
import net from 'node:net';
import postgres from 'postgres';
import type { DatabaseConfig } from '../config.ts';
import type { Logger } from '../log.ts';

export type Sql = postgres.Sql;

export type ConnectOptions = Partial<
	Pick<DatabaseConfig, 'pooler' | 'connectTimeoutMs' | 'queryTimeoutMs'>
> & {
	/** Pool size; the embedded database serves one connection at a time. */
	max?: number;
	log?: Logger;
	/** Called with every query sent: how tests and the benchmark count round trips. */
	onQuery?: (query: string) => void;
};

/** The error a connection fails with when the database leaves a request unanswered too long. */
export const NO_ANSWER = 'DATABASE_NO_ANSWER';

/**
 * A socket that destroys itself when bytes it sent get nothing back within `timeoutMs`: a stalled
 * server, pooler or network. postgres.js then fails the connection's queries and opens a fresh
 * connection for the next one. It watches the bytes postgres.js writes: under TLS (`sslmode=...`)
 * Node's TLS layer writes beneath it, so there only the connect bound and the server's statement
 * timeout apply (docs/deployment.md).
 */
function silenceBoundedSocket(
	options: { host: string[]; port: number[]; path?: string | false },
	timeoutMs: number
): net.Socket {
	const socket = options.path
		? net.connect(options.path)
		: net.connect(options.port[0] ?? 5432, options.host[0] ?? 'localhost');
	let timer: NodeJS.Timeout | undefined;
	const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
	socket.write = ((...args: unknown[]) => {
		timer ??= setTimeout(() => {
			const error = Object.assign(
				new Error(`the database sent nothing for ${timeoutMs} ms: connection dropped`),
				{ code: NO_ANSWER }
			);
			socket.destroy(error);
		}, timeoutMs);
		return write(...args);
	}) as typeof socket.write;
	const clear = () => {
		clearTimeout(timer);
		timer = undefined;
	};
	socket.on('data', clear);
	socket.on('close', clear);
	return socket;
}

/** Opens a postgres.js pool. The app keeps exactly one per process (see `db/index.ts`). */
export function connect(url: string, options: ConnectOptions = {}): Sql {
	const pooled = options.pooler === 'transaction';
	const queryTimeoutMs = options.queryTimeoutMs ?? 10_000;
	// The server's own statement timeout answers first when the server is alive; the client's
	// bound only catches silence.
	const silenceMs = queryTimeoutMs + 1_000;
	type SocketOptions = { host: string[]; port: number[]; path?: string | false };
	// `socket` is documented in postgres.js's README (custom socket) but missing from its types.
	const settings: postgres.Options<Record<string, never>> & {
		socket: (socketOptions: SocketOptions) => net.Socket;
	} = {
		max: options.max ?? 10,
		connect_timeout: (options.connectTimeoutMs ?? 5_000) / 1000,
		idle_timeout: 60,
		// Transaction poolers hand each transaction to any server connection: a named prepared
		// statement from one is unknown on the next, so every query is parsed afresh.
		prepare: !pooled,
		// PgBouncer refuses unknown start-up parameters; pooled transactions SET LOCAL it instead.
		connection: pooled ? {} : { statement_timeout: queryTimeoutMs },
		socket: (socketOptions) => silenceBoundedSocket(socketOptions, silenceMs),
		// PGlite and `IF NOT EXISTS` print notices; they are debug noise, not warnings.
		onnotice: (notice) => options.log?.debug({ notice: notice.message }, 'postgres notice'),
		transform: { undefined: null },
		debug: options.onQuery ? (_connection, query) => options.onQuery?.(query) : undefined
	};
	const sql = postgres(url, settings);
	if (!pooled) return sql;
	// Every transaction, whoever starts it, gets the statement timeout a direct connection has
	// from its start-up parameters.
	const begin = sql.begin.bind(sql) as (...args: unknown[]) => Promise<unknown>;
	return Object.assign(sql, {
		begin: (...args: unknown[]) => {
			const work = args.pop() as (tx: postgres.TransactionSql) => unknown;
			return begin(...args, async (tx: postgres.TransactionSql) => {
				await tx.unsafe(`SET LOCAL statement_timeout = ${Math.trunc(queryTimeoutMs)}`);
				return work(tx);
			});
		}
	}) as Sql;
}

/** Names the database's host and port for messages, never its user or password. */
export function describeDatabase(url: string): string {
	try {
		const { hostname, port } = new URL(url);
		return `${hostname}:${port || '5432'}`;
	} catch {
		return 'the configured database';
	}
}
