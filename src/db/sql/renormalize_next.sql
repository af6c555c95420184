-- `upjobpilot renormalize`: the next stored postings with raw JSON, in id order, after the
-- parameter (the last id done; '' to start). Parameters: last id, batch size.
SELECT id, raw::VARCHAR, epoch_us(last_seen_at::TIMESTAMP)
FROM jobs
WHERE raw IS NOT NULL AND id > ?
ORDER BY id
LIMIT ?;
