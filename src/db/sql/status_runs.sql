-- `upjobpilot status`: the last ten runs.
SELECT run_id, status, pages, postings_seen, postings_new, quarantined, requests
FROM sync_runs ORDER BY run_id DESC LIMIT 10;
