/**
 * The embedded PostgreSQL: PGlite served on a loopback port by pglite-socket, so the app
 * reaches it through postgres.js like any server and there is no second code path for queries.
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { mkdirSync } from 'node:fs';

export type EmbeddedPostgres = { url: string; stop: () => Promise<void> };

/**
 * Starts PGlite. With `dataDir` the database persists there; without it, it lives in memory.
 * `port: 0` picks a free port.
 */
export async function startEmbeddedPostgres(
	options: { dataDir?: string; port?: number; maxConnections?: number } = {}
): Promise<EmbeddedPostgres> {
	if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
	const db = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
	const server = new PGLiteSocketServer({
		db,
		host: '127.0.0.1',
		port: options.port ?? 0,
		// PGlite runs one session: a second client shares it, so only tests that never overlap
		// their queries with the app's (they read between requests) ask for more than one.
		maxConnections: options.maxConnections ?? 1
	});
	await server.start();
	const address = server.getServerConn();
	return {
		url: `postgres://postgres@${address}/postgres?sslmode=disable`,
		stop: async () => {
			await server.stop();
			await db.close();
		}
	};
}
