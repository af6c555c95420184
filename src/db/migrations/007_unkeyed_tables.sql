-- jobs, job_skills and search_hits without their primary keys. Each load batch finds the stored
-- postings, skills and hits by the batch's id range and replaces them itself (merge.sql), so the
-- keys only cost: an insert into the (job_id, skill) index took three quarters of that table's
-- merge time, and each index holds a key per row ever stored, in memory while a load inserts:
-- at a million postings they no longer fit the load's default memory limit. The merge keeps one
-- row per posting, per (job_id, skill) and per (search, job_id); the load tests check it.
CREATE TABLE jobs_v7 (
    id                          VARCHAR NOT NULL,         -- Upwork's 19-digit id, kept as text
    ciphertext                  VARCHAR NOT NULL,
    url                         VARCHAR NOT NULL,         -- https://www.upwork.com/jobs/<ciphertext>
    record_number               VARCHAR,
    title                       VARCHAR,                  -- NULL once pruned by retention
    description                 VARCHAR,                  -- NULL once pruned by retention
    job_type                    VARCHAR NOT NULL,         -- HOURLY or FIXED
    currency                    VARCHAR,
    fixed_budget                DECIMAL(14, 2),
    hourly_min                  DECIMAL(10, 2),
    hourly_max                  DECIMAL(10, 2),
    weekly_budget               DECIMAL(14, 2),
    hourly_budget_type          VARCHAR,
    experience_level            VARCHAR,
    duration                    VARCHAR,
    duration_label              VARCHAR,
    engagement                  VARCHAR,
    category                    VARCHAR,
    subcategory                 VARCHAR,
    occupation_category         VARCHAR,
    skills                      VARCHAR[],
    freelancers_to_hire         INTEGER,
    total_applicants            INTEGER,
    premium                     BOOLEAN,
    enterprise                  BOOLEAN,
    created_at                  TIMESTAMPTZ,
    published_at                TIMESTAMPTZ NOT NULL,
    renewed_at                  TIMESTAMPTZ,
    client_country              VARCHAR,
    client_city                 VARCHAR,
    client_timezone             VARCHAR,
    client_total_hires          INTEGER,
    client_total_posted_jobs    INTEGER,
    client_total_spent          DECIMAL(16, 2),
    client_verification_status  VARCHAR,
    client_payment_verified     BOOLEAN,
    client_total_reviews        INTEGER,
    client_total_feedback       DOUBLE,
    client_hire_rate            DOUBLE,                   -- total_hires / total_posted_jobs, in [0, 1]
    first_seen_at               TIMESTAMPTZ NOT NULL,
    last_seen_at                TIMESTAMPTZ NOT NULL,
    pruned_at                   TIMESTAMPTZ,
    raw                         JSON                      -- the node as Upwork sent it; NULL once pruned
);
INSERT INTO jobs_v7 SELECT * FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v7 RENAME TO jobs;

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
