-- Merge one batch of staged pages into the final tables. Runs in the transaction of its piece
-- of the load, after the Appender has filled stage_jobs and stage_hits, once per batch in fetch
-- order. Replaying a batch already merged changes nothing.

-- Which staged row is each posting's most recent copy, and when it was first fetched: narrow,
-- so the wide rows (description, raw JSON) are never sorted or copied.
CREATE OR REPLACE TEMP TABLE stage_pick AS
SELECT id, max(seq) AS seq, min(fetched_us) AS first_fetched_us
FROM stage_jobs
GROUP BY id;

-- The staged ids' range. Every lookup of stored rows by staged id is bounded by it as well, a
-- constant DuckDB prunes row groups with (their min-max zone maps): postings are stored in the
-- order they were first loaded and Upwork's ids grow with time, so a batch of recent postings
-- reads the few row groups that hold recent ids, and a batch's cost does not grow with the
-- history. (A join alone does not prune: its filter from the staged side is probabilistic.)
SET VARIABLE stage_lo = (SELECT min(id) FROM stage_pick);
SET VARIABLE stage_hi = (SELECT max(id) FROM stage_pick);

-- One row per posting: the most recently fetched copy, typed. A view, so each statement below
-- computes only the columns it reads.
CREATE OR REPLACE TEMP VIEW stage_latest AS
SELECT
    s.id,
    ciphertext,
    'https://www.upwork.com/jobs/' || ciphertext AS url,
    record_number,
    -- Published before the sync's retention cutoff: stored pruned (decode.rs staged no
    -- description, raw JSON or words), the title kept for the alert queue alone.
    CASE WHEN pruned THEN NULL ELSE title END AS title,
    title AS queued_title,
    pruned,
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
    raw,
    run_id,
    words,
    words_lowered,
    job_key
FROM stage_jobs s
JOIN stage_pick p ON p.seq = s.seq;

-- What each staged posting is to the stored one: new; stale (the stored copy was fetched later:
-- a page replayed after a crash between two pieces of a load, which must not undo the newer
-- copy or record its difference as a change); or a replacement, changed or not in what moves
-- (applicants, hires wanted, renewal, budget). One bounded join against `jobs`, before the
-- merge, serving the counts, the history, the daily aggregates and the replacement.
CREATE OR REPLACE TEMP TABLE stage_status AS
SELECT
    s.id,
    j.id IS NULL AS is_new,
    j.id IS NOT NULL AND s.last_seen_at < j.last_seen_at AS is_stale,
    j.id IS NOT NULL AND s.last_seen_at >= j.last_seen_at AND (
        j.total_applicants IS DISTINCT FROM s.total_applicants
        OR j.freelancers_to_hire IS DISTINCT FROM s.freelancers_to_hire
        OR j.renewed_at IS DISTINCT FROM s.renewed_at
        OR j.fixed_budget IS DISTINCT FROM s.fixed_budget
        OR j.hourly_min IS DISTINCT FROM s.hourly_min
        OR j.hourly_max IS DISTINCT FROM s.hourly_max) AS is_changed,
    j.first_seen_at AS stored_first_seen_at,
    j.last_seen_at AS stored_last_seen_at,
    j.published_at AS stored_published_at
FROM stage_latest s
LEFT JOIN (
    SELECT id, total_applicants, freelancers_to_hire, renewed_at, fixed_budget, hourly_min,
           hourly_max, first_seen_at, last_seen_at, published_at
    FROM jobs
    WHERE id BETWEEN getvariable('stage_lo') AND getvariable('stage_hi')
) j ON j.id = s.id;

-- New postings wait for the alert rules, which are matched after the commit: queued in this
-- transaction, so no crash can lose an alert.
-- With its title as fetched, which the rules match on even when the posting is stored pruned.
INSERT INTO alerts_queue (job_id, queued_at, title)
SELECT s.id, now(), s.queued_title
FROM stage_latest s JOIN stage_status t USING (id)
WHERE t.is_new;

CREATE OR REPLACE TEMP TABLE stage_counts AS
SELECT
    count(*) FILTER (WHERE is_new) AS new_postings,
    count(*) FILTER (WHERE is_changed) AS changed_postings
FROM stage_status;

-- The days whose daily aggregates this batch changes: where the staged postings are published
-- and where their stored copies were (a date can move). The load recomputes them at its end.
INSERT INTO daily_dirty
SELECT s.published_at::TIMESTAMP::DATE
FROM stage_latest s JOIN stage_status t USING (id)
WHERE NOT t.is_stale AND s.published_at IS NOT NULL
UNION
SELECT stored_published_at::TIMESTAMP::DATE
FROM stage_status
WHERE NOT is_new AND NOT is_stale AND stored_published_at IS NOT NULL;

