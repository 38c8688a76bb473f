/**
 * Serves the in-process TMDB sandbox's web pages (approval page, avatars) in sandbox mode, and
 * 404 otherwise. TMDB's API paths (/3/...) are not served over HTTP: the app's client calls the
 * sandbox in-process, so credentials and session ids never travel in URLs the request log sees.
 * Fault injection and the control API exist only in the tests' standalone server.
 */
import { error } from '@sveltejs/kit';
import { SANDBOX_BASE_PATH } from '$lib/server/config';
import type { RequestHandler } from './$types';

/** Where the in-app sandbox may send the browser: this app's own callback, nowhere else. */
const CALLBACK_PATH = '/auth/callback';
const FORM_TYPE = 'application/x-www-form-urlencoded';

const forwardToSandbox: RequestHandler = async ({ request, params, url, locals }) => {
	const { config, sandbox } = locals.app;
	if (!sandbox || params.path.startsWith('3/') || params.path === '3') {
		error(404, 'Not found');
	}
	const origin = config.origin ?? url.origin;
	// The sandbox's paths are relative to its mount, as on the standalone server.
	const target = new URL(url);
	target.pathname = url.pathname.slice(SANDBOX_BASE_PATH.length) || '/';
	// Real TMDB sends the browser to any redirect_to; the app's own sandbox only back to the app.
	// Parsed once, against the app's origin, and the sandbox is handed the parsed URL: a value
	// read one way when checked and another when used (`/..//evil.example`) cannot slip through.
	const redirectTo = url.searchParams.get('redirect_to');
	if (redirectTo !== null) {
		const parsed = URL.canParse(redirectTo, origin) ? new URL(redirectTo, origin) : null;
		if (parsed?.origin !== origin || parsed.pathname !== CALLBACK_PATH || parsed.username) {
			error(400, 'The sandbox only sends you back to this app.');
		}
		target.searchParams.set('redirect_to', parsed.href);
	}
	// The decision is the approval page's own form, posted from this origin, and nothing else.
	if (request.method === 'POST') {
		const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
		const from = request.headers.get('origin');
		if (type !== FORM_TYPE || (from !== null && from !== origin)) {
			error(403, 'The sandbox takes decisions only from its own approval page.');
		}
	}
	const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
	return sandbox.handle(
		new Request(target, {
			method: request.method,
			headers: request.headers,
			body: hasBody ? await request.arrayBuffer() : undefined,
			signal: request.signal
		})
	);
};

export const GET = forwardToSandbox;
export const POST = forwardToSandbox;
export const DELETE = forwardToSandbox;
