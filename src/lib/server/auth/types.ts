/** What a request knows about its signed-in person; filled by the auth hook. */
export type AppUser = {
	id: string;
	tmdbAccountId: number;
	username: string;
	name: string;
	avatarPath: string | null;
	gravatarHash: string | null;
	language: string | null;
	region: string | null;
	includeAdult: boolean;
};

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
