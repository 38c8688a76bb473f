/**
 * The sandbox's movies, the watchlist each account starts with, and the pages of a watchlist
 * (the lists themselves are kept by the sandbox's state, protocol-state.ts). Shapes follow TMDB's API reference for
 * `GET /3/account/{account_id}/watchlist/movies` and `POST /3/account/{account_id}/watchlist`;
 * where TMDB's behaviour is undocumented the choice is marked "Guess" (listed in docs/tmdb.md).
 *
 * Titles, original titles and years are those of real (mostly silent-era) films; ids, exact
 * dates, overviews and posters are the sandbox's own: they are not TMDB's.
 */
import { createHash } from 'node:crypto';
import type { SandboxAccount } from './accounts.ts';

export type SandboxMovie = {
	id: number;
	title: string;
	originalTitle: string;
	originalLanguage: string;
	/** `YYYY-MM-DD`, or '' for an unreleased film (TMDB sends an empty string then). */
	releaseDate: string;
	overview: string;
	/** false: TMDB's `poster_path: null`. */
	hasPoster: boolean;
};

/** TMDB pages account lists by 20. */
export const WATCHLIST_PAGE_SIZE = 20;
/** TMDB refuses pages outside 1–500 with status_code 22. */
export const MAX_PAGE = 500;
const FIRST_MOVIE_ID = 9_100_001;

const movie = (
	title: string,
	releaseDate: string,
	overview: string,
	original: { title?: string; language?: string } = {},
	hasPoster = true
) => ({
	title,
	originalTitle: original.title ?? title,
	originalLanguage: original.language ?? 'en',
	releaseDate,
	overview,
	hasPoster
});

export const SANDBOX_MOVIES: readonly SandboxMovie[] = [
	movie(
		'Metropolis',
		'1927-01-10',
		'A city of towers above, workers below, and a machine that looks like a woman.',
		{ language: 'de' }
	),
	movie(
		'Nosferatu',
		'1922-03-04',
		'An estate agent travels to the Carpathians to sell a house to a count who never sleeps at night.',
		{ title: 'Nosferatu, eine Symphonie des Grauens', language: 'de' }
	),
	movie(
		'The General',
		'1926-12-31',
		'A railway engineer chases his stolen locomotive across enemy lines.'
	),
	movie(
		'Sherlock Jr.',
		'1924-04-21',
		'A projectionist who wants to be a detective dreams himself into the film he is showing.'
	),
	movie(
		'The Cabinet of Dr. Caligari',
		'1920-02-26',
		'A fairground showman and his sleepwalker arrive in a crooked little town.',
		{ title: 'Das Cabinet des Dr. Caligari', language: 'de' }
	),
	movie(
		'A Trip to the Moon',
		'1902-09-01',
		'Astronomers are fired from a cannon and land in the eye of the Moon.',
		{ title: 'Le Voyage dans la Lune', language: 'fr' }
	),
	movie(
		'The Gold Rush',
		'1925-06-26',
		'A lone prospector braves the Klondike, a blizzard and a very hungry partner.'
	),
	movie(
		'Battleship Potemkin',
		'1925-12-21',
		'Sailors refuse rotten meat, and a port city takes their side.',
		{ title: 'Bronenosets Potyomkin', language: 'ru' }
	),
	movie(
		'The Kid',
		'1921-02-06',
		'A tramp raises an abandoned baby, until the authorities come for the boy.'
	),
	movie(
		'Safety Last!',
		'1923-04-01',
		'A shop clerk promises a publicity stunt and ends up climbing the building himself.'
	),
	movie(
		'The Passion of Joan of Arc',
		'1928-04-21',
		'The trial of Joan of Arc, told almost entirely in close-ups.',
		{ title: "La Passion de Jeanne d'Arc", language: 'fr' }
	),
	movie(
		'Sunrise: A Song of Two Humans',
		'1927-09-23',
		'A farmer tempted by a woman from the city takes his wife across the lake.'
	),
	movie(
		'Steamboat Bill, Jr.',
		'1928-05-12',
		'A college boy joins his father on a river steamer just before the cyclone.'
	),
	movie(
		'Nanook of the North',
		'1922-06-11',
		'A year in the life of an Inuit family on the shores of Hudson Bay.'
	),
	movie(
		'The Phantom of the Opera',
		'1925-09-06',
		'A masked figure haunts the Paris Opera and the young singer he adores.'
	),
	movie(
		'Man with a Movie Camera',
		'1929-01-08',
		'A day in the life of a city, seen by a cameraman who is everywhere at once.',
		{ title: 'Chelovek s kino-apparatom', language: 'uk' }
	),
	movie(
		'The Lodger',
		'1927-02-14',
		'A quiet stranger takes a room in London while a killer stalks the fog.'
	),
	movie(
		"Pandora's Box",
		'1929-01-30',
		'A dancer brings ruin to everyone who loves her, and then to herself.',
		{ title: 'Die Büchse der Pandora', language: 'de' }
	),
	movie(
		'The Great Train Robbery',
		'1903-12-01',
		'Bandits hold up a train, and a posse rides after them.'
	),
	movie('The Last Laugh', '1924-12-23', 'A proud hotel doorman is demoted to washroom attendant.', {
		title: 'Der letzte Mann',
		language: 'de'
	}),
	movie(
		'Faust',
		'1926-10-14',
		'An old scholar trades his soul for youth in a wager between heaven and hell.',
		{ language: 'de' }
	),
	movie('The Crowd', '1928-02-18', 'An ordinary clerk in New York waits for his big chance.'),
	movie(
		'Our Hospitality',
		'1923-11-19',
		'A young man travels south to claim an estate and walks into a family feud.'
	),
	movie(
		'City Lights',
		'1931-01-30',
		'A tramp falls for a blind flower seller and sets out to pay for her operation.'
	),
	movie('M', '1931-05-11', 'A city hunts a child murderer, and so does its underworld.', {
		language: 'de'
	}),
	movie(
		'Modern Times',
		'1936-02-05',
		'A factory worker fights the assembly line and loses, cheerfully.'
	),
	movie('Un Chien Andalou', '1929-06-06', 'Sixteen minutes of dream logic, ants and a razor.', {
		language: 'fr'
	}),
	movie(
		'The Navigator',
		'1924-10-13',
		'Two rich young people drift out to sea alone on an empty ocean liner.'
	),
	// Shapes TMDB also sends: no poster, and an unreleased film with an empty release date.
	movie(
		'A Film Without a Poster',
		'1931-10-01',
		'The sandbox stands in for TMDB films that have no poster yet.',
		{},
		false
	),
	movie(
		'An Unreleased Sandbox Picture',
		'',
		'Announced, not yet released: TMDB sends an empty release date.',
		{},
		false
	)
].map((entry, index) => ({ id: FIRST_MOVIE_ID + index, ...entry }));

