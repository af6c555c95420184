-- Strict retention, step 1: the postings published before the cutoff (parameter, UTC).
CREATE OR REPLACE TEMP TABLE expired AS
SELECT id, published_at::TIMESTAMP::DATE AS day FROM jobs
WHERE published_at::TIMESTAMP < ?;
