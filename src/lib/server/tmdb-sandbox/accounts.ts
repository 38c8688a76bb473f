/**
 * The sandbox's TMDB accounts. They cover the shapes real TMDB accounts come in: with a TMDB
 * avatar, with `avatar_path: null`, with an empty name, and without `avatar.tmdb` at all.
 */
import { createHash } from 'node:crypto';

export type SandboxAccount = {
	id: number;
	username: string;
	name: string;
	language: string;
	region: string;
	includeAdult: boolean;
	/** `undefined`: the account JSON has no `avatar.tmdb` object at all (seen in a 2019 capture). */
	avatarPath: string | null | undefined;
	gravatarHash: string | null;
};

export const SANDBOX_ACCOUNTS: readonly SandboxAccount[] = [
	{
		id: 4_100_001,
		username: 'ada',
		name: 'Ada Lovelace',
		language: 'en',
		region: 'GB',
		includeAdult: false,
		avatarPath: '/sandbox-ada.svg',
		gravatarHash: gravatarHashFor('ada')
	},
	{
		id: 4_100_002,
		username: 'grace',
		name: 'Grace Hopper',
		language: 'en',
		region: 'US',
		includeAdult: false,
		avatarPath: '/sandbox-grace.svg',
		gravatarHash: gravatarHashFor('grace')
	},
	{
		id: 4_100_003,
		username: 'nameless',
		name: '',
		language: 'fr',
		region: 'FR',
		includeAdult: false,
		avatarPath: null,
		gravatarHash: gravatarHashFor('nameless')
	},
	{
		id: 4_100_004,
		username: 'oldtimer',
		name: 'Old Timer',
		language: 'de',
		region: 'DE',
		includeAdult: true,
		avatarPath: undefined,
		gravatarHash: gravatarHashFor('oldtimer')
	}
];

/** What the approval page accepts as a typed username (TMDB's own rule is not documented). */
export const SANDBOX_USERNAME_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;

/** Ids of typed usernames start here, well apart from the fixed accounts above. */
const TYPED_ACCOUNT_ID_BASE = 5_000_000;
const TYPED_ACCOUNT_ID_RANGE = 1_000_000_000;

export function findSandboxAvatar(file: string): SandboxAccount | undefined {
	return SANDBOX_ACCOUNTS.find((account) => account.avatarPath === `/${file}`);
}

/**
 * The account for a username: a fixed one when it matches, otherwise a plain account whose id
 * is derived from the lower-cased name, so the same name always signs in as the same person.
 * Returns null when the name is not acceptable.
 */
export function sandboxAccountForUsername(username: string): SandboxAccount | null {
	if (!SANDBOX_USERNAME_PATTERN.test(username)) return null;
	const known = SANDBOX_ACCOUNTS.find(
		(account) => account.username.toLowerCase() === username.toLowerCase()
	);
	if (known) return known;
	const digest = createHash('sha256').update(username.toLowerCase()).digest();
	return {
		id: TYPED_ACCOUNT_ID_BASE + (digest.readUInt32BE(0) % TYPED_ACCOUNT_ID_RANGE),
		username,
		name: '',
		language: 'en',
		region: 'US',
		includeAdult: false,
		avatarPath: null,
		gravatarHash: gravatarHashFor(username.toLowerCase())
	};
}

/** Gravatar hashes are the MD5 of an e-mail address; sandbox people have made-up addresses. */
function gravatarHashFor(username: string): string {
	return createHash('md5').update(`${username}@sandbox.invalid`).digest('hex');
}

/** The account as TMDB's `GET /3/account` returns it. */
export function toTmdbAccountJson(account: SandboxAccount): Record<string, unknown> {
	const avatar: Record<string, unknown> = { gravatar: { hash: account.gravatarHash } };
	if (account.avatarPath !== undefined) avatar.tmdb = { avatar_path: account.avatarPath };
	return {
		avatar,
		id: account.id,
		iso_639_1: account.language,
		iso_3166_1: account.region,
		name: account.name,
		include_adult: account.includeAdult,
		username: account.username
	};
}
