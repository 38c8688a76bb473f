/**
 * Serves the in-process TMDB sandbox's web pages (approval page, avatars) in sandbox mode, and
 * 404 otherwise. TMDB's API paths (/3/...) are not served over HTTP: the app's client calls the
 * sandbox in-process, so credentials and session ids never travel in URLs the request log sees.
 * Fault injection and the control API exist only in the tests' standalone server.
 */
import { error } from '@sveltejs/kit';
import { SANDBOX_BASE_PATH } from '$lib/server/config';
import type { RequestHandler } from './$types';

const forwardToSandbox: RequestHandler = async ({ request, params, url, locals }) => {
	const { config, sandbox } = locals.app;
	if (!sandbox || params.path.startsWith('3/') || params.path === '3') {
		error(404, 'Not found');
	}
	// Real TMDB sends the browser to any redirect_to; the app's own sandbox only back to the app.
	const redirectTo = url.searchParams.get('redirect_to');
	if (redirectTo !== null && !pointsInto(redirectTo, config.origin ?? url.origin)) {
		error(400, 'The sandbox only sends you back to this app.');
	}
	// The sandbox's paths are relative to its mount, as on the standalone server.
	const target = new URL(url);
	target.pathname = url.pathname.slice(SANDBOX_BASE_PATH.length) || '/';
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

function pointsInto(target: string, origin: string): boolean {
	return URL.canParse(target, origin) && new URL(target, origin).origin === origin;
}
