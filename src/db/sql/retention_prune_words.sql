-- Retention keeping the postings, step 1: the words of the piece's postings (retention_piece,
-- retention_piece.sql), whose text is about to be pruned, leave the text index.
DELETE FROM text_postings
WHERE job_key IN (SELECT CAST('1' || id AS HUGEINT) FROM retention_piece);
