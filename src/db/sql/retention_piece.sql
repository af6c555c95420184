-- Retention, each piece: up to $3 postings published before the cutoff ($1, UTC), into the
-- temp table `retention_piece`; with $2 (strict retention) every such posting, else only those
-- whose text is not pruned yet. Each piece is its own transaction (pipeline/retention.rs).
CREATE OR REPLACE TEMP TABLE retention_piece AS
SELECT id, published_at::TIMESTAMP::DATE AS day FROM jobs
WHERE published_at::TIMESTAMP < $1 AND ($2 OR pruned_at IS NULL)
LIMIT $3;
