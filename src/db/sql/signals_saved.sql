-- Signals: how many postings labelled saved are still refreshed (stored, and open by their
-- latest snapshot, or without one). No parameters.
SELECT count(*)
FROM labels l
JOIN jobs j ON j.id = l.job_id
WHERE l.label = 'saved'
  AND coalesce((SELECT arg_max(a.status, a.fetched_at) FROM job_activity a WHERE a.job_id = l.job_id),
               'ACTIVE') = 'ACTIVE'
