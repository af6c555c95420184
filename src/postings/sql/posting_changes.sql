-- How one posting changed between syncs: proposals, hires wanted, budget, renewal. Parameter:
-- its id.
SELECT
    strftime(observed_at::TIMESTAMP, '%Y-%m-%dT%H:%M:%SZ'),
    total_applicants,
    freelancers_to_hire,
    fixed_budget::DOUBLE,
    hourly_min::DOUBLE,
    hourly_max::DOUBLE,
    strftime(renewed_at::TIMESTAMP, '%Y-%m-%dT%H:%M:%SZ')
FROM job_changes
WHERE job_id = ?
ORDER BY observed_at, run_id
