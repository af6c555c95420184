-- Chart: postings per day per search, by day of publication (UTC), the last 30 days stored.
SELECT h.search, strftime(j.published_at::TIMESTAMP::DATE, '%Y-%m-%d') AS day, count(*) AS postings
FROM search_hits h
JOIN jobs j ON j.id = h.job_id
WHERE j.published_at::TIMESTAMP::DATE >= (SELECT max(published_at)::TIMESTAMP::DATE - 29 FROM jobs)
GROUP BY ALL
ORDER BY day, h.search
