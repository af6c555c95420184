-- Alerts: the temp table `alert_plan` fills with one row per message (or suppressed match) of this
-- sync, before alert_plan_queue.sql queues them. No parameters.
CREATE OR REPLACE TEMP TABLE alert_plan (
    rule          VARCHAR,
    job_id        VARCHAR,
    delivery_key  VARCHAR,
    status        VARCHAR,
    digest        BOOLEAN,
    fit_score     DOUBLE,
    last_error    VARCHAR
);
