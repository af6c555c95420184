-- `upjobpilot status`: one search. Parameters: time format, search (x2), time format, search (x3).
SELECT
    (SELECT strftime(last_synced_at::TIMESTAMP, ?) FROM search_state WHERE search = ?),
    (SELECT last_status FROM search_state WHERE search = ?),
    (SELECT strftime(watermark::TIMESTAMP, ?) FROM search_state WHERE search = ?),
    (SELECT count(*) FROM search_hits WHERE search = ?),
    (SELECT count(*) FROM search_hits
     WHERE search = ? AND first_hit_at::TIMESTAMP >= now()::TIMESTAMP - INTERVAL 24 HOUR);
