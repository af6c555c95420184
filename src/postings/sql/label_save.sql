-- Sets the label and/or the note of one posting. The URL comes from the posting, or from the
-- label row when retention has deleted the posting; nothing is written for an unknown id.
-- Parameters: $1 id, $2 label, $3 note, $4 whether to set the label, $5 whether to set the note.
INSERT INTO labels (job_id, url, label, note, updated_at)
SELECT $1::VARCHAR, url, $2::VARCHAR, $3::VARCHAR, now()
FROM (
    SELECT coalesce(
        (SELECT url FROM jobs WHERE id = $1::VARCHAR),
        (SELECT url FROM labels WHERE job_id = $1::VARCHAR)) AS url
)
WHERE url IS NOT NULL
ON CONFLICT (job_id) DO UPDATE SET
    label = CASE WHEN $4::BOOLEAN THEN excluded.label ELSE label END,
    note = CASE WHEN $5::BOOLEAN THEN excluded.note ELSE note END,
    updated_at = excluded.updated_at
