-- The housekeeping tick deletes what has expired: these let it find those rows without a scan.
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
CREATE INDEX rate_limits_by_window ON rate_limits (window_start);
