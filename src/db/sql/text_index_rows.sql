-- The text index's rows of the postings in the temp table or view `stage_index_source`
-- (job_id, words, words_lowered: db/words.rs cut them): the load's text_index.sql and the
-- index's build (migration 13) end with this. `words` are distinct and sorted, final when
-- `words_lowered`, else lowered here as ILIKE lowers and made distinct again.
CREATE OR REPLACE TEMP TABLE stage_words AS
SELECT word, job_id
FROM (
    SELECT unnest(CASE
               WHEN words_lowered THEN string_split(words, ' ')
               ELSE list_distinct(string_split(lower(words), ' '))
           END) AS word,
           job_id
    FROM stage_index_source
)
WHERE word <> '';

INSERT INTO text_words
SELECT DISTINCT word FROM stage_words
WHERE word NOT IN (SELECT word FROM text_words);

-- Sorted by word: a word's rows of the batch sit in a few row groups, and the min-max zone maps
-- of the others let a search skip them (unsorted, a search read every row group of the index).
INSERT INTO text_postings SELECT word, job_id FROM stage_words ORDER BY word;
