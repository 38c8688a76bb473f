-- TMDB sessions still to be deleted at TMDB: those of expired app sessions, and those whose
-- DELETE failed at sign-out. TMDB sessions never expire by themselves, so the cleanup job keeps
-- trying each until TMDB confirms, with a growing delay between attempts.
CREATE TABLE tmdb_session_ends (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	-- Sealed like auth_sessions.tmdb_session_id, never the plain id.
	tmdb_session_id text NOT NULL,
	attempts integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL
);

CREATE INDEX tmdb_session_ends_next_attempt_at_idx ON tmdb_session_ends (next_attempt_at);
