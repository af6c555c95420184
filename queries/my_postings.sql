-- My postings: what you labelled in `upjobpilot serve` (saved, applied and your own labels; not
-- ignored ones) or wrote a note on, most recently changed first. Labels are yours: they stay
-- after Upwork's retention has pruned or deleted the posting, whose id and URL are kept with them.
SELECT
    l.label,
    l.note,
    l.updated_at AS labelled_at,
    j.title,
    j.job_type,
    j.currency,
    j.fixed_budget,
    j.hourly_min,
    j.hourly_max,
    j.client_country,
    j.published_at,
    l.url,
    l.job_id AS id
FROM labels l
LEFT JOIN jobs j ON j.id = l.job_id
WHERE l.label IS DISTINCT FROM 'ignored'
ORDER BY l.updated_at DESC, l.job_id
