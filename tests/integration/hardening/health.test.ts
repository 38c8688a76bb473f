import { expect, test, vi } from 'vitest';
import { useAppStack } from '../../helpers/app-stack.ts';

const stack = useAppStack();

test('/healthz and /readyz answer a probe storm with no rate limit, no cookie, no session work and no info log line', async () => {
	const probes = await Promise.all(
		Array.from({ length: 60 }, (_, n) =>
			fetch(`${stack.app.url}/${n % 2 ? 'healthz' : 'readyz'}`, {
				// A stale cookie would make any page clear it: a probe does not look at it.
				headers: { cookie: 'marquee_session=not-a-session' }
			})
		)
	);
	expect(probes.map((response) => response.status)).toEqual(Array(60).fill(200));
	expect(probes.every((response) => response.headers.get('set-cookie') === null)).toBe(true);
	expect(await (await fetch(`${stack.app.url}/healthz`)).json()).toEqual({ status: 'ok' });
	expect(await (await fetch(`${stack.app.url}/readyz`)).json()).toEqual({ status: 'ready' });
	// A page request is logged; probes are not.
	await fetch(`${stack.app.url}/`);
	// Log lines come through a pipe, a little after the answer.
	await vi.waitFor(() =>
		expect(stack.app.output.some((line) => line.includes('"path":"/"'))).toBe(true)
	);
	expect(stack.app.output.filter((line) => /healthz|readyz/.test(line))).toEqual([]);
});

test('/readyz answers 503 while a migration this build ships is missing from the database', async () => {
	const [latest] = await stack.database.sql<{ version: number; name: string }[]>`
		DELETE FROM schema_migrations
		WHERE version = (SELECT max(version) FROM schema_migrations)
		RETURNING version, name`;
	try {
		const response = await fetch(`${stack.app.url}/readyz`);
		expect(response.status).toBe(503);
		expect(await response.json()).toEqual({ status: 'migrations_pending' });
		expect((await fetch(`${stack.app.url}/healthz`)).status).toBe(200);
	} finally {
		await stack.database.sql`
			INSERT INTO schema_migrations (version, name) VALUES (${latest!.version}, ${latest!.name})`;
	}
	expect((await fetch(`${stack.app.url}/readyz`)).status).toBe(200);
});
