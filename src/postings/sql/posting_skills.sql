-- One posting's skills, and whether each is one of the profile's. Parameter: its id.
SELECT
    k.skill,
    coalesce(k.pretty_name, k.skill),
    EXISTS (
        SELECT 1 FROM profile_skills p
        WHERE p.skill = lower(k.skill) OR p.skill = lower(k.pretty_name)) AS mine
FROM job_skills k
WHERE k.job_id = ?
ORDER BY mine DESC, k.skill
