-- How interest in one posting grew: each of its competition signals' snapshots, oldest first
-- (activity::COLUMNS). Parameter: its id.
SELECT
    fetched_at,
    status,
    interviewing,
    invites_sent,
    hired,
    unanswered_invites,
    offered,
    last_client_activity,
    bid_avg::DOUBLE
FROM job_activity
WHERE job_id = ?
ORDER BY fetched_at
