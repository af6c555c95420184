-- Signals: the staged snapshots into job_activity (a snapshot already stored stays as it is),
-- then the staging table dropped. No parameters.
INSERT INTO job_activity
SELECT
    job_id,
    make_timestamp(fetched_us)::TIMESTAMPTZ,
    reason,
    status,
    invites_sent,
    interviewing,
    hired,
    unanswered_invites,
    offered,
    recommended,
    make_timestamp(last_client_activity_us)::TIMESTAMPTZ,
    last_client_activity_text,
    bid_avg,
    bid_min,
    bid_max,
    bid_avg_interviewed
FROM stage_activity
ON CONFLICT DO NOTHING;
DROP TABLE stage_activity;
