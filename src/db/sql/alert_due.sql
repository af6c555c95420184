-- The deliveries to attempt now: pending ones and failed ones whose backoff has passed, with
-- their postings, best first within a delivery. Parameter: now (TIMESTAMPTZ). Postings that
-- strict retention deleted are marked `expired` first (alert_expire.sql). The last nine columns
-- are the posting's latest competition signals (activity::COLUMNS; NULL without a snapshot).
SELECT
    a.rule,
    a.delivery_key,
    a.digest,
    a.attempts,
    j.id,
    j.title,
    j.url,
    j.job_type,
    j.currency,
    CAST(j.fixed_budget AS DOUBLE),
    CAST(j.hourly_min AS DOUBLE),
    CAST(j.hourly_max AS DOUBLE),
    array_to_string(j.skills, chr(31)),
    j.published_at,
    j.client_country,
    j.client_payment_verified,
    a.fit_score,
    s.fetched_at,
    s.status,
    s.interviewing,
    s.invites_sent,
    s.hired,
    s.unanswered_invites,
    s.offered,
    s.last_client_activity,
    s.bid_avg::DOUBLE
FROM alerts_sent a
JOIN jobs j ON j.id = a.job_id
LEFT JOIN (
    SELECT * FROM job_activity
    QUALIFY row_number() OVER (PARTITION BY job_id ORDER BY fetched_at DESC) = 1
) s ON s.job_id = j.id
WHERE a.status IN ('pending', 'failed')
  AND (a.next_attempt_at IS NULL OR a.next_attempt_at <= ?)
ORDER BY a.rule, a.queued_at, a.delivery_key, a.fit_score DESC NULLS LAST, j.published_at DESC, j.id
