-- `upjobpilot renormalize`: the stored postings with raw JSON whose ids are in a range, in id
-- order, with when each was last fetched. Parameters: after this id, up to and with this id
-- (constants, so DuckDB skips the row groups outside the range).
SELECT id, raw::VARCHAR, epoch_us(last_seen_at::TIMESTAMP)
FROM jobs
WHERE raw IS NOT NULL AND id > ? AND id <= ?
ORDER BY id;
