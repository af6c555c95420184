-- Alerts: the temp tables a plan fills before alert_plan_queue.sql queues its messages. No
-- parameters. `alert_plan`: every match of this sync, one row per rule and posting, with the
-- key it has when sent alone; `alert_best`: the matches sent (pending), with their message's
-- key; `alert_why`: why a rule's other matches are suppressed.
CREATE OR REPLACE TEMP TABLE alert_plan (
    rule          VARCHAR,
    job_id        VARCHAR,
    delivery_key  VARCHAR,
    fit_score     DOUBLE
);
CREATE OR REPLACE TEMP TABLE alert_best (
    rule          VARCHAR,
    job_id        VARCHAR,
    delivery_key  VARCHAR,
    digest        BOOLEAN
);
CREATE OR REPLACE TEMP TABLE alert_why (
    rule          VARCHAR,
    why           VARCHAR
);
