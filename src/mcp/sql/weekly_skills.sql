-- `weekly_report`: the skills most asked for in the 7 days up to $2 (from daily_postings),
-- against their weekly average over the 4 weeks before. Parameters: $1 how many, $2 today
-- (YYYY-MM-DD, UTC; passed in: DuckDB's current_date needs the ICU extension).
WITH days AS (
    SELECT
        value AS skill,
        sum(postings) FILTER (WHERE day > $2::DATE - 7) AS this_week,
        round(sum(postings) FILTER (WHERE day <= $2::DATE - 7 AND day > $2::DATE - 35)
              / 4.0, 1) AS weekly_average_before
    FROM daily_postings
    WHERE dimension = 'skill' AND day > $2::DATE - 35
    GROUP BY value
)
SELECT skill, coalesce(this_week, 0), coalesce(weekly_average_before, 0)
FROM days
ORDER BY coalesce(this_week, 0) DESC, skill
LIMIT $1::BIGINT
