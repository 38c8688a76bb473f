import { dev } from '$app/environment';
import { env } from '$env/dynamic/private';
import { handleAuth } from '$lib/server/auth/handle';
import { handleHealthChecks } from '$lib/server/health';
import { log, setLogOutput, withRequestLog } from '$lib/server/log';
import { handleCrossSiteRequests } from '$lib/server/security/cross-site';
import { handleSecurityHeaders } from '$lib/server/security/headers';
import { startServer } from '$lib/server/startup';
import type { Handle, HandleServerError, ServerInit } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import { randomUUID } from 'node:crypto';

export const init: ServerInit = async () => {
	// Readable lines in development; `dev` is false at build time, so production never loads
	// pino-pretty (a dev dependency) and keeps one JSON object per line on stdout.
	if (dev) {
		const { build } = await import('pino-pretty');
		setLogOutput(
			build({ colorize: true, ignore: 'app,pid,hostname', translateTime: 'SYS:HH:MM:ss.l' })
		);
	}
	await startServer(env, dev);
};

const handleRequestLog: Handle = async ({ event, resolve }) => {
	const started = performance.now();
	event.locals.requestId = randomUUID();
	event.locals.log = log.child({ requestId: event.locals.requestId });
	event.locals.user = null;
	event.locals.session = null;
	const response = await withRequestLog(event.locals.log, () => resolve(event));
	event.locals.log.info(
		{
			method: event.request.method,
			path: event.url.pathname,
			status: response.status,
			durationMs: Math.round(performance.now() - started)
		},
		'request'
	);
	return response;
};

export const handle: Handle = sequence(
	// Probes first: they skip the request log, the security checks and the session.
	handleHealthChecks,
	handleRequestLog,
	handleCrossSiteRequests,
	handleSecurityHeaders,
	handleAuth
);

export const handleError: HandleServerError = ({ error, event, status, message }) => {
	const errorId = randomUUID();
	if (status !== 404) {
		(event.locals.log ?? log).error({ err: error, errorId, status }, 'unhandled error');
	}
	return { message: status === 404 ? 'Page not found' : message, errorId };
};
