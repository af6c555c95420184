-- Alerts: queues the planned messages: a rule's best matches pending, its others suppressed
-- with the reason (a delivery key already queued stays as it is). Parameter: the time they are
-- queued at. alert_plan_done.sql follows.
INSERT INTO alerts_sent
SELECT
    p.rule,
    p.job_id,
    coalesce(b.delivery_key, p.delivery_key),
    CASE WHEN b.job_id IS NULL THEN 'suppressed' ELSE 'pending' END,
    coalesce(b.digest, false),
    p.fit_score,
    ?,
    NULL,
    0,
    NULL,
    CASE WHEN b.job_id IS NULL THEN w.why END
FROM alert_plan p
LEFT JOIN alert_best b ON b.rule = p.rule AND b.job_id = p.job_id
LEFT JOIN alert_why w ON w.rule = p.rule
ON CONFLICT DO NOTHING
