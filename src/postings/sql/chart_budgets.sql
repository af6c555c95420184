-- Chart: how stored postings are paid: fixed budgets and hourly rates (the top of the range) in
-- bands. Columns: kind (fixed or hourly), band order, band label, postings.
WITH bands AS (
    SELECT
        'fixed' AS kind,
        CASE
            WHEN fixed_budget < 100 THEN 0
            WHEN fixed_budget < 500 THEN 1
            WHEN fixed_budget < 1000 THEN 2
            WHEN fixed_budget < 5000 THEN 3
            ELSE 4
        END AS band
    FROM jobs WHERE job_type = 'FIXED' AND fixed_budget IS NOT NULL
    UNION ALL
    SELECT
        'hourly' AS kind,
        CASE
            WHEN hourly_max < 15 THEN 0
            WHEN hourly_max < 30 THEN 1
            WHEN hourly_max < 50 THEN 2
            WHEN hourly_max < 75 THEN 3
            WHEN hourly_max < 100 THEN 4
            ELSE 5
        END AS band
    FROM jobs WHERE job_type = 'HOURLY' AND hourly_max IS NOT NULL
)
SELECT kind, band, count(*) AS postings
FROM bands
GROUP BY ALL
ORDER BY kind, band
