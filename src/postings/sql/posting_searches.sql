-- The searches that found one posting, and when first. Parameter: its id.
SELECT search, strftime(first_hit_at::TIMESTAMP, '%Y-%m-%dT%H:%M:%SZ')
FROM search_hits
WHERE job_id = ?
ORDER BY search
