-- Merge one batch of staged pages into the final tables. Runs inside the load transaction,
-- after the Appender has filled stage_jobs and stage_hits, once per batch in fetch order.

-- Which staged row is each posting's most recent copy, and when it was first fetched: narrow,
-- so the wide rows (description, raw JSON) are never sorted or copied.
CREATE OR REPLACE TEMP TABLE stage_pick AS
SELECT id, max(seq) AS seq, min(fetched_us) AS first_fetched_us
FROM stage_jobs
GROUP BY id;

-- One row per posting: the most recently fetched copy, typed. A view, so each statement below
-- computes only the columns it reads.
CREATE OR REPLACE TEMP VIEW stage_latest AS
SELECT
    s.id,
    ciphertext,
    'https://www.upwork.com/jobs/' || ciphertext AS url,
    record_number,
    title,
    description,
    job_type,
    currency,
    CAST(fixed_budget AS DECIMAL(14, 2)) AS fixed_budget,
    CAST(hourly_min AS DECIMAL(10, 2)) AS hourly_min,
    CAST(hourly_max AS DECIMAL(10, 2)) AS hourly_max,
    CAST(weekly_budget AS DECIMAL(14, 2)) AS weekly_budget,
    hourly_budget_type,
    experience_level,
    duration,
    duration_label,
    engagement,
    category,
    subcategory,
    occupation_category,
    CASE WHEN skills = '' THEN []::VARCHAR[] ELSE string_split(skills, chr(31)) END AS skills,
    CASE WHEN skills = '' THEN []::VARCHAR[] ELSE string_split(skill_labels, chr(31)) END AS skill_labels,
    freelancers_to_hire,
    total_applicants,
    premium,
    enterprise,
    make_timestamp(created_us)::TIMESTAMPTZ AS created_at,
    make_timestamp(published_us)::TIMESTAMPTZ AS published_at,
    make_timestamp(renewed_us)::TIMESTAMPTZ AS renewed_at,
    client_country,
    client_city,
    client_timezone,
    client_total_hires,
    client_total_posted_jobs,
    CAST(client_total_spent AS DECIMAL(16, 2)) AS client_total_spent,
    client_verification_status,
    client_verification_status = 'VERIFIED' AS client_payment_verified,
    client_total_reviews,
    client_total_feedback,
    CASE
        WHEN client_total_posted_jobs > 0
        THEN least(1.0, client_total_hires::DOUBLE / client_total_posted_jobs)
    END AS client_hire_rate,
    make_timestamp(p.first_fetched_us)::TIMESTAMPTZ AS first_seen_at,
    make_timestamp(fetched_us)::TIMESTAMPTZ AS last_seen_at,
    CAST(raw AS JSON) AS raw,
    run_id
FROM stage_jobs s
JOIN stage_pick p ON p.seq = s.seq;

-- Which staged postings are new and which changed what moves (applicants, hires wanted,
-- renewal, budget): one join against `jobs`, before the merge, serving the counts and the history.
CREATE OR REPLACE TEMP TABLE stage_status AS
SELECT
    s.id,
    j.id IS NULL AS is_new,
    j.id IS NOT NULL AND (
        j.total_applicants IS DISTINCT FROM s.total_applicants
        OR j.freelancers_to_hire IS DISTINCT FROM s.freelancers_to_hire
        OR j.renewed_at IS DISTINCT FROM s.renewed_at
        OR j.fixed_budget IS DISTINCT FROM s.fixed_budget
        OR j.hourly_min IS DISTINCT FROM s.hourly_min
        OR j.hourly_max IS DISTINCT FROM s.hourly_max) AS is_changed
FROM stage_latest s
LEFT JOIN jobs j ON j.id = s.id;

-- New postings wait for the alert rules, which are matched after the commit: queued in this
-- transaction, so no crash can lose an alert.
INSERT INTO alerts_queue SELECT id, now() FROM stage_status WHERE is_new;

CREATE OR REPLACE TEMP TABLE stage_counts AS
SELECT
    count(*) FILTER (WHERE is_new) AS new_postings,
    count(*) FILTER (WHERE is_changed) AS changed_postings
FROM stage_status;

-- The days whose daily aggregates this batch changes: where the staged postings are published
-- and where their stored copies were (a date can move). The load recomputes them at its end.
INSERT INTO daily_touched
SELECT published_at::TIMESTAMP::DATE FROM stage_latest WHERE published_at IS NOT NULL
UNION
SELECT published_at::TIMESTAMP::DATE FROM jobs
WHERE id IN (SELECT id FROM stage_latest) AND published_at IS NOT NULL;

