/**
 * TMDB's example bodies (its API reference, and tmdb-auth-api.md's documented answers and real
 * captures), kept verbatim: the contract test checks the sandbox against them, the schema tests
 * parse them.
 */
export const DOCUMENTED = {
	authentication: { success: true, status_code: 1, status_message: 'Success.' },
	invalidKey: {
		status_code: 7,
		status_message: 'Invalid API key: You must be granted a valid key.',
		success: false
	},
	tokenNew: {
		success: true,
		expires_at: '2016-08-26 17:04:39 UTC',
		request_token: 'ff5c7eeb5a8870efe3cd7fc5c282cffd26800ecd'
	},
	sessionNew: { success: true, session_id: '79191836ddaa0da3df76a5ffef6f07ad6ab0c641' },
	deleteSession: { success: true },
	account: {
		avatar: {
			gravatar: { hash: 'c9e9fc152ee756a900db85757c29815d' },
			tmdb: { avatar_path: '/xy44UvpbTgzs9kWmp4C3fEaCl5h.png' }
		},
		id: 548,
		iso_639_1: 'en',
		iso_3166_1: 'CA',
		name: 'Travis Bell',
		include_adult: false,
		username: 'travisbell'
	},
	sessionDenied: { failure: true, status_code: 17, status_message: 'Session denied.' },
	rateLimited: {
		status_code: 25,
		status_message: 'Your request count (46) is over the allowed limit of 40.'
	},
	invalidTokenWithoutSuccess: {
		status_code: 33,
		status_message: 'Invalid request token: The request token is either expired or invalid.'
	},
	authenticationFailedWithoutSuccess: {
		status_code: 3,
		status_message: 'Authentication failed: You do not have permissions to access the service.'
	},
	// TMDB's API reference, GET /3/account/{account_id}/watchlist/movies (one result kept).
	watchlistMovies: {
		page: 1,
		results: [
			{
				adult: false,
				backdrop_path: '/rgNzvSagnlc32TuMEBa529QFIig.jpg',
				genre_ids: [878],
				id: 76726,
				original_language: 'en',
				original_title: 'Chronicle',
				overview: 'Three high school students make an incredible discovery.',
				popularity: 37.148,
				poster_path: '/xENglsVIIWEEhhB5lgpy33tGcKI.jpg',
				release_date: '2012-02-01',
				title: 'Chronicle',
				video: false,
				vote_average: 6.822,
				vote_count: 4741
			}
		],
		total_pages: 34,
		total_results: 677
	},
	// TMDB's API reference, POST /3/account/{account_id}/watchlist.
	watchlistUpdate: { status_code: 1, status_message: 'Success.' }
};
