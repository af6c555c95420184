-- The text index of one merged batch (see db/words.rs): runs after merge.sql in the same
-- transaction, so a crash leaves the index as the postings it describes. The words of every
-- posting merge.sql replaced or added (cut by the decoding thread) replace the posting's stored
-- ones; a stale copy changes nothing. text_index_rows.sql follows.
CREATE OR REPLACE TEMP VIEW stage_index_source AS
SELECT id AS job_id, words, words_lowered
FROM stage_latest
WHERE id IN (SELECT id FROM stage_status WHERE NOT is_stale);

DELETE FROM text_postings
WHERE job_id BETWEEN getvariable('stage_lo') AND getvariable('stage_hi')
  AND job_id IN (SELECT id FROM stage_status WHERE NOT is_new AND NOT is_stale);
