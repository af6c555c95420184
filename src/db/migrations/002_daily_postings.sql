-- Daily aggregates of the postings, by UTC day of publication: kept indefinitely, so
-- long-range analysis works after retention has removed the postings themselves.
-- Each load recomputes the days it touched (src/db/daily.sql); no primary key, since the
-- rows of a day are deleted and inserted again in one transaction.
CREATE TABLE daily_postings (
    day                  DATE NOT NULL,
    dimension            VARCHAR NOT NULL,  -- skill, category, job_type, budget_band, client_country
    value                VARCHAR NOT NULL,  -- 'unknown' where the posting does not say
    postings             BIGINT NOT NULL,
    hourly               BIGINT NOT NULL,
    fixed                BIGINT NOT NULL,
    median_fixed_budget  DECIMAL(14, 2),    -- fixed-price jobs
    median_hourly_rate   DECIMAL(10, 2)     -- hourly jobs: the middle of their range
);

-- Days whose postings retention has begun to delete (retention.keep_postings = false): their
-- aggregates are final and no later load recomputes them.
CREATE TABLE daily_closed (
    day        DATE PRIMARY KEY,
    closed_at  TIMESTAMPTZ NOT NULL
);

-- Existing postings: every day they cover.
CREATE TEMP TABLE daily_days AS
SELECT DISTINCT published_at::TIMESTAMP::DATE AS day FROM jobs WHERE published_at IS NOT NULL;
