-- Alerts: the queued new postings a rule has already a message for. Parameter: the rule.
SELECT job_id
FROM alerts_sent
WHERE rule = ?
  AND job_id IN (SELECT job_id FROM alerts_queue)
