-- The dashboard's page of one posting, scored as it is now: `__FIT_SCORE__` and
-- `__CLIENT_QUALITY__` are replaced by the shipped views' SELECTs
-- (pipeline::views::with_shipped_scores). Parameter: $1 the posting's id.
WITH fit AS (
__FIT_SCORE__
),
quality AS (
__CLIENT_QUALITY__
)
SELECT
    j.id,
    -- The summary's columns (data::Summary, in the same order as postings.sql's).
    j.title,
    j.job_type,
    j.currency,
    j.fixed_budget::DOUBLE,
    j.hourly_min::DOUBLE,
    j.hourly_max::DOUBLE,
    j.experience_level,
    j.total_applicants,
    j.client_country,
    j.client_payment_verified,
    j.client_hire_rate,
    j.client_total_spent::DOUBLE,
    strftime(j.published_at::TIMESTAMP, '%Y-%m-%dT%H:%M:%SZ'),
    f.fit_score,
    q.quality_score,
    -- The page's own.
    j.description,
    j.url,
    j.duration_label,
    j.engagement,
    j.category,
    j.freelancers_to_hire,
    j.client_city,
    j.client_total_hires,
    j.client_total_posted_jobs,
    j.client_total_feedback,
    j.client_total_reviews,
    strftime(j.pruned_at::TIMESTAMP, '%Y-%m-%dT%H:%M:%SZ'),
    f.competition::DOUBLE
FROM jobs j
LEFT JOIN fit f ON f.id = j.id
LEFT JOIN quality q ON q.id = j.id
WHERE j.id = $1
