-- Deliveries not yet made whose posting strict retention deleted: nothing is left to send.
UPDATE alerts_sent SET status = 'expired', last_error = 'the posting was deleted by retention'
WHERE status IN ('pending', 'failed') AND job_id NOT IN (SELECT id FROM jobs);
