-- Schema version 3: the `[profile]` of pipeline.toml, which the fit_score view reads. Earlier
-- versions created these tables at export time; IF NOT EXISTS keeps those rows.
CREATE TABLE IF NOT EXISTS profile (hourly_rate DOUBLE);
CREATE TABLE IF NOT EXISTS profile_skills (skill VARCHAR);
