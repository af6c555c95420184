-- Alerts: records that a rule looked at new postings. Parameters: the rule, the time (twice:
-- first look and last look).
INSERT INTO alert_rules (rule, first_evaluated_at, last_evaluated_at)
VALUES (?, ?, ?)
ON CONFLICT (rule) DO UPDATE SET last_evaluated_at = excluded.last_evaluated_at
