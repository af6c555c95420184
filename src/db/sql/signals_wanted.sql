-- Signals: the postings whose activity this sync fetches (pipeline/signals.rs), `top` first.
-- `top`: the best new postings, those waiting in alerts_queue (the load stored them as new), by
-- the fit score just written to posting_scores, at least the minimum. `saved`: postings
-- labelled saved, still open by their latest snapshot, whose latest snapshot was fetched at or
-- before the refresh cutoff (or that have none). Parameters: $1 the minimum fit score, $2 top,
-- $3 whether saved postings are refreshed at all, $4 the refresh cutoff (TIMESTAMPTZ).
-- The top are found by their score alone first (`cut`: the lowest score among the best `top`),
-- and only those at or above it are joined with `jobs` for the order: after a first sync of a
-- million postings, joining all 950,005 queued ones with `jobs` ran out of the default memory
-- limit (on one thread too); this takes 0.3 s at 122 MiB, with the same answer.
WITH queued AS (SELECT DISTINCT job_id FROM alerts_queue),
scored AS (
    SELECT q.job_id, coalesce(s.fit_score, 0) AS fit_score
    FROM queued q LEFT JOIN posting_scores s ON s.job_id = q.job_id
    WHERE coalesce(s.fit_score, 0) >= $1
),
cut AS (
    SELECT coalesce(min(fit_score), 0) AS lowest
    FROM (SELECT fit_score FROM scored ORDER BY fit_score DESC LIMIT $2)
),
top_new AS (
    SELECT c.job_id, c.fit_score, j.published_at
    FROM scored c JOIN jobs j ON j.id = c.job_id
    WHERE c.fit_score >= (SELECT lowest FROM cut)
    ORDER BY c.fit_score DESC, j.published_at DESC, c.job_id
    LIMIT $2
),
latest AS (
    SELECT job_id, arg_max(status, fetched_at) AS status, max(fetched_at) AS fetched_at
    FROM job_activity
    GROUP BY job_id
),
saved AS (
    SELECT l.job_id
    FROM labels l
    JOIN jobs j ON j.id = l.job_id
    LEFT JOIN latest a ON a.job_id = l.job_id
    WHERE $3 AND l.label = 'saved'
      AND coalesce(a.status, 'ACTIVE') = 'ACTIVE'
      AND (a.fetched_at IS NULL OR a.fetched_at <= $4)
      AND l.job_id NOT IN (SELECT job_id FROM top_new)
)
SELECT job_id, 'top' AS reason, 0 AS part, fit_score, published_at FROM top_new
UNION ALL
SELECT job_id, 'saved', 1, NULL, NULL FROM saved
ORDER BY part, fit_score DESC, published_at DESC, job_id
