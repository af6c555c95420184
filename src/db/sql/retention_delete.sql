-- Strict retention, step 2: close their days (the aggregates are final) and delete them.
INSERT INTO daily_closed SELECT DISTINCT day, now() FROM expired
ON CONFLICT (day) DO NOTHING;
DELETE FROM job_skills WHERE job_id IN (SELECT id FROM expired);
DELETE FROM search_hits WHERE job_id IN (SELECT id FROM expired);
DELETE FROM job_changes WHERE job_id IN (SELECT id FROM expired);
DELETE FROM job_activity WHERE job_id IN (SELECT id FROM expired);
DELETE FROM text_postings WHERE job_id IN (SELECT id FROM expired);
DELETE FROM jobs WHERE id IN (SELECT id FROM expired);
DROP TABLE expired;
