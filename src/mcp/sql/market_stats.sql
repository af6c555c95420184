-- `market_stats`: one dimension of `daily_postings` (kept for the whole history, unlike the
-- postings) per period, for its most frequent values or one value. Parameters:
--  $1 dimension (skill, category, job_type, budget_band, client_country), $2 value (NULL: the
--  top $6 values; any case), $3 first day, $4 last day (YYYY-MM-DD), $5 period (day, week,
--  month), $6 how many values.
-- daily_postings keeps one median per day, so a period's median is the median of its days'.
WITH picked AS (
    SELECT
        date_trunc($5::VARCHAR, day)::DATE AS period,
        value,
        postings,
        hourly,
        fixed,
        median_hourly_rate,
        median_fixed_budget
    FROM daily_postings
    WHERE dimension = $1::VARCHAR
      AND day BETWEEN $3::DATE AND $4::DATE
      AND ($2::VARCHAR IS NULL OR lower(value) = lower($2::VARCHAR))
),
top AS (
    SELECT value, sum(postings) AS total
    FROM picked
    GROUP BY value
    ORDER BY total DESC, value
    LIMIT $6::BIGINT
)
SELECT
    p.value,
    t.total,
    strftime(p.period, '%Y-%m-%d'),
    sum(p.postings),
    sum(p.hourly),
    sum(p.fixed),
    median(p.median_hourly_rate)::DOUBLE,
    median(p.median_fixed_budget)::DOUBLE
FROM picked p
JOIN top t USING (value)
GROUP BY p.value, t.total, p.period
ORDER BY t.total DESC, p.value, p.period
