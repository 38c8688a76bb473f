-- Users are TMDB accounts; Lucia's PostgreSQL adapter reads the `users` table by `id`.
CREATE TABLE users (
	id text PRIMARY KEY,
	tmdb_account_id bigint NOT NULL UNIQUE,
	username text NOT NULL,
	name text NOT NULL DEFAULT '',
	avatar_path text,
	gravatar_hash text,
	language text,
	region text,
	include_adult boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- `id` is the SHA-256 hash of the cookie token, never the token itself (R6.2).
-- `tmdb_session_id` holds the TMDB session id encrypted with AES-256-GCM (R6.2).
CREATE TABLE auth_sessions (
	id text PRIMARY KEY,
	user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	expires_at timestamptz NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	last_seen_at timestamptz NOT NULL DEFAULT now(),
	tmdb_session_id text NOT NULL,
	-- when the TMDB session was last confirmed alive (R4.4)
	tmdb_checked_at timestamptz NOT NULL DEFAULT now(),
	user_agent text
);

CREATE INDEX auth_sessions_user_id_idx ON auth_sessions (user_id);
CREATE INDEX auth_sessions_expires_at_idx ON auth_sessions (expires_at);
