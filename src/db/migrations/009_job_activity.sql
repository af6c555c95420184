-- Schema version 9: competition signals (pipeline/signals.rs). One row per posting per fetch of
-- its `activityStat` from `marketplaceJobPosting(id)`: the dashboard draws how interest grew from
-- them, the alert rules and payloads read the latest. Keyed by (job_id, fetched_at): a fetch
-- writes each posting once, and a sync that runs again never rewrites an older snapshot. Strict
-- retention deletes a posting's snapshots with the posting (retention_delete.sql).
CREATE TABLE IF NOT EXISTS job_activity (
    job_id                  VARCHAR NOT NULL,
    fetched_at              TIMESTAMPTZ NOT NULL,
    reason                  VARCHAR NOT NULL,       -- top (a best new posting) or saved
    status                  VARCHAR NOT NULL,       -- ACTIVE, CLOSED, or GONE (Upwork answered no posting)
    invites_sent            INTEGER,
    interviewing            INTEGER,                -- totalInvitedToInterview
    hired                   INTEGER,
    unanswered_invites      INTEGER,
    offered                 INTEGER,
    recommended             INTEGER,
    last_client_activity    TIMESTAMPTZ,            -- lastClientActivity, parsed; NULL if unreadable
    last_client_activity_text VARCHAR,              -- lastClientActivity as Upwork sent it
    bid_avg                 DECIMAL(12, 2),         -- applicationsBidStats, NULL when the key may not read it
    bid_min                 DECIMAL(12, 2),
    bid_max                 DECIMAL(12, 2),
    bid_avg_interviewed     DECIMAL(12, 2),
    PRIMARY KEY (job_id, fetched_at)
);

-- What Upwork refused the signals requests, remembered so later syncs do not ask again every
-- run: `applicationsBidStats` (the key lacks the permission; the other figures are still asked)
-- or `batching` (several postings in one request). A refusal is asked again after a day.
CREATE TABLE IF NOT EXISTS signals_refusals (
    what        VARCHAR PRIMARY KEY,
    message     VARCHAR NOT NULL,
    refused_at  TIMESTAMPTZ NOT NULL
);