-- The history of what moves.
INSERT INTO job_changes
SELECT s.id, s.last_seen_at, s.run_id, s.total_applicants, s.freelancers_to_hire, s.renewed_at,
       s.fixed_budget, s.hourly_min, s.hourly_max
FROM stage_latest s
WHERE s.id IN (SELECT id FROM stage_status WHERE is_changed);

-- Postings already stored: the latest copy replaces the stored one; first seen stays the
-- earliest. (An UPDATE and a plain INSERT instead of INSERT ... ON CONFLICT DO UPDATE, which
-- holds the whole batch's wide rows in memory and ran out under storage.memory_limit.)
UPDATE jobs SET
    ciphertext = s.ciphertext,
    url = s.url,
    record_number = s.record_number,
    title = s.title,
    description = s.description,
    job_type = s.job_type,
    currency = s.currency,
    fixed_budget = s.fixed_budget,
    hourly_min = s.hourly_min,
    hourly_max = s.hourly_max,
    weekly_budget = s.weekly_budget,
    hourly_budget_type = s.hourly_budget_type,
    experience_level = s.experience_level,
    duration = s.duration,
    duration_label = s.duration_label,
    engagement = s.engagement,
    category = s.category,
    subcategory = s.subcategory,
    occupation_category = s.occupation_category,
    skills = s.skills,
    freelancers_to_hire = s.freelancers_to_hire,
    total_applicants = s.total_applicants,
    premium = s.premium,
    enterprise = s.enterprise,
    created_at = s.created_at,
    published_at = s.published_at,
    renewed_at = s.renewed_at,
    client_country = s.client_country,
    client_city = s.client_city,
    client_timezone = s.client_timezone,
    client_total_hires = s.client_total_hires,
    client_total_posted_jobs = s.client_total_posted_jobs,
    client_total_spent = s.client_total_spent,
    client_verification_status = s.client_verification_status,
    client_payment_verified = s.client_payment_verified,
    client_total_reviews = s.client_total_reviews,
    client_total_feedback = s.client_total_feedback,
    client_hire_rate = s.client_hire_rate,
    first_seen_at = least(jobs.first_seen_at, s.first_seen_at),
    last_seen_at = greatest(jobs.last_seen_at, s.last_seen_at),
    pruned_at = NULL,
    raw = s.raw
FROM stage_latest s
WHERE jobs.id = s.id AND s.id IN (SELECT id FROM stage_status WHERE NOT is_new);

-- New postings: every column of stage_latest that jobs has, matched by name.
INSERT INTO jobs BY NAME
SELECT * EXCLUDE (skill_labels, run_id), NULL::TIMESTAMPTZ AS pruned_at
FROM stage_latest
WHERE id IN (SELECT id FROM stage_status WHERE is_new);

-- Skills as rows: add the new pairs, drop the pairs a posting no longer lists.
CREATE OR REPLACE TEMP TABLE stage_skills AS
SELECT DISTINCT ON (id, skill) id AS job_id, skill, pretty_name
FROM (SELECT id, unnest(skills) AS skill, unnest(skill_labels) AS pretty_name FROM stage_latest)
WHERE skill IS NOT NULL AND skill <> '';

DELETE FROM job_skills
WHERE job_id IN (SELECT id FROM stage_latest)
  AND NOT EXISTS (
      SELECT 1 FROM stage_skills s
      WHERE s.job_id = job_skills.job_id AND s.skill = job_skills.skill);

INSERT INTO job_skills
SELECT job_id, skill, pretty_name FROM stage_skills
ON CONFLICT (job_id, skill) DO UPDATE SET pretty_name = excluded.pretty_name;

INSERT INTO search_hits
SELECT search, job_id,
       make_timestamp(min(fetched_us))::TIMESTAMPTZ,
       make_timestamp(max(fetched_us))::TIMESTAMPTZ,
       arg_min(run_id, fetched_us),
       arg_max(run_id, fetched_us)
FROM stage_hits
GROUP BY search, job_id
ON CONFLICT (search, job_id) DO UPDATE SET
    first_hit_at = least(search_hits.first_hit_at, excluded.first_hit_at),
    last_hit_at = greatest(search_hits.last_hit_at, excluded.last_hit_at),
    last_run_id = excluded.last_run_id;
