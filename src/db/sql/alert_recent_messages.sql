-- Alerts: a rule's messages queued since a time (for its max_per_hour), suppressed ones not
-- counted. Parameters: the rule, the time.
SELECT count(DISTINCT delivery_key)
FROM alerts_sent
WHERE rule = ?
  AND queued_at > ?
  AND status <> 'suppressed'
