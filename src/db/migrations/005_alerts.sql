-- Schema version 5: alerts. The user's own data, like labels: retention never touches these
-- tables. IF NOT EXISTS, as in version 3, so a file whose versions were rolled back by hand
-- migrates again.
--
-- `alerts_queue` holds the postings a load stored as new, written in the load's own transaction
-- (merge.sql), until the alert rules have been matched against them after the commit: a crash
-- between the two cannot lose a posting's alert. No key: a posting is new in one batch only.
CREATE TABLE IF NOT EXISTS alerts_queue (
    job_id     VARCHAR NOT NULL,
    queued_at  TIMESTAMPTZ NOT NULL
);

-- One row per rule and matching posting: once per posting per rule. The postings of one
-- message (one posting, or a digest) share a delivery key, which is also the idempotency key
-- the receiver gets, so a retry or the one duplicate a crash between delivery and bookkeeping
-- can cause carries the same key.
CREATE TABLE IF NOT EXISTS alerts_sent (
    rule             VARCHAR NOT NULL,
    job_id           VARCHAR NOT NULL,
    delivery_key     VARCHAR NOT NULL,
    status           VARCHAR NOT NULL,      -- pending, failed (retried), sent, suppressed
    digest           BOOLEAN NOT NULL,
    fit_score        DOUBLE,
    queued_at        TIMESTAMPTZ NOT NULL,
    sent_at          TIMESTAMPTZ,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ,
    last_error       VARCHAR,
    PRIMARY KEY (rule, job_id)
);

-- Per rule: when it was first and last matched against new postings (the flood guard), and
-- its run of failed deliveries (10 in a row: the rule is failing).
CREATE TABLE IF NOT EXISTS alert_rules (
    rule                  VARCHAR PRIMARY KEY,
    first_evaluated_at    TIMESTAMPTZ NOT NULL,
    last_evaluated_at     TIMESTAMPTZ NOT NULL,
    last_sent_at          TIMESTAMPTZ,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    last_error            VARCHAR
);
