-- `schedule status`, `status` and `doctor`: when the last sync started, how it ended.
SELECT strftime(started_at::TIMESTAMP, '%Y-%m-%dT%H:%M:%SZ'), status
FROM sync_runs ORDER BY run_id DESC LIMIT 1;
