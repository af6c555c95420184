-- `upjobpilot reset`: forget a search's watermark (parameter: the search). The next sync pages
-- back to its `max_age_hours`, as a first sync does.
UPDATE search_state SET watermark = NULL WHERE search = ?;
