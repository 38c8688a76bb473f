-- When each TMDB session joined the queue of those still to be ended at TMDB: the metrics report
-- the age of the oldest (docs/observability.md). The database's clock, read by the same database.
ALTER TABLE tmdb_session_ends ADD COLUMN queued_at timestamptz NOT NULL DEFAULT now();
