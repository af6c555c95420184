-- Signals: the staging table the snapshots of one fetch are appended to (times in
-- microseconds since the epoch, UTC), before signals_store.sql. No parameters.
CREATE OR REPLACE TEMP TABLE stage_activity (
    job_id                    VARCHAR,
    fetched_us                BIGINT,
    reason                    VARCHAR,
    status                    VARCHAR,
    invites_sent              BIGINT,
    interviewing              BIGINT,
    hired                     BIGINT,
    unanswered_invites        BIGINT,
    offered                   BIGINT,
    recommended               BIGINT,
    last_client_activity_us   BIGINT,
    last_client_activity_text VARCHAR,
    bid_avg                   DOUBLE,
    bid_min                   DOUBLE,
    bid_max                   DOUBLE,
    bid_avg_interviewed       DOUBLE
);
