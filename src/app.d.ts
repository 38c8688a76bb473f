import type { Logger } from 'pino';
import type { AppSession, AppUser } from '$lib/server/auth/types';

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
		}
	}
}

export {};
