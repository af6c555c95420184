-- Recompute the daily aggregates of the days in the temp table daily_days from the postings in
-- jobs. Runs in the load's transaction (and once in migration 2, over every stored day).
DELETE FROM daily_postings WHERE day IN (SELECT day FROM daily_days);

-- The days' span as constants, so the scan of `jobs` skips the row groups published outside it
-- (zone maps); two days of slack on each side cover any session time zone.
SET VARIABLE daily_from = (SELECT min(day) - INTERVAL 2 DAY FROM daily_days);
SET VARIABLE daily_to = (SELECT max(day) + INTERVAL 3 DAY FROM daily_days);

INSERT INTO daily_postings
WITH j AS (
    SELECT
        published_at::TIMESTAMP::DATE AS day,
        job_type,
        category,
        client_country,
        skills,
        fixed_budget::DOUBLE AS fixed_budget,
        ((hourly_min + hourly_max) / 2)::DOUBLE AS hourly_rate,
        CASE
            WHEN job_type = 'FIXED' AND fixed_budget IS NOT NULL THEN
                CASE WHEN fixed_budget < 100 THEN 'fixed under 100'
                     WHEN fixed_budget < 500 THEN 'fixed 100-499'
                     WHEN fixed_budget < 1000 THEN 'fixed 500-999'
                     WHEN fixed_budget < 5000 THEN 'fixed 1000-4999'
                     ELSE 'fixed 5000+' END
            WHEN job_type = 'HOURLY' AND hourly_max IS NOT NULL THEN
                CASE WHEN hourly_max < 25 THEN 'hourly under 25'
                     WHEN hourly_max < 50 THEN 'hourly 25-49'
                     WHEN hourly_max < 100 THEN 'hourly 50-99'
                     ELSE 'hourly 100+' END
            ELSE 'unknown'
        END AS budget_band
    FROM jobs
    WHERE published_at BETWEEN getvariable('daily_from')::TIMESTAMPTZ
                           AND getvariable('daily_to')::TIMESTAMPTZ
      AND published_at::TIMESTAMP::DATE IN (SELECT day FROM daily_days)
),
by_dimension AS (
    SELECT day, 'job_type' AS dimension, coalesce(job_type, 'unknown') AS value, job_type, fixed_budget, hourly_rate FROM j
    UNION ALL
    SELECT day, 'category', coalesce(category, 'unknown'), job_type, fixed_budget, hourly_rate FROM j
    UNION ALL
    SELECT day, 'client_country', coalesce(client_country, 'unknown'), job_type, fixed_budget, hourly_rate FROM j
    UNION ALL
    SELECT day, 'budget_band', budget_band, job_type, fixed_budget, hourly_rate FROM j
    UNION ALL
    SELECT day, 'skill', unnest(skills), job_type, fixed_budget, hourly_rate FROM j
)
SELECT
    day,
    dimension,
    value,
    count(*),
    count(*) FILTER (WHERE job_type = 'HOURLY'),
    count(*) FILTER (WHERE job_type = 'FIXED'),
    round(median(fixed_budget) FILTER (WHERE job_type = 'FIXED'), 2)::DECIMAL(14, 2),
    round(median(hourly_rate) FILTER (WHERE job_type = 'HOURLY'), 2)::DECIMAL(10, 2)
FROM by_dimension
WHERE value IS NOT NULL AND value <> ''
GROUP BY day, dimension, value;

DROP TABLE daily_days;
