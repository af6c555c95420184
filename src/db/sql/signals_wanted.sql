-- Signals: the postings whose activity this sync fetches (pipeline/signals.rs), `top` first.
-- `top`: the best new postings, those waiting in alerts_queue (the load stored them as new), by
-- the fit score just written to posting_scores, at least the minimum. `saved`: postings
-- labelled saved, still open by their latest snapshot, whose latest snapshot was fetched at or
-- before the refresh cutoff (or that have none). Parameters: the minimum fit score, top, whether
-- saved postings are refreshed at all, the refresh cutoff (TIMESTAMPTZ).
WITH top_new AS (
    SELECT q.job_id, coalesce(s.fit_score, 0) AS fit_score, j.published_at
    FROM (SELECT DISTINCT job_id FROM alerts_queue) q
    JOIN jobs j ON j.id = q.job_id
    LEFT JOIN posting_scores s ON s.job_id = q.job_id
    WHERE coalesce(s.fit_score, 0) >= ?
    ORDER BY fit_score DESC, j.published_at DESC, q.job_id
    LIMIT ?
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
    WHERE ? AND l.label = 'saved'
      AND coalesce(a.status, 'ACTIVE') = 'ACTIVE'
      AND (a.fetched_at IS NULL OR a.fetched_at <= ?)
      AND l.job_id NOT IN (SELECT job_id FROM top_new)
)
SELECT job_id, 'top' AS reason, 0 AS part, fit_score, published_at FROM top_new
UNION ALL
SELECT job_id, 'saved', 1, NULL, NULL FROM saved
ORDER BY part, fit_score DESC, published_at DESC, job_id
