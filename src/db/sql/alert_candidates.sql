-- The postings waiting in alerts_queue, with what the alert rules filter on. No parameters.
-- The two scores use the formulas of the shipped views (queries/fit_score.sql and
-- queries/client_quality.sql) over the `profile` tables, so an alert's `min_fit_score` means
-- what the user sees in those views; `searches` lists the searches that found the posting,
-- joined by chr(31).
WITH queued AS (SELECT DISTINCT job_id FROM alerts_queue),
mine AS (SELECT DISTINCT skill FROM profile_skills),
rate AS (SELECT any_value(hourly_rate) AS hourly_rate FROM profile),
matches AS (
    SELECT k.job_id, count(*) AS matching
    FROM job_skills k
    JOIN queued q ON q.job_id = k.job_id
    WHERE EXISTS (
        SELECT 1 FROM mine m WHERE m.skill = lower(k.skill) OR m.skill = lower(k.pretty_name))
    GROUP BY k.job_id
),
hits AS (
    SELECT h.job_id, string_agg(h.search, chr(31) ORDER BY h.search) AS searches
    FROM search_hits h
    JOIN queued q ON q.job_id = h.job_id
    GROUP BY h.job_id
)
SELECT
    j.id,
    j.title,
    j.job_type,
    CAST(j.fixed_budget AS DOUBLE) AS fixed_budget,
    CAST(j.hourly_max AS DOUBLE) AS hourly_max,
    j.client_payment_verified,
    coalesce(h.searches, '') AS searches,
    round(
        60 * CASE WHEN len(j.skills) = 0 THEN 0
                  ELSE coalesce(mt.matching, 0)::DOUBLE / len(j.skills) END
        + 25 * CASE
            WHEN r.hourly_rate IS NULL THEN 0.5
            WHEN j.job_type = 'HOURLY' AND j.hourly_max IS NOT NULL
                THEN least(1, j.hourly_max::DOUBLE / r.hourly_rate)
            WHEN j.job_type = 'FIXED' AND j.fixed_budget IS NOT NULL
                THEN least(1, j.fixed_budget::DOUBLE / (20 * r.hourly_rate))
            ELSE 0.5
          END
        + 15 * (0.5 * coalesce(j.client_payment_verified::INTEGER, 0)
                + 0.5 * coalesce(j.client_hire_rate, 0)),
        1) AS fit_score,
    round(
        30 * coalesce(j.client_payment_verified::INTEGER, 0)
        + 30 * coalesce(j.client_hire_rate, 0)
        + 20 * coalesce(j.client_total_feedback, 0) / 5
        + 20 * least(1, log10(1 + coalesce(j.client_total_spent, 0)::DOUBLE) / 5),
        1) AS quality_score,
    j.published_at
FROM queued q
JOIN jobs j ON j.id = q.job_id
LEFT JOIN matches mt ON mt.job_id = j.id
LEFT JOIN hits h ON h.job_id = j.id
CROSS JOIN rate r
ORDER BY fit_score DESC, j.published_at DESC, j.id
