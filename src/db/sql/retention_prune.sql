-- Retention keeping the postings, step 2 (after retention_prune_words.sql): text and raw JSON
-- of postings published before the cutoff (parameter, UTC) are pruned.
UPDATE jobs SET title = NULL, description = NULL, raw = NULL, pruned_at = now()
WHERE pruned_at IS NULL AND published_at::TIMESTAMP < ?;
