import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { connect } from '../../src/lib/server/db/client.ts';
import { startEmbeddedPostgres } from '../../src/lib/server/db/embedded.ts';
import { migrate } from '../../src/lib/server/db/migrate.ts';

test('R7.2 the embedded PostgreSQL keeps its rows across restarts', async () => {
	const dataDir = mkdtempSync(path.join(tmpdir(), 'marquee-pglite-'));
	try {
		const first = await startEmbeddedPostgres({ dataDir });
		const sql = connect(first.url, { max: 1 });
		await migrate(sql);
		await sql`
			INSERT INTO users (id, tmdb_account_id, username) VALUES ('u1', 42, 'persisted')`;
		await sql.end();
		await first.stop();

		const second = await startEmbeddedPostgres({ dataDir });
		const again = connect(second.url, { max: 1 });
		expect(await migrate(again)).toEqual([]);
		const rows = await again`SELECT username FROM users WHERE tmdb_account_id = 42`;
		expect(rows.map((row) => row.username)).toEqual(['persisted']);
		await again.end();
		await second.stop();
	} finally {
		rmSync(dataDir, { recursive: true, force: true });
	}
	// Two WebAssembly PostgreSQL starts: CPU-bound, and CI runs three suites side by side on two
	// cores (17 s there on Node 22, 33 s once through the pooler pass). Each step waits for its
	// event; this only bounds the whole.
}, 120_000);
