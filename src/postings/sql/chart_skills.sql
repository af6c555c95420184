-- Chart: demand for the eight most wanted skills of the last 30 days, per day, from the daily
-- aggregates (which outlive retention).
WITH recent AS (
    SELECT * FROM daily_postings
    WHERE dimension = 'skill'
      AND day >= (SELECT max(day) - 29 FROM daily_postings WHERE dimension = 'skill')
),
top AS (
    SELECT value FROM recent GROUP BY value ORDER BY sum(postings) DESC, value LIMIT 8
)
SELECT r.value, strftime(r.day, '%Y-%m-%d') AS day, sum(r.postings)::BIGINT AS postings
FROM recent r
JOIN top t ON t.value = r.value
GROUP BY ALL
ORDER BY day, r.value
