-- Fixed-window counters for sign-in attempts per client address (hashed), shared by every
-- instance (R7.3). Rows are removed by the cleanup job once their window has passed.
CREATE TABLE rate_limits (
	key text PRIMARY KEY,
	window_start timestamptz NOT NULL,
	hits integer NOT NULL
);

CREATE INDEX rate_limits_window_start_idx ON rate_limits (window_start);
