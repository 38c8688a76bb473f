import { dev } from '$app/environment';
import { env } from '$env/dynamic/private';
import {
	deleteSessionCookie,
	readSessionCookie,
	setSessionCookie
} from '$lib/server/auth/sessions';
import { databaseUnavailable, isDatabaseOutage } from '$lib/server/db/outage';
import { handleHealthChecks } from '$lib/server/health';
import { log, loggablePath, setLogOutput } from '$lib/server/log';
import { handleCrossSiteRequests } from '$lib/server/security/cross-site';
import { handlePageHeaders } from '$lib/server/security/headers';
import type { AppContext } from '$lib/server/context';
import { startServer } from '$lib/server/startup';
import type { Handle, HandleServerError, ServerInit } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import { randomUUID } from 'node:crypto';

/** Built once in `init`, before the first request. */
let app: AppContext;

export const init: ServerInit = async () => {
	// Readable lines in development; `dev` is false at build time, so production never loads
	// pino-pretty (a dev dependency) and keeps one JSON object per line on stdout.
	if (dev) {
		const { build } = await import('pino-pretty');
		setLogOutput(
			build({ colorize: true, ignore: 'app,pid,hostname', translateTime: 'SYS:HH:MM:ss.l' })
		);
	}
	app = await startServer(env, dev);
};

const handleContext: Handle = ({ event, resolve }) => {
	event.locals.app = app;
	return resolve(event);
};

const handleRequestLog: Handle = async ({ event, resolve }) => {
	const started = performance.now();
	event.locals.requestId = randomUUID();
	event.locals.log = log.child({ requestId: event.locals.requestId });
	const response = await resolve(event);
	event.locals.log.info(
		{
			method: event.request.method,
			path: loggablePath(event.url.pathname),
			// 499, as nginx logs it: the client went away mid-request (see handleError).
			status: event.request.signal.aborted ? 499 : response.status,
			durationMs: Math.round(performance.now() - started)
		},
		'request'
	);
	return response;
};

/**
 * The session check of every request: always sets the auth locals (the person and their session,
 * or null), sends the cookie again when the expiry slid, and clears a cookie that no longer names
 * a valid session.
 */
const handleAuth: Handle = async ({ event, resolve }) => {
	event.locals.user = null;
	event.locals.session = null;
	const token = readSessionCookie(event);
	if (!token) return resolve(event);
	const { sessions } = event.locals.app;
	let validated: Awaited<ReturnType<typeof sessions.validateSessionToken>>;
	try {
		validated = await sessions.validateSessionToken(token);
	} catch (error) {
		if (!isDatabaseOutage(error)) throw error;
		return databaseUnavailable(event.locals.log, error);
	}
	const { session, user } = validated;
	if (session) {
		if (session.fresh) setSessionCookie(event, token, session.expiresAt);
		event.locals.session = session;
		event.locals.user = user;
		sessions.scheduleTmdbCheck(session, event.locals.log);
	} else {
		event.locals.log.info(
			{ event: 'session_invalid' },
			'invalid or expired session cookie cleared'
		);
		deleteSessionCookie(event);
	}
	return resolve(event);
};

// The page's headers wrap everything after them, so the cross-site refusal carries them too.
export const handle: Handle = sequence(
	handleContext,
	// Probes first: they skip the request log, the security checks and the session.
	handleHealthChecks,
	handleRequestLog,
	handlePageHeaders,
	handleCrossSiteRequests,
	handleAuth
);

export const handleError: HandleServerError = ({ error, event, status, message }) => {
	const errorId = randomUUID();
	const requestLog = event.locals.log ?? log;
	if (event.request.signal.aborted) {
		// The client went away while sending its request (REQUEST_TIMEOUT cut it off, or it hung
		// up): nobody waits for this answer, and nothing of ours failed.
		requestLog.info({ errorId, reason: 'client_gone' }, 'request aborted by the client');
	} else if (status >= 500) {
		requestLog.error({ err: error, errorId, status }, 'unhandled error');
	} else if (status !== 404) {
		// SvelteKit's own refusals (413, 415...): the client's mistake, not a crash of ours.
		requestLog.info({ errorId, status, reason: message }, 'request refused');
	}
	return { message: status === 404 ? 'Page not found' : message, errorId };
};
