-- Schema version 4: the user's own labels and notes on postings, set in `upjobpilot serve`.
-- Not Upwork's data: no sync changes them and retention never deletes them, so the posting's id
-- and URL are kept here too (the posting itself may be pruned or deleted). One row per posting;
-- `label` is saved, applied, ignored or a custom label from `[serve] labels`, NULL for a note
-- alone.
CREATE TABLE IF NOT EXISTS labels (
    job_id      VARCHAR PRIMARY KEY,
    url         VARCHAR NOT NULL,
    label       VARCHAR,
    note        VARCHAR,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- The scores of the shipped `fit_score` and `client_quality` views per posting, written with
-- each export (db/sql/scores.sql) so the dashboard can filter and sort 100k postings by them
-- without computing both views on every page.
CREATE TABLE IF NOT EXISTS posting_scores (
    job_id          VARCHAR PRIMARY KEY,
    fit_score       DOUBLE,
    client_quality  DOUBLE
);