const moviesById = new Map(SANDBOX_MOVIES.map((entry) => [entry.id, entry]));

export function findSandboxMovie(id: number): SandboxMovie | undefined {
	return moviesById.get(id);
}

/** Seeded watchlists: ada has two pages, nameless none (the empty state), typed names three. */
const SEEDS: Record<string, readonly number[]> = {
	ada: [...SANDBOX_MOVIES.slice(0, 21), ...SANDBOX_MOVIES.slice(-2)].map((entry) => entry.id),
	grace: SANDBOX_MOVIES.slice(21, 27).map((entry) => entry.id),
	nameless: [],
	oldtimer: [SANDBOX_MOVIES[18], SANDBOX_MOVIES[5], SANDBOX_MOVIES[27]].map((entry) => entry!.id)
};
const TYPED_ACCOUNT_SEED_SIZE = 3;

/** The watchlist an account starts with; a typed username, three films picked from its name. */
export function seedFor(account: SandboxAccount): number[] {
	const fixed = SEEDS[account.username.toLowerCase()];
	if (fixed) return [...fixed];
	// The last two films (no poster, unreleased) are left to ada's list.
	const choices = SANDBOX_MOVIES.length - 2;
	const start = createHash('sha256')
		.update(account.username.toLowerCase())
		.digest()
		.readUInt32BE(0);
	return Array.from(
		{ length: TYPED_ACCOUNT_SEED_SIZE },
		(_, offset) => SANDBOX_MOVIES[(start + offset) % choices]!.id
	);
}

export type WatchlistChange = 'added' | 'already_there' | 'removed';

/** One page of a watchlist (movie ids in the order added), oldest first unless `descending`. */
export function watchlistPage(ids: number[], page: number, descending: boolean) {
	const ordered = descending ? [...ids].reverse() : ids;
	const start = (page - 1) * WATCHLIST_PAGE_SIZE;
	return {
		movies: ordered.slice(start, start + WATCHLIST_PAGE_SIZE).map((id) => moviesById.get(id)!),
		totalResults: ids.length,
		// Guess: an empty list reports one (empty) page, as TMDB's searches do.
		totalPages: Math.max(1, Math.ceil(ids.length / WATCHLIST_PAGE_SIZE))
	};
}

/** Served by the sandbox at `/t/p/{size}/sandbox-poster-{id}.svg` (images.ts). */
export function posterPathOf(entry: SandboxMovie): string | null {
	return entry.hasPoster ? `/sandbox-poster-${entry.id}.svg` : null;
}

export function findSandboxMovieByPoster(file: string): SandboxMovie | undefined {
	const id = /^sandbox-poster-(\d{1,9})\.svg$/.exec(file)?.[1];
	const entry = id === undefined ? undefined : moviesById.get(Number(id));
	return entry?.hasPoster ? entry : undefined;
}

/** A movie as TMDB's account lists return it, with every field of TMDB's reference. */
export function toTmdbMovieJson(entry: SandboxMovie): Record<string, unknown> {
	return {
		adult: false,
		backdrop_path: null,
		genre_ids: [],
		id: entry.id,
		original_language: entry.originalLanguage,
		original_title: entry.originalTitle,
		overview: entry.overview,
		popularity: 1,
		poster_path: posterPathOf(entry),
		release_date: entry.releaseDate,
		title: entry.title,
		video: false,
		vote_average: 0,
		vote_count: 0
	};
}
