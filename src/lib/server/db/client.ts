/**
 * Opens postgres.js pools, directly or through a transaction-mode pooler, and bounds every wait
 * on the database on the client side: the server's statement timeout cannot help when the
 * network, a pooler or a proxy stops answering.
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import postgres from 'postgres';
import type { DatabaseConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { observeStatements } from '../observability.ts';

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

/** What postgres.js passes to its `socket` option (documented in its README, not in its types). */
type SocketOptions = { host: string[]; port: number[]; path?: string | false };

/** The error a connection fails with when the database leaves a request unanswered too long. */
export const NO_ANSWER = 'DATABASE_NO_ANSWER';

/**
 * The socket postgres.js talks through: it destroys itself when bytes it sent get nothing back
 * within `timeoutMs` (a stalled server, pooler or network). postgres.js then fails the
 * connection's queries and opens a fresh connection for the next one. A stream of our own
 * rather than a patched net.Socket, because under TLS Node's TLS layer reads and writes a
 * net.Socket's handle directly, beneath any patch, but goes through a plain stream's methods.
 */
class SilenceBoundedSocket extends Duplex {
	private timer: NodeJS.Timeout | undefined;

	constructor(
		private readonly raw: net.Socket,
		private readonly timeoutMs: number
	) {
		// Closed only by the deferred destroy below, so the close carries the error.
		super({ allowHalfOpen: false, autoDestroy: false });
		raw.on('data', (chunk: Buffer) => {
			this.clearTimer();
			if (!this.push(chunk)) raw.pause();
		});
		raw.on('end', () => this.push(null));
		let failure: Error | undefined;
		raw.on('error', (error) => (failure = error));
		// As late as a net.Socket's own 'close' (after the loop's check phase): postgres.js
		// flushes its writes in a setImmediate, and a connection closed before that flush is
		// never written to again.
		raw.on('close', () => {
			// Closed by the other side while an answer was due: an outage, not a quiet end.
			failure ??= this.timer
				? Object.assign(new Error('the database closed the connection without answering'), {
						code: 'CONNECTION_CLOSED'
					})
				: undefined;
			setImmediate(() => this.destroy(failure));
		});
	}

	get readyState(): string {
		return this.raw.readyState;
	}

	setKeepAlive(enable?: boolean, initialDelay?: number): this {
		this.raw.setKeepAlive(enable, initialDelay);
		return this;
	}

	override _read(): void {
		this.raw.resume();
	}

	override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void) {
		// The socket is gone and its error on the way: the bytes have nowhere to go.
		if (this.raw.destroyed) return done();
		if (this.timeoutMs > 0)
			this.timer ??= setTimeout(() => {
				const error = new Error(`the database sent nothing for ${this.timeoutMs} ms`);
				this.destroy(Object.assign(error, { code: NO_ANSWER }));
			}, this.timeoutMs);
		this.raw.write(chunk, done);
	}

	override _final(done: () => void): void {
		// Our own goodbye (Terminate) expects no answer.
		this.clearTimer();
		this.raw.end(done);
	}

	override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
		this.clearTimer();
		this.raw.destroy();
		done(error);
	}

	private clearTimer(): void {
		clearTimeout(this.timer);
		this.timer = undefined;
	}
}

/** One host: a custom socket replaces postgres.js's host rotation, so config refuses host lists. */
function openSocket(options: SocketOptions, timeoutMs: number): SilenceBoundedSocket {
	const raw = options.path
		? net.connect(options.path)
		: net.connect(options.port[0] ?? 5432, options.host[0] ?? 'localhost');
	raw.setNoDelay(true);
	return new SilenceBoundedSocket(raw, timeoutMs);
}

/** Opens a postgres.js pool. The app keeps exactly one per process (see `db/index.ts`). */
export function connect(url: string, options: ConnectOptions = {}): Sql {
	const pooled = options.pooler === 'transaction';
	const queryTimeoutMs = options.queryTimeoutMs ?? 10_000;
	// The server's own statement timeout answers first when the server is alive; the client's
	// bound only catches silence. 0 (bulk tools such as the benchmark's seeding): no bound.
	const silenceMs = queryTimeoutMs > 0 ? queryTimeoutMs + 1_000 : 0;
	const settings: postgres.Options<Record<string, never>> & {
		socket: (socketOptions: SocketOptions) => Duplex;
	} = {
		max: options.max ?? 10,
		connect_timeout: (options.connectTimeoutMs ?? 5_000) / 1000,
		idle_timeout: 60,
		// Transaction poolers hand each transaction to any server connection: a named prepared
		// statement from one is unknown on the next, so every query is parsed afresh.
		prepare: !pooled,
		// PgBouncer refuses unknown start-up parameters; pooled transactions SET LOCAL it instead.
		connection: pooled ? {} : { statement_timeout: queryTimeoutMs },
		socket: (socketOptions) => openSocket(socketOptions, silenceMs),
		// PGlite and `IF NOT EXISTS` print notices; they are debug noise, not warnings.
		onnotice: (notice) => options.log?.debug({ notice: notice.message }, 'postgres notice'),
		transform: { undefined: null },
		debug: options.onQuery ? (_connection, query) => options.onQuery?.(query) : undefined
	};
	// Timed and counted for the metrics when they are on (docs/observability.md).
	const sql = observeStatements(postgres(url, settings), settings.max!);
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
