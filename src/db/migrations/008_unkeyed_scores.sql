-- posting_scores without its key. Each export rewrites the whole table from the shipped views,
-- one row per posting (db/sql/scores.sql), so the key only cost: its index holds an entry per
-- stored posting in memory that DuckDB cannot spill (45 MiB at a million postings), and the
-- export's DELETE and INSERT of every row keep both generations in it until the commit. The
-- first export of a million postings ran out of memory at twice the default limit with it.
CREATE TABLE posting_scores_v8 (
    job_id          VARCHAR NOT NULL,
    fit_score       DOUBLE,
    client_quality  DOUBLE
);
INSERT INTO posting_scores_v8 SELECT job_id, fit_score, client_quality FROM posting_scores;
DROP TABLE posting_scores;
ALTER TABLE posting_scores_v8 RENAME TO posting_scores;
