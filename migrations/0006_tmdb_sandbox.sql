-- The in-app TMDB sandbox's state (TMDB_SANDBOX=true), shared by every instance, so that a
-- request token handed out by one can be approved and redeemed through another (issue 26).
-- Empty and unused when the app talks to TMDB. Token values and session ids are SHA-256
-- digests; `credential` is the digest of the API key or token that created the row.
CREATE TABLE tmdb_sandbox_request_tokens (
	token_hash text PRIMARY KEY,
	credential text NOT NULL,
	expires_at timestamptz NOT NULL,
	-- null until the person decides on the approval page; then who approved, if anyone
	approved boolean,
	username text,
	used boolean NOT NULL DEFAULT false
);

CREATE INDEX tmdb_sandbox_request_tokens_expires_at_idx ON tmdb_sandbox_request_tokens (expires_at);

CREATE TABLE tmdb_sandbox_sessions (
	session_hash text PRIMARY KEY,
	credential text NOT NULL,
	username text NOT NULL
);

-- An account's row exists once its watchlist has been seeded.
CREATE TABLE tmdb_sandbox_watchlists (
	account_id bigint PRIMARY KEY
);

CREATE TABLE tmdb_sandbox_watchlist_movies (
	account_id bigint NOT NULL REFERENCES tmdb_sandbox_watchlists ON DELETE CASCADE,
	movie_id integer NOT NULL,
	-- the order movies were added in
	position bigint GENERATED ALWAYS AS IDENTITY,
	PRIMARY KEY (account_id, movie_id)
);
