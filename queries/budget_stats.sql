-- Budget statistics: what jobs pay, by category and job type, with percentiles. For fixed-price
-- jobs the budget is the fixed amount; for hourly jobs it is the middle of the posted rate range
-- (postings without a range are left out of the figures but counted in `postings`).
SELECT
    coalesce(j.occupation_category, j.category) AS category,
    j.job_type,
    count(*) AS postings,
    count(b.budget) AS with_budget,
    round(quantile_cont(b.budget, 0.25), 2) AS p25,
    round(median(b.budget), 2) AS median,
    round(quantile_cont(b.budget, 0.75), 2) AS p75,
    round(quantile_cont(b.budget, 0.90), 2) AS p90,
    max(b.budget) AS max,
    any_value(j.currency) AS currency
FROM jobs j,
     LATERAL (SELECT CASE WHEN j.job_type = 'FIXED' THEN j.fixed_budget::DOUBLE
                          ELSE ((j.hourly_min + j.hourly_max) / 2)::DOUBLE END AS budget) b
GROUP BY 1, 2
ORDER BY 1, 2
