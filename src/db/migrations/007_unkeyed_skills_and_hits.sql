-- job_skills and search_hits without their primary keys. Each load batch replaces a posting's
-- skills and merges its hits itself, by the batch's id range (merge.sql), so the keys only cost:
-- an insert into a composite-key index took three quarters of those tables' merge time, and
-- the indexes (a key per skill of every posting ever stored) grew past the load's memory limit.
-- The merge keeps one row per (job_id, skill) and per (search, job_id); the load tests check it.
CREATE TABLE job_skills_v7 (
    job_id       VARCHAR NOT NULL,
    skill        VARCHAR NOT NULL,
    pretty_name  VARCHAR
);
INSERT INTO job_skills_v7 SELECT job_id, skill, pretty_name FROM job_skills;
DROP TABLE job_skills;
ALTER TABLE job_skills_v7 RENAME TO job_skills;

CREATE TABLE search_hits_v7 (
    search        VARCHAR NOT NULL,
    job_id        VARCHAR NOT NULL,
    first_hit_at  TIMESTAMPTZ NOT NULL,
    last_hit_at   TIMESTAMPTZ NOT NULL,
    first_run_id  VARCHAR NOT NULL,
    last_run_id   VARCHAR NOT NULL
);
INSERT INTO search_hits_v7
SELECT search, job_id, first_hit_at, last_hit_at, first_run_id, last_run_id FROM search_hits;
DROP TABLE search_hits;
ALTER TABLE search_hits_v7 RENAME TO search_hits;
