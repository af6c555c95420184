-- Retention keeping the postings, step 2 (after retention_prune_words.sql): the text and raw
-- JSON of the piece's postings (retention_piece) are pruned.
UPDATE jobs SET title = NULL, description = NULL, raw = NULL, pruned_at = now()
WHERE id IN (SELECT id FROM retention_piece);
