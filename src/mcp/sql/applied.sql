-- `draft_proposal`: the user's postings labelled applied, newest label first, with their notes
-- (a proposal is drafted from what was sent before). Parameters: $1 the posting being drafted
-- for (left out), $2 how many.
SELECT
    l.job_id,
    j.title,
    to_json(coalesce(j.skills, []::VARCHAR[]))::VARCHAR,
    l.note,
    strftime(l.updated_at::TIMESTAMP, '%Y-%m-%dT%H:%M:%SZ')
FROM labels l
LEFT JOIN jobs j ON j.id = l.job_id
WHERE l.label = 'applied' AND l.job_id <> $1::VARCHAR
ORDER BY l.updated_at DESC
LIMIT $2::BIGINT
