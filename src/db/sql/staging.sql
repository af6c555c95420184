-- The load's staging tables, recreated for every batch: the Appender fills them, merge.sql
-- reads them. `raw` is JSON already: each node was parsed by the decoder (serde) before it is
-- staged, and the Appender stores text into a JSON column as it is, so the merge does not
-- parse every node again (a CAST to JSON did: 0.2 s of a 100k load).
-- `job_key`: the id as the text index keys it (db/words.rs `job_key`).
-- `pruned`: published before the sync's retention cutoff, staged without its description, raw
-- JSON or words (decode.rs); merge.sql stores it pruned.
CREATE OR REPLACE TEMP TABLE stage_jobs (
    id VARCHAR, ciphertext VARCHAR, record_number VARCHAR, title VARCHAR, description VARCHAR,
    job_type VARCHAR, currency VARCHAR, fixed_budget VARCHAR, hourly_min VARCHAR,
    hourly_max VARCHAR, weekly_budget VARCHAR, hourly_budget_type VARCHAR,
    experience_level VARCHAR, duration VARCHAR, duration_label VARCHAR, engagement VARCHAR,
    category VARCHAR, subcategory VARCHAR, occupation_category VARCHAR, skills VARCHAR,
    skill_labels VARCHAR, freelancers_to_hire INTEGER, total_applicants INTEGER,
    premium BOOLEAN, enterprise BOOLEAN, created_us BIGINT, published_us BIGINT,
    renewed_us BIGINT, client_country VARCHAR, client_city VARCHAR, client_timezone VARCHAR,
    client_total_hires INTEGER, client_total_posted_jobs INTEGER, client_total_spent VARCHAR,
    client_verification_status VARCHAR, client_total_reviews INTEGER,
    client_total_feedback DOUBLE, fetched_us BIGINT, seq BIGINT, raw JSON, run_id VARCHAR,
    words VARCHAR, words_lowered BOOLEAN, pruned BOOLEAN, job_key HUGEINT);
CREATE OR REPLACE TEMP TABLE stage_hits (
    search VARCHAR, job_id VARCHAR, fetched_us BIGINT, run_id VARCHAR);
