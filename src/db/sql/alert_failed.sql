-- Records a failed attempt: retried from next_attempt_at. Parameters: next_attempt_at
-- (TIMESTAMPTZ), last_error, rule, delivery_key, attempts made before this one (the guard, as in
-- alert_sent.sql).
UPDATE alerts_sent
SET status = 'failed', attempts = attempts + 1, next_attempt_at = ?, last_error = ?
WHERE rule = ? AND delivery_key = ? AND attempts = ? AND status IN ('pending', 'failed')
