-- Skill demand over time: postings per skill per day (UTC) of publication. Built from the typed
-- columns that retention keeps, so it covers the whole history, not only the last 24 hours.
SELECT
    j.published_at::TIMESTAMP::DATE AS day,
    k.skill,
    count(*) AS postings,
    count(*) FILTER (WHERE j.job_type = 'HOURLY') AS hourly,
    count(*) FILTER (WHERE j.job_type = 'FIXED') AS fixed,
    round(median(j.fixed_budget::DOUBLE) FILTER (WHERE j.job_type = 'FIXED'), 2) AS median_fixed_budget,
    round(median(((j.hourly_min + j.hourly_max) / 2)::DOUBLE) FILTER (WHERE j.job_type = 'HOURLY'), 2) AS median_hourly_rate
FROM job_skills k
JOIN jobs j ON j.id = k.job_id
GROUP BY 1, 2
ORDER BY 1 DESC, postings DESC, k.skill
