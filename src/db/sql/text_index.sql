-- The text index of one merged batch (see db/words.rs): runs after merge.sql in the same
-- transaction, so a crash leaves the index as the postings it describes. The words of every
-- posting merge.sql replaced or added (cut by the decoding thread) replace the posting's stored
-- ones; a stale copy changes nothing. text_index_rows.sql follows.
CREATE OR REPLACE TEMP VIEW stage_index_source AS
SELECT job_key, words, words_lowered
FROM stage_latest
WHERE id IN (SELECT id FROM stage_status WHERE NOT is_stale);

-- The index keys the postings by their id as a number (migration 15, staged by the decoder),
-- bounded as merge.sql bounds its lookups: the zone maps of the batches' rows skip the row
-- groups of other ids.
CREATE OR REPLACE TEMP TABLE stage_replaced_keys AS
SELECT job_key
FROM stage_latest
WHERE id IN (SELECT id FROM stage_status WHERE NOT is_new AND NOT is_stale);

SET VARIABLE replaced_lo = (SELECT min(job_key) FROM stage_replaced_keys);
SET VARIABLE replaced_hi = (SELECT max(job_key) FROM stage_replaced_keys);

DELETE FROM text_postings
WHERE job_key BETWEEN getvariable('replaced_lo') AND getvariable('replaced_hi')
  AND job_key IN (SELECT job_key FROM stage_replaced_keys);
