-- What a load leaves behind in its transaction, dropped before the commit. Keep in step with
-- the tables staging.sql, merge.sql and text_index.sql create.
DROP VIEW stage_index_source;
DROP VIEW stage_latest;
DROP TABLE stage_pick;
DROP TABLE stage_jobs;
DROP TABLE stage_hits;
DROP TABLE stage_skills;
DROP TABLE stage_counts;
DROP TABLE stage_status;
DROP TABLE stage_hit_merged;
DROP TABLE stage_words;
DROP TABLE stage_replaced_keys;
