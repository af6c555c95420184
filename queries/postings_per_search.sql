-- Postings per search: how much each search finds, how much of it is recent, and when it last ran.
SELECT
    h.search,
    count(*) AS postings,
    count(*) FILTER (WHERE j.published_at::TIMESTAMP >= now()::TIMESTAMP - INTERVAL 24 HOUR) AS last_24h,
    count(*) FILTER (WHERE j.job_type = 'HOURLY') AS hourly,
    count(*) FILTER (WHERE j.job_type = 'FIXED') AS fixed,
    max(j.published_at) AS newest_posting,
    any_value(s.watermark) AS watermark,
    any_value(s.last_synced_at) AS last_synced_at,
    any_value(s.last_status) AS last_status
FROM search_hits h
JOIN jobs j ON j.id = h.job_id
LEFT JOIN search_state s ON s.search = h.search
GROUP BY h.search
ORDER BY h.search
