import type { RequestEvent } from '@sveltejs/kit';
import { isSecureRequest } from './handle.ts';
import type { LoginContext } from './login.ts';
import type { AuthServices } from '../services.ts';

/** The parts of a SvelteKit request that the handshake needs. */
export function loginContextOf(services: AuthServices, event: RequestEvent): LoginContext {
	return {
		cookies: event.cookies,
		secure: isSecureRequest(event),
		origin: services.config.origin ?? event.url.origin,
		userAgent: event.request.headers.get('user-agent'),
		log: event.locals.log,
		currentSession: event.locals.session
	};
}
