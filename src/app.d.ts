import type { Logger } from 'pino';
import type { AppSession, AppUser } from '$lib/server/auth/types';
import type { AppContext } from '$lib/server/context';

declare global {
	namespace App {
		interface Error {
			message: string;
			errorId?: string;
		}
		interface Locals {
			/** The app's configuration, pool, TMDB client and sessions, built once at start. */
			app: AppContext;
			requestId: string;
			log: Logger;
			user: AppUser | null;
			session: AppSession | null;
		}
	}
}

export {};
