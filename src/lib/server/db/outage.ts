/**
 * Tells a database outage (server down, restarting, unreachable, timed out) from a bug, so
 * requests can answer 503 and recover by themselves once PostgreSQL is back: postgres.js
 * reconnects on the next query.
 */
import type { Logger } from '../log.ts';
import { statusPage } from '../status-page.ts';
import { NO_ANSWER } from './client.ts';

const OUTAGE_CODES = new Set([
	'ECONNREFUSED',
	'ECONNRESET',
	'ETIMEDOUT',
	'EPIPE',
	'ENOTFOUND',
	'EAI_AGAIN',
	'CONNECT_TIMEOUT',
	'CONNECTION_CLOSED',
	'CONNECTION_ENDED',
	'CONNECTION_DESTROYED',
	// Our client-side bound: a connection that stayed silent (db/client.ts).
	NO_ANSWER,
	// Node's own, when a query is written to the database socket as it closes (the socket is a
	// stream of ours, db/client.ts); which of these, if any, depends on timing and Node version.
	'ERR_STREAM_DESTROYED',
	'ERR_STREAM_WRITE_AFTER_END',
	'ERR_STREAM_PREMATURE_CLOSE',
	// too_many_connections: PostgreSQL or a pooler at its limit.
	'53300',
	// PostgreSQL: admin_shutdown, crash_shutdown, cannot_connect_now, query_canceled (statement_timeout)
	'57P01',
	'57P02',
	'57P03',
	'57014'
]);

export function isDatabaseOutage(error: unknown): boolean {
	if (typeof error !== 'object' || error === null) return false;
	const code = (error as { code?: unknown }).code;
	if (typeof code === 'string' && OUTAGE_CODES.has(code)) return true;
	// SQLSTATE class 08, connection exceptions: PgBouncer reports a lost or unreachable server so.
	if (typeof code === 'string' && /^08[0-9A-Z]{3}$/.test(code)) return true;
	const errors = (error as { errors?: unknown }).errors;
	return Array.isArray(errors) && errors.some(isDatabaseOutage);
}

/** The answer to a request that needs the database while it is away: 503, try again soon. */
export function databaseUnavailable(log: Logger, error: unknown): Response {
	log.error({ event: 'database_unavailable', err: error }, 'database unavailable');
	return statusPage(
		503,
		'Marquee is unavailable',
		'We cannot reach our database right now. Please try again in a minute.',
		{ 'retry-after': '30' }
	);
}
