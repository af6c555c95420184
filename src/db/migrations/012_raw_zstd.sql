-- The raw JSON node, compressed with zstd by DuckDB itself. It is the widest column by far
-- (2.9 kB of each posting, more than all the others together) and only `renormalize` and
-- retention read it, yet with DuckDB's default choice every checkpoint ran its dictionary and
-- FSST analysis over it: measured on 100k postings (DuckDB 2.0.1), inserting and checkpointing
-- took 3.5 s with that and 1.4 s with zstd, and the column 167 MB against 40 MB. The JSON stays
-- text, so every reader (DuckDB 1.4 included) reads it as before. DuckDB cannot change a
-- column's compression in place: the table is rebuilt, as in migration 7.
CREATE TABLE jobs_v12 (
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
    -- The node as Upwork sent it; NULL once pruned. zstd: see above.
    raw                         JSON USING COMPRESSION zstd
);
INSERT INTO jobs_v12 SELECT * FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v12 RENAME TO jobs;
