import postgres from 'postgres';
import type { Logger } from '../log.ts';

export type Sql = postgres.Sql;

export type ConnectOptions = {
	/** Pool size; the embedded database serves one connection at a time. */
	max?: number;
	log?: Logger;
	/** Called with every query sent: how tests and the benchmark count round trips. */
	onQuery?: (query: string) => void;
	statementTimeoutMs?: number;
};

/** Opens a postgres.js pool. The app keeps exactly one per process (see `db/index.ts`). */
export function connect(url: string, options: ConnectOptions = {}): Sql {
	return postgres(url, {
		max: options.max ?? 10,
		// Fail fast when PostgreSQL is away: a request waits at most this long to connect.
		connect_timeout: 5,
		idle_timeout: 60,
		// A query running this long is a fault, not a slow page (server-side, per connection).
		connection: { statement_timeout: options.statementTimeoutMs ?? 10_000 },
		// PGlite and `IF NOT EXISTS` print notices; they are debug noise, not warnings.
		onnotice: (notice) => options.log?.debug({ notice: notice.message }, 'postgres notice'),
		transform: { undefined: null },
		debug: options.onQuery ? (_connection, query) => options.onQuery?.(query) : undefined
	});
}
