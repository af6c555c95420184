-- New postings: what the most recent sync found that was not stored before, newest first, with
-- the label you gave each in `upjobpilot serve` (saved, applied, ignored, your own; empty if none).
SELECT
    j.published_at,
    j.title,
    j.job_type,
    j.currency,
    j.fixed_budget,
    j.hourly_min,
    j.hourly_max,
    j.experience_level,
    j.total_applicants,
    j.client_country,
    j.client_payment_verified,
    j.client_hire_rate,
    j.skills,
    (SELECT string_agg(h.search, ', ' ORDER BY h.search) FROM search_hits h WHERE h.job_id = j.id) AS searches,
    l.label,
    j.url,
    j.id
FROM jobs j
LEFT JOIN labels l ON l.job_id = j.id
WHERE j.first_seen_at >= (
    SELECT coalesce(max(started_at), make_timestamp(0::BIGINT)::TIMESTAMPTZ)
    FROM sync_runs
    WHERE status <> 'crashed'
)
ORDER BY j.published_at DESC, j.id DESC
