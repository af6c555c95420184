-- Skill demand over time: postings per skill per day (UTC) of publication, with the median
-- budgets of that day's fixed-price and hourly postings. Read from the daily aggregates
-- (daily_postings), which retention never removes, so it covers the whole history even when
-- the postings themselves are gone (retention.keep_postings = false).
SELECT
    day,
    value AS skill,
    postings,
    hourly,
    fixed,
    median_fixed_budget,
    median_hourly_rate
FROM daily_postings
WHERE dimension = 'skill'
ORDER BY day DESC, postings DESC, skill
