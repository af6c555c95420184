-- The first schema: postings, their skills, which search found them, how they changed, every
-- sync run, and each search's watermark.

CREATE TABLE jobs (
    id                          VARCHAR PRIMARY KEY,      -- Upwork's 19-digit id, kept as text
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

CREATE TABLE job_skills (
    job_id       VARCHAR NOT NULL,
    skill        VARCHAR NOT NULL,
    pretty_name  VARCHAR,
    PRIMARY KEY (job_id, skill)
);

CREATE TABLE search_hits (
    search        VARCHAR NOT NULL,
    job_id        VARCHAR NOT NULL,
    first_hit_at  TIMESTAMPTZ NOT NULL,
    last_hit_at   TIMESTAMPTZ NOT NULL,
    first_run_id  VARCHAR NOT NULL,
    last_run_id   VARCHAR NOT NULL,
    PRIMARY KEY (search, job_id)
);

CREATE TABLE job_changes (
    job_id               VARCHAR NOT NULL,
    observed_at          TIMESTAMPTZ NOT NULL,
    run_id               VARCHAR NOT NULL,
    total_applicants     INTEGER,
    freelancers_to_hire  INTEGER,
    renewed_at           TIMESTAMPTZ,
    fixed_budget         DECIMAL(14, 2),
    hourly_min           DECIMAL(10, 2),
    hourly_max           DECIMAL(10, 2)
);

CREATE TABLE sync_runs (
    run_id             VARCHAR PRIMARY KEY,               -- sortable: start time and process id
    started_at         TIMESTAMPTZ NOT NULL,
    finished_at        TIMESTAMPTZ,
    loaded_at          TIMESTAMPTZ,
    status             VARCHAR NOT NULL,                  -- ok, partial, failed, crashed
    searches           INTEGER NOT NULL DEFAULT 0,
    pages              INTEGER NOT NULL DEFAULT 0,
    postings_seen      INTEGER NOT NULL DEFAULT 0,
    postings_new       INTEGER NOT NULL DEFAULT 0,
    postings_changed   INTEGER NOT NULL DEFAULT 0,
    quarantined        INTEGER NOT NULL DEFAULT 0,
    requests           INTEGER NOT NULL DEFAULT 0,
    errors             VARCHAR
);

CREATE TABLE search_state (
    search             VARCHAR PRIMARY KEY,
    watermark          TIMESTAMPTZ,                       -- every match published after it is stored
    last_run_id        VARCHAR,
    last_status        VARCHAR,
    last_synced_at     TIMESTAMPTZ,
    last_total_count   BIGINT,
    last_note          VARCHAR
);

CREATE TABLE quarantine (
    run_id       VARCHAR NOT NULL,
    search       VARCHAR NOT NULL,
    page_file    VARCHAR NOT NULL,
    job_id       VARCHAR,
    reason       VARCHAR NOT NULL,
    raw          VARCHAR,
    recorded_at  TIMESTAMPTZ NOT NULL
);
