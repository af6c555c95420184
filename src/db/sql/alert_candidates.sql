-- The postings waiting in alerts_queue, with what the alert rules filter on (alerts::plan ranks
-- them). The scores are those the sync has just written into posting_scores (pipeline/scores.rs,
-- from the shipped queries/fit_score.sql and queries/client_quality.sql), so an alert's
-- `min_fit_score` means what the user sees in those views and on the dashboard, and each
-- formula is written once; a posting not scored yet counts 0. `searches` lists the searches
-- that found the posting, joined by chr(31). `interviewing` is that of the posting's latest
-- competition signals (NULL without a snapshot: `max_interviewing` lets it pass).
-- Parameters: $1 the id the previous page ended at ('' for the first), $2 the page's size. In id
-- order, a page at a time (alerts::plan); a queued posting no longer stored comes with its id
-- alone. The title is the stored one, or the queue's for a posting stored pruned (merge.sql).
WITH queued AS (
    SELECT job_id, any_value(title) AS title FROM alerts_queue WHERE job_id > $1::VARCHAR
    GROUP BY job_id ORDER BY job_id LIMIT $2
),
hits AS (
    SELECT h.job_id, string_agg(h.search, chr(31) ORDER BY h.search) AS searches
    FROM search_hits h
    JOIN queued q ON q.job_id = h.job_id
    GROUP BY h.job_id
)
SELECT
    q.job_id,
    coalesce(j.title, q.title) AS title,
    j.job_type,
    CAST(j.fixed_budget AS DOUBLE) AS fixed_budget,
    CAST(j.hourly_max AS DOUBLE) AS hourly_max,
    j.client_payment_verified,
    coalesce(h.searches, '') AS searches,
    coalesce(s.fit_score, 0) AS fit_score,
    coalesce(s.client_quality, 0) AS quality_score,
    j.published_at,
    (SELECT arg_max(a.interviewing, a.fetched_at) FROM job_activity a WHERE a.job_id = j.id)
        AS interviewing
FROM queued q
LEFT JOIN jobs j ON j.id = q.job_id
LEFT JOIN posting_scores s ON s.job_id = q.job_id
LEFT JOIN hits h ON h.job_id = q.job_id
ORDER BY q.job_id
