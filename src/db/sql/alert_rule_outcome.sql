-- Records a rule's run of failures after a batch of outcomes. Parameters: whether one of them
-- succeeded, the failures after the last success (twice), whether one succeeded, the last
-- success's time, the last error (NULL after a success), rule.
UPDATE alert_rules
SET consecutive_failures = CASE WHEN ? THEN ? ELSE consecutive_failures + ? END,
    last_sent_at = CASE WHEN ? THEN ? ELSE last_sent_at END,
    last_error = ?
WHERE rule = ?
