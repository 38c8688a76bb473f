/**
 * A TCP proxy in front of PostgreSQL that can stall: it keeps accepting connections and holds
 * every byte, in both directions, answering nothing, as a hung network path or pooler does.
 * `resume()` forwards again. It counts connections the client closed while stalled, which is
 * how a test sees the app drop a stuck connection. `refuse()` answers each new connection as
 * a PostgreSQL server that is still starting does (FATAL 57P03), then closes it.
 */
import net from 'node:net';

export type StallProxy = {
	port: number;
	/** `databaseUrl` with its host and port replaced by the proxy's. */
	url: string;
	stall(): void;
	refuse(): void;
	resume(): void;
	/** Connections closed at once because the proxy was refusing. */
	readonly refused: number;
	/** Connections the client closed while the proxy was stalled. */
	readonly droppedWhileStalled: number;
	close(): Promise<void>;
};

/** ErrorResponse: FATAL, SQLSTATE 57P03 cannot_connect_now. */
const STARTING_UP = (() => {
	const fields = Buffer.from(
		'SFATAL\0VFATAL\0C57P03\0Mthe database system is starting up\0\0',
		'utf8'
	);
	const header = Buffer.alloc(5);
	header.write('E', 0);
	header.writeInt32BE(fields.length + 4, 1);
	return Buffer.concat([header, fields]);
})();

type Pair = { client: net.Socket; server: net.Socket; toServer: Buffer[]; toClient: Buffer[] };

export async function startStallProxy(databaseUrl: string, listenPort = 0): Promise<StallProxy> {
	const target = new URL(databaseUrl);
	let stalled = false;
	let refusing = false;
	let refused = 0;
	let droppedWhileStalled = 0;
	const pairs = new Set<Pair>();

	const proxy = net.createServer((client) => {
		if (refusing) {
			client.once('data', () => {
				refused++;
				client.end(STARTING_UP);
			});
			client.on('error', () => client.destroy());
			return;
		}
		const server = net.connect(Number(target.port || 5432), target.hostname);
		const pair: Pair = { client, server, toServer: [], toClient: [] };
		pairs.add(pair);
		client.on('data', (data) => (stalled ? pair.toServer.push(data) : server.write(data)));
		server.on('data', (data) => (stalled ? pair.toClient.push(data) : client.write(data)));
		client.on('close', () => {
			if (stalled) droppedWhileStalled++;
			pairs.delete(pair);
			server.destroy();
		});
		server.on('close', () => client.destroy());
		client.on('error', () => server.destroy());
		server.on('error', () => client.destroy());
	});
	await new Promise<void>((resolve, reject) => {
		proxy.once('error', reject);
		proxy.listen(listenPort, '127.0.0.1', resolve);
	});
	const port = (proxy.address() as net.AddressInfo).port;
	const url = new URL(databaseUrl);
	url.hostname = '127.0.0.1';
	url.port = String(port);

	return {
		port,
		url: url.toString(),
		stall: () => {
			stalled = true;
		},
		refuse: () => {
			refusing = true;
		},
		resume: () => {
			stalled = false;
			refusing = false;
			for (const pair of pairs) {
				for (const data of pair.toServer.splice(0)) pair.server.write(data);
				for (const data of pair.toClient.splice(0)) pair.client.write(data);
			}
		},
		get refused() {
			return refused;
		},
		get droppedWhileStalled() {
			return droppedWhileStalled;
		},
		close: async () => {
			for (const pair of pairs) pair.client.destroy();
			await new Promise<void>((resolve) => proxy.close(() => resolve()));
		}
	};
}
