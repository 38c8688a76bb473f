/**
 * Counts the statements the server sends to PostgreSQL, on the wire. pg_stat_statements needs
 * `shared_preload_libraries` (a server restart), so instead the server gets a DATABASE_URL that
 * points at this loopback proxy, which forwards bytes unchanged and reads the client side of the
 * extended query protocol: each Sync ends one round trip, each Execute runs one statement, and
 * Parse/Bind tell which statement (postgres.js prepares named statements and then only binds them).
 *
 * Only the round-trip phase goes through the proxy; the timed phases talk to PostgreSQL directly.
 */
import net from 'node:net';

export type WireCounts = {
	/** Sync or simple Query messages. */
	roundTrips: number;
	/**
	 * Request/response exchanges on the wire: client bytes sent after the server last spoke on
	 * that connection. Without named prepared statements one parameterised query takes two
	 * (Parse/Describe/Flush, then Bind/Execute/Sync) but ends with a single Sync.
	 */
	exchanges: number;
	/** Executed statements, by their first SQL keyword (SELECT, UPDATE, DELETE, ...). */
	statements: Record<string, number>;
	/** Executed statements by their whole text, whitespace collapsed. */
	texts: Record<string, number>;
};

export type WireCounter = {
	url: string;
	counts(): WireCounts;
	reset(): void;
	close(): Promise<void>;
};

function readCString(buffer: Buffer, offset: number): [string, number] {
	const end = buffer.indexOf(0, offset);
	return [buffer.toString('utf8', offset, end), end + 1];
}

/** Parses the frontend (client → server) byte stream of one connection. */
class FrontendParser {
	private pending: Buffer = Buffer.alloc(0);
	private startupDone = false;
	private readonly prepared = new Map<string, string>();
	private bound = '';

	constructor(private readonly onMessage: (type: string, body: Buffer) => void) {}

	push(chunk: Buffer): void {
		this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
		for (;;) {
			if (!this.startupDone) {
				// Startup (and SSLRequest) messages have no type byte.
				if (this.pending.length < 4) return;
				const length = this.pending.readInt32BE(0);
				if (this.pending.length < length) return;
				const code = this.pending.readInt32BE(4);
				this.pending = this.pending.subarray(length);
				if (code !== 80877103) this.startupDone = true;
				continue;
			}
			if (this.pending.length < 5) return;
			const length = this.pending.readInt32BE(1);
			if (this.pending.length < 1 + length) return;
			const type = String.fromCharCode(this.pending[0]!);
			this.onMessage(type, this.pending.subarray(5, 1 + length));
			this.pending = this.pending.subarray(1 + length);
		}
	}

	/** The SQL text of the statement an Execute runs (after the Bind before it). */
	track(type: string, body: Buffer): string | null {
		if (type === 'P') {
			const [name, next] = readCString(body, 0);
			const [text] = readCString(body, next);
			this.prepared.set(name, text);
		} else if (type === 'B') {
			const [, next] = readCString(body, 0);
			const [statement] = readCString(body, next);
			this.bound = this.prepared.get(statement) ?? '?';
		} else if (type === 'E') {
			return this.bound;
		} else if (type === 'Q') {
			return readCString(body, 0)[0];
		}
		return null;
	}
}

function emptyCounts(): WireCounts {
	return { roundTrips: 0, exchanges: 0, statements: {}, texts: {} };
}

/** Listens on a free loopback port and forwards every connection to `targetUrl`'s server. */
export async function startWireCounter(targetUrl: string): Promise<WireCounter> {
	const target = new URL(targetUrl);
	const targetPort = Number(target.port || 5432);
	let counts = emptyCounts();
	const sockets = new Set<net.Socket>();

	const server = net.createServer((client) => {
		const upstream = net.connect(targetPort, target.hostname);
		sockets.add(client).add(upstream);
		const parser: FrontendParser = new FrontendParser((type, body) => {
			if (type === 'S') counts.roundTrips += 1;
			const text = parser.track(type, body);
			if (text === null) return;
			if (type === 'Q') counts.roundTrips += 1;
			const normalized = text.replace(/\s+/g, ' ').trim();
			const keyword = (/^\w+/.exec(normalized)?.[0] ?? '?').toUpperCase();
			counts.statements[keyword] = (counts.statements[keyword] ?? 0) + 1;
			counts.texts[normalized] = (counts.texts[normalized] ?? 0) + 1;
		});
		let awaitingReply = false;
		client.on('data', (chunk: Buffer) => {
			if (!awaitingReply) counts.exchanges += 1;
			awaitingReply = true;
			parser.push(chunk);
			upstream.write(chunk);
		});
		upstream.on('data', (chunk: Buffer) => {
			awaitingReply = false;
			client.write(chunk);
		});
		const close = () => {
			client.destroy();
			upstream.destroy();
			sockets.delete(client);
			sockets.delete(upstream);
		};
		client.on('close', close).on('error', close);
		upstream.on('close', close).on('error', close);
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	const address = server.address() as net.AddressInfo;
	const url = new URL(targetUrl);
	url.hostname = '127.0.0.1';
	url.port = String(address.port);

	return {
		url: url.toString(),
		counts: () => structuredClone(counts),
		reset: () => {
			counts = emptyCounts();
		},
		close: async () => {
			for (const socket of sockets) socket.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		}
	};
}
