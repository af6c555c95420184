-- Fit score: how well each stored posting fits you, from [profile] in pipeline.toml
-- (skills = [...], hourly_rate = N; a skill matches by its name, `api-integration`, or its label,
-- `API Integration`, in any case). fit_score is 0-100:
--   60 × the share of the posting's skills that are yours,
-- + 25 for pay: hourly jobs whose top rate reaches your rate (scaled below it), fixed jobs whose
--   budget is at least 20 hours at your rate (scaled below it); 12.5 when you set no rate,
-- + 15 × the client's quality (payment verified, hire rate; see client_quality).
-- Postings with no skill of yours score at most 40. label is yours, from `upjobpilot serve`.
-- competition is 0-100, how crowded the posting was at its latest competition signals
-- ([signals] in pipeline.toml; NULL for a posting without any): proposals + 8 × interviewing +
-- 2 × invites sent + 40 × hired, at most 100. An interview or a hire weighs more than a
-- proposal: the client is already talking to, or has chosen, someone.
WITH mine AS (SELECT DISTINCT skill FROM profile_skills),
rate AS (SELECT any_value(hourly_rate) AS hourly_rate FROM profile),
activity AS (
    SELECT job_id,
           arg_max(interviewing, fetched_at) AS interviewing,
           arg_max(invites_sent, fetched_at) AS invites_sent,
           arg_max(hired, fetched_at) AS hired
    FROM job_activity
    GROUP BY job_id
),
matches AS (
    SELECT k.job_id, list(k.skill ORDER BY k.skill) AS matching_skills
    FROM job_skills k
    WHERE EXISTS (
        SELECT 1 FROM mine m WHERE m.skill = lower(k.skill) OR m.skill = lower(k.pretty_name))
    GROUP BY k.job_id
),
scored AS (
    SELECT
        j.id,
        j.title,
        j.job_type,
        j.fixed_budget,
        j.hourly_min,
        j.hourly_max,
        j.skills,
        coalesce(mt.matching_skills, []::VARCHAR[]) AS matching_skills,
        CASE WHEN len(j.skills) = 0 THEN 0
             ELSE len(coalesce(mt.matching_skills, []::VARCHAR[]))::DOUBLE / len(j.skills) END AS skill_share,
        CASE
            WHEN r.hourly_rate IS NULL THEN 0.5
            WHEN j.job_type = 'HOURLY' AND j.hourly_max IS NOT NULL
                THEN least(1, j.hourly_max::DOUBLE / r.hourly_rate)
            WHEN j.job_type = 'FIXED' AND j.fixed_budget IS NOT NULL
                THEN least(1, j.fixed_budget::DOUBLE / (20 * r.hourly_rate))
            ELSE 0.5
        END AS pay_fit,
        0.5 * coalesce(j.client_payment_verified::INTEGER, 0) + 0.5 * coalesce(j.client_hire_rate, 0) AS client_fit,
        j.published_at,
        j.url,
        l.label,
        CASE WHEN a.job_id IS NOT NULL THEN least(100,
            coalesce(j.total_applicants, 0) + 8 * coalesce(a.interviewing, 0)
            + 2 * coalesce(a.invites_sent, 0) + 40 * coalesce(a.hired, 0)) END AS competition
    FROM jobs j
    LEFT JOIN matches mt ON mt.job_id = j.id
    LEFT JOIN labels l ON l.job_id = j.id
    LEFT JOIN activity a ON a.job_id = j.id
    CROSS JOIN rate r
)
SELECT
    round(60 * skill_share + 25 * pay_fit + 15 * client_fit, 1) AS fit_score,
    title, job_type, fixed_budget, hourly_min, hourly_max, matching_skills, skills, published_at, label, url, id,
    competition
FROM scored
ORDER BY fit_score DESC, published_at DESC, id
