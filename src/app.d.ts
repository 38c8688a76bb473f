import type { Logger } from 'pino';
import type { AppSession, AppUser } from '$lib/server/auth/types';
import type { TmdbSessionClient } from '$lib/server/tmdb/client';

declare global {
	namespace App {
		interface Error {
			message: string;
			errorId?: string;
		}
		interface Locals {
			requestId: string;
			log: Logger;
			user: AppUser | null;
			session: AppSession | null;
			/** TMDB as the signed-in person; null when signed out (auth/tmdb-session.ts). */
			tmdb: TmdbSessionClient | null;
		}
	}
}

export {};
