-- The session lookup of every signed-in request, as a function. Planning the join costs about
-- three times as much as running it, and PL/pgSQL keeps the plan per server connection, so each
-- request pays for the run alone. Unlike a prepared statement this also holds behind a
-- transaction-mode pooler, whose server connections keep the plan while clients come and go.
CREATE FUNCTION auth_session_and_user(session_id text)
RETURNS TABLE (
	id text,
	user_id text,
	expires_at timestamptz,
	created_at timestamptz,
	last_seen_at timestamptz,
	tmdb_checked_at timestamptz,
	tmdb_session_id text,
	user_agent text,
	tmdb_account_id bigint,
	username text,
	name text,
	avatar_path text,
	gravatar_hash text,
	language text,
	region text,
	include_adult boolean
)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
	RETURN QUERY
	SELECT s.id, s.user_id, s.expires_at, s.created_at, s.last_seen_at, s.tmdb_checked_at,
		s.tmdb_session_id, s.user_agent,
		u.tmdb_account_id, u.username, u.name, u.avatar_path, u.gravatar_hash, u.language,
		u.region, u.include_adult
	FROM auth_sessions s JOIN users u ON u.id = s.user_id
	WHERE s.id = session_id;
END
$$;
