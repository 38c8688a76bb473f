/**
 * Probes for load balancers and orchestrators, answered before any other hook: no session work,
 * no rate limit, no per-request log line, no secrets. `/healthz`: the process serves requests.
 * `/readyz`: the database answers within a short bound and has every migration this build ships.
 */
import type { Handle } from '@sveltejs/kit';
import type { AppContext } from './context.ts';
import { appliedMigrationVersion } from './db/migrate.ts';
import { log } from './log.ts';

/** Short: a probe that waits long holds the balancer's decision up; a healthy query takes ~1 ms. */
const READY_TIMEOUT_MS = 2_000;

const probeAnswer = (status: number, body: Record<string, string>) =>
	new Response(JSON.stringify(body), {
		status,
		headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }
	});

async function checkReadiness({ sql, schemaVersion }: AppContext): Promise<Response> {
	let timer: NodeJS.Timeout | undefined;
	const timedOut = new Promise<never>((_resolve, reject) => {
		timer = setTimeout(() => reject(new Error('no answer in time')), READY_TIMEOUT_MS);
	});
	try {
		const applied = await Promise.race([appliedMigrationVersion(sql), timedOut]);
		if (applied < schemaVersion) {
			return probeAnswer(503, { status: 'migrations_pending' });
		}
		return probeAnswer(200, { status: 'ready' });
	} catch (error) {
		log.warn({ event: 'readiness_failed', err: error }, 'readiness probe: database unavailable');
		return probeAnswer(503, { status: 'database_unavailable' });
	} finally {
		clearTimeout(timer);
	}
}

export const handleHealthChecks: Handle = async ({ event, resolve }) => {
	const method = event.request.method;
	if (method === 'GET' || method === 'HEAD') {
		if (event.url.pathname === '/healthz') return probeAnswer(200, { status: 'ok' });
		if (event.url.pathname === '/readyz') return checkReadiness(event.locals.app);
	}
	return resolve(event);
};
