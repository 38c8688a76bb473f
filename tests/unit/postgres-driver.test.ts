/**
 * The patch in src/lib/server/db/patches holds: postgres.js 3.4.9 batches small writes in a
 * setImmediate, and a connection closed while that batch was pending never wrote a small message
 * again (each reconnect's start-up message stayed in the buffer: CONNECT_TIMEOUT for ever), then
 * sent the stale bytes ahead of new ones, so a query could take another's answer. After a
 * database restart that signed people out (tests/integration/hardening/database-restart.test.ts
 * failed about one run in eight on this).
 */
import { EventEmitter } from 'node:events';
import postgres from 'postgres';
import { expect, test } from 'vitest';

type FakeSocket = EventEmitter & { written: number; readyState: string };

/**
 * A pool of one connection on sockets that never answer. `closeFirstWhile`: the first socket
 * closes while the start-up message is still batched (its close is queued ahead of the batch's
 * flush) or only once the flush has run. Returns the bytes each socket received.
 */
async function bytesPerSocket(closeFirstWhile: 'batch_pending' | 'batch_flushed') {
	const sockets: FakeSocket[] = [];
	const sql = postgres({
		host: 'fake.invalid',
		max: 1,
		connect_timeout: 1,
		// A documented option missing from postgres.js's types: the driver asks it for each socket.
		...({
			socket: () => {
				const socket = Object.assign(new EventEmitter(), { written: 0, readyState: 'open' });
				Object.assign(socket, {
					write: (bytes: Buffer) => ((socket.written += bytes.length), true),
					end: () => (socket.readyState = 'closed'),
					destroy: () => (socket.readyState = 'closed'),
					setKeepAlive: () => {}
				});
				sockets.push(socket);
				if (sockets.length === 1) {
					const close = () => socket.emit('close', false);
					if (closeFirstWhile === 'batch_pending') setImmediate(close);
					else setTimeout(close, 50);
				}
				return socket;
			}
		} as object)
	});
	sql`SELECT 1`.catch(() => undefined);
	await new Promise((resolve) => setTimeout(resolve, 400));
	await sql.end({ timeout: 0 }).catch(() => undefined);
	return sockets.map((socket) => socket.written);
}

test('a connection closed after its batched write flushed writes its start-up message on reconnect', async () => {
	const written = await bytesPerSocket('batch_flushed');
	expect(written.length).toBeGreaterThanOrEqual(2);
	expect(written[0]).toBeGreaterThan(0);
	expect(written[1]).toBeGreaterThan(0);
});

test('a connection closed while a write was batched still writes its start-up message on reconnect', async () => {
	const written = await bytesPerSocket('batch_pending');
	expect(written.length).toBeGreaterThanOrEqual(2);
	// The first socket closed before its batch went out; the reconnect must not inherit it.
	expect(written[0]).toBe(0);
	expect(written[1]).toBeGreaterThan(0);
});
