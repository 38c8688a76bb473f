/** What a request knows about its signed-in person; filled by the auth hook. */
import type { UserRow } from '../db/auth.ts';

export type AppUser = { id: string } & UserRow;

export type AppSession = {
	/** SHA-256 hash of the cookie token (the row's primary key); never the token itself. */
	id: string;
	userId: string;
	expiresAt: Date;
	createdAt: Date;
	lastSeenAt: Date;
	tmdbCheckedAt: Date;
	userAgent: string | null;
	/** The expiry moved during this request, so the cookie must be sent again. */
	fresh: boolean;
};
