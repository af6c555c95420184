-- The label and note of one posting, kept after the posting itself is gone. Parameter: its id.
SELECT url, label, note, strftime(updated_at::TIMESTAMP, '%Y-%m-%dT%H:%M:%SZ')
FROM labels
WHERE job_id = ?
