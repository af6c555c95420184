-- Retention keeping the postings, step 1: the words of the postings whose text is about to be
-- pruned (same parameter and condition as retention_prune.sql, in its transaction) leave the
-- text index.
DELETE FROM text_postings
WHERE job_id IN (SELECT id FROM jobs WHERE pruned_at IS NULL AND published_at::TIMESTAMP < ?);
