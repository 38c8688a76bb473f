/**
 * Issue 21, item 4: a client that trickles its request (slowloris) holds a connection for at
 * most REQUEST_TIMEOUT seconds, then gets 408 and the connection is closed.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { startAppStack, type AppStack } from '../../helpers/app-stack.ts';

let stack: AppStack;
beforeAll(async () => {
	stack = await startAppStack({ REQUEST_TIMEOUT: '2' });
}, 60_000);
afterAll(async () => {
	await stack?.stop();
});

/**
 * Sends `head` at once, then `trickle` one byte every 100 ms, until the server closes the
 * connection (the event waited for). Returns what the server answered and how much was sent.
 */
function trickle(head: string, trickle: string): Promise<{ answer: string; sent: number }> {
	const { port } = new URL(stack.app.url);
	return new Promise((resolve, reject) => {
		const socket = connect(Number(port), '127.0.0.1');
		let answer = '';
		let sent = 0;
		const drip = setInterval(() => {
			if (sent < trickle.length && socket.writable) socket.write(trickle[sent++]!);
		}, 100);
		socket.on('connect', () => socket.write(head));
		socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
		socket.on('error', (error: NodeJS.ErrnoException) => {
			// The server may reset the connection while a byte is on its way: it closed it.
			if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
		});
		socket.on('close', () => {
			clearInterval(drip);
			resolve({ answer, sent });
		});
	});
}

describe('slow clients (issue 21, item 4)', () => {
	test('a form post whose body trickles in gets 408 and its connection closed', async () => {
		const body = `returnTo=/${'a'.repeat(4_000)}`;
		const { answer, sent } = await trickle(
			[
				'POST /auth/login HTTP/1.1',
				`Host: 127.0.0.1`,
				`Origin: ${stack.app.url}`,
				'Content-Type: application/x-www-form-urlencoded',
				`Content-Length: ${body.length}`,
				'',
				''
			].join('\r\n'),
			body
		);
		expect(answer).toMatch(/^HTTP\/1\.1 408 /);
		// Cut off on the way, not answered after the body was complete.
		expect(sent).toBeLessThan(body.length);
		// Nothing crashed: the request's own line says the client went away (499, as nginx has
		// it), the abort is an info line, no line is an error, and the server still answers.
		await vi.waitFor(() =>
			expect(
				stack.app.output.some((line) => /"path":"\/auth\/login","status":499/.test(line))
			).toBe(true)
		);
		const aborted = stack.app.output.filter((line) =>
			line.includes('request aborted by the client')
		);
		expect(aborted).toHaveLength(1);
		const errors = stack.app.output.filter((line) => /"level":(50|60)/.test(line));
		expect(errors).toEqual([]);
		// And the server still answers.
		expect((await fetch(`${stack.app.url}/`)).status).toBe(200);
	}, 30_000);

	test('a request whose headers trickle in gets 408 and its connection closed', async () => {
		const headers = Array.from({ length: 400 }, (_, i) => `X-Slow-${i}: ${i}\r\n`).join('');
		const { answer, sent } = await trickle('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n', headers);
		expect(answer).toMatch(/^HTTP\/1\.1 408 /);
		expect(sent).toBeLessThan(headers.length);
	}, 30_000);
});
