-- Alerts: when a rule last looked at new postings (no row: never). Parameter: the rule.
SELECT last_evaluated_at FROM alert_rules WHERE rule = ?
