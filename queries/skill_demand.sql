-- Skill demand: which skills the stored postings ask for, and what those postings pay.
SELECT
    k.skill,
    any_value(k.pretty_name) AS pretty_name,
    count(*) AS postings,
    round(100.0 * count(*) / (SELECT count(*) FROM jobs), 2) AS share_pct,
    median(j.fixed_budget) FILTER (WHERE j.job_type = 'FIXED') AS median_fixed_budget,
    median((j.hourly_min + j.hourly_max) / 2) FILTER (WHERE j.job_type = 'HOURLY') AS median_hourly_rate
FROM job_skills k
JOIN jobs j ON j.id = k.job_id
GROUP BY k.skill
ORDER BY postings DESC, k.skill
