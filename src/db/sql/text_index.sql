-- The text index of one merged batch (see migrations/011_text_index.sql): runs after merge.sql
-- in the same transaction, so a crash leaves the index as the postings it describes. The words
-- of every posting merge.sql replaced or added replace the posting's stored ones; a stale copy
-- changes nothing. The decoding thread cut them (pipeline/words.rs says why its cut finds what
-- the migration's does): distinct and sorted, final when `words_lowered`, else lowered here as
-- ILIKE lowers and made distinct again.
CREATE OR REPLACE TEMP TABLE stage_words AS
SELECT word, job_id
FROM (
    SELECT unnest(CASE
               WHEN words_lowered THEN string_split(words, ' ')
               ELSE list_distinct(string_split(lower(words), ' '))
           END) AS word,
           id AS job_id
    FROM stage_latest
    WHERE id IN (SELECT id FROM stage_status WHERE NOT is_stale)
)
WHERE word <> '';

DELETE FROM text_postings
WHERE job_id BETWEEN getvariable('stage_lo') AND getvariable('stage_hi')
  AND job_id IN (SELECT id FROM stage_status WHERE NOT is_new AND NOT is_stale);

INSERT INTO text_words
SELECT DISTINCT word FROM stage_words
WHERE word NOT IN (SELECT word FROM text_words);

-- Sorted by word: a word's rows of the batch sit in a few row groups, and the min-max zone maps
-- of the others let a search skip them (unsorted, a search read every row group of the index).
INSERT INTO text_postings SELECT word, job_id FROM stage_words ORDER BY word;
