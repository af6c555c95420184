-- Strict retention: close the days of the piece's postings (retention_piece: the aggregates are
-- final) and delete them.
INSERT INTO daily_closed SELECT DISTINCT day, now() FROM retention_piece
ON CONFLICT (day) DO NOTHING;
DELETE FROM job_skills WHERE job_id IN (SELECT id FROM retention_piece);
DELETE FROM search_hits WHERE job_id IN (SELECT id FROM retention_piece);
DELETE FROM job_changes WHERE job_id IN (SELECT id FROM retention_piece);
DELETE FROM job_activity WHERE job_id IN (SELECT id FROM retention_piece);
DELETE FROM text_postings
WHERE job_key IN (SELECT CAST('1' || id AS HUGEINT) FROM retention_piece);
DELETE FROM jobs WHERE id IN (SELECT id FROM retention_piece);
DROP TABLE retention_piece;
