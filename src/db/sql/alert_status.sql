-- `alerts status`: per rule that has a state or a delivery, its counts and its last delivery.
-- No parameters. Counts are of postings.
SELECT
    r.rule,
    count(a.job_id) FILTER (WHERE a.status = 'sent') AS sent,
    count(a.job_id) FILTER (WHERE a.status IN ('pending', 'failed')) AS waiting,
    count(a.job_id) FILTER (WHERE a.status = 'suppressed') AS suppressed,
    count(a.job_id) FILTER (WHERE a.status = 'expired') AS expired,
    r.last_sent_at,
    r.consecutive_failures,
    r.last_error
FROM alert_rules r
LEFT JOIN alerts_sent a ON a.rule = r.rule
GROUP BY r.rule, r.last_sent_at, r.consecutive_failures, r.last_error
ORDER BY r.rule
