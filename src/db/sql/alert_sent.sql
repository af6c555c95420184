-- Records a delivered message: its postings are sent. Parameters: sent_at (TIMESTAMPTZ), rule,
-- delivery_key, attempts made before this one. The attempt count guards the update: recording
-- the same outcome again (the journal replayed after a crash) changes nothing.
UPDATE alerts_sent
SET status = 'sent', sent_at = ?, attempts = attempts + 1, next_attempt_at = NULL, last_error = NULL
WHERE rule = ? AND delivery_key = ? AND attempts = ? AND status IN ('pending', 'failed')
