-- `weekly_report`: per search, postings it first found in the 7 days before $1 against the
-- weekly average of the 4 weeks before those, and how many of this week's fit the profile
-- (score 60+). Parameter: $1 now (UTC timestamp text; passed in, not DuckDB's clock, which
-- needs the ICU extension for time zones).
WITH bounds AS (
    SELECT
        $1::TIMESTAMP - INTERVAL 7 DAY AS week,
        $1::TIMESTAMP - INTERVAL 35 DAY AS before
),
hits AS (
    SELECT h.search, h.job_id, h.first_hit_at::TIMESTAMP AS hit_at
    FROM search_hits h
)
SELECT
    hits.search,
    count(*) FILTER (WHERE hit_at >= b.week) AS this_week,
    round(count(*) FILTER (WHERE hit_at < b.week AND hit_at >= b.before) / 4.0, 1)
        AS weekly_average_before,
    count(*) FILTER (WHERE hit_at >= b.week AND s.fit_score >= 60) AS good_fits_this_week
FROM hits
CROSS JOIN bounds b
LEFT JOIN posting_scores s ON s.job_id = hits.job_id
GROUP BY hits.search
ORDER BY hits.search