-- The history of what moves.
INSERT INTO job_changes
SELECT s.id, s.last_seen_at, s.run_id, s.total_applicants, s.freelancers_to_hire, s.renewed_at,
       s.fixed_budget, s.hourly_min, s.hourly_max
FROM stage_latest s
WHERE s.id IN (SELECT id FROM stage_status WHERE is_changed);

-- A stale copy changes nothing but an earlier first sighting.
UPDATE jobs SET first_seen_at = s.first_seen_at
FROM stage_latest s JOIN stage_status t USING (id)
WHERE jobs.id = s.id
  AND jobs.id BETWEEN getvariable('stage_lo') AND getvariable('stage_hi')
  AND t.is_stale AND s.first_seen_at < t.stored_first_seen_at;

-- Postings already stored are replaced whole by their latest copy: a DELETE and an INSERT,
-- about a tenth of the cost of an UPDATE of every column (measured at 1M stored postings).
-- First seen stays the earliest, last seen the latest, and a pruned posting seen again is whole
-- (unless it is past the sync's retention cutoff).
DELETE FROM jobs
WHERE id BETWEEN getvariable('stage_lo') AND getvariable('stage_hi')
  AND id IN (SELECT id FROM stage_status WHERE NOT is_new AND NOT is_stale);

INSERT INTO jobs BY NAME
SELECT s.* EXCLUDE (skill_labels, run_id, words, words_lowered, job_key, first_seen_at,
                   last_seen_at, queued_title, pruned),
       least(t.stored_first_seen_at, s.first_seen_at) AS first_seen_at,
       greatest(t.stored_last_seen_at, s.last_seen_at) AS last_seen_at,
       CASE WHEN s.pruned THEN now() END AS pruned_at
FROM stage_latest s JOIN stage_status t USING (id)
WHERE NOT t.is_stale;

-- Skills as rows, replaced with their posting.
CREATE OR REPLACE TEMP TABLE stage_skills AS
SELECT DISTINCT ON (id, skill) id AS job_id, skill, pretty_name
FROM (
    SELECT id, unnest(skills) AS skill, unnest(skill_labels) AS pretty_name
    FROM stage_latest
    WHERE id IN (SELECT id FROM stage_status WHERE NOT is_stale)
)
WHERE skill IS NOT NULL AND skill <> '';

DELETE FROM job_skills
WHERE job_id BETWEEN getvariable('stage_lo') AND getvariable('stage_hi')
  AND job_id IN (SELECT id FROM stage_status WHERE NOT is_new AND NOT is_stale);

INSERT INTO job_skills SELECT job_id, skill, pretty_name FROM stage_skills;

-- Which searches found each posting, first and last, whatever order the pages come in: the
-- staged hits merged with the stored ones (bounded by the id range), which they replace.
CREATE OR REPLACE TEMP TABLE stage_hit_merged AS
WITH staged AS (
    SELECT search, job_id,
           make_timestamp(min(fetched_us))::TIMESTAMPTZ AS first_hit_at,
           make_timestamp(max(fetched_us))::TIMESTAMPTZ AS last_hit_at,
           arg_min(run_id, fetched_us) AS first_run_id,
           arg_max(run_id, fetched_us) AS last_run_id
    FROM stage_hits
    GROUP BY search, job_id
)
SELECT
    s.search,
    s.job_id,
    least(s.first_hit_at, h.first_hit_at) AS first_hit_at,
    greatest(s.last_hit_at, h.last_hit_at) AS last_hit_at,
    CASE WHEN h.first_hit_at < s.first_hit_at THEN h.first_run_id ELSE s.first_run_id END
        AS first_run_id,
    CASE WHEN h.last_hit_at > s.last_hit_at THEN h.last_run_id ELSE s.last_run_id END
        AS last_run_id,
    h.job_id IS NOT NULL AS stored
FROM staged s
LEFT JOIN (
    SELECT * FROM search_hits
    WHERE job_id BETWEEN getvariable('stage_lo') AND getvariable('stage_hi')
) h ON h.search = s.search AND h.job_id = s.job_id;

DELETE FROM search_hits
WHERE job_id BETWEEN getvariable('stage_lo') AND getvariable('stage_hi')
  AND (search, job_id) IN (SELECT (search, job_id) FROM stage_hit_merged WHERE stored);

INSERT INTO search_hits
SELECT search, job_id, first_hit_at, last_hit_at, first_run_id, last_run_id
FROM stage_hit_merged;
