-- Notices: the requests the recorded syncs sent since a time (the day's start, UTC). Parameter:
-- the time.
SELECT coalesce(sum(requests), 0)::BIGINT FROM sync_runs WHERE started_at >= ?;
