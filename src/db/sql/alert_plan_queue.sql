-- Alerts: queues the planned messages (a delivery key already queued stays as it is).
-- Parameter: the time they are queued at. alert_plan_done.sql follows.
INSERT INTO alerts_sent
SELECT rule, job_id, delivery_key, status, digest, fit_score, ?, NULL, 0, NULL, last_error
FROM alert_plan
ON CONFLICT DO NOTHING
