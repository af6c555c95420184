-- The text index's rows of the postings in the temp table or view `stage_index_source`
-- (job_key, words, words_lowered: db/words.rs made them), in numbers (migration 15): the load's
-- text_index.sql and the index's build (db/words.rs) end with this. `words` are distinct and
-- sorted, final when `words_lowered`, else lowered here as ILIKE lowers and made distinct again.
CREATE OR REPLACE TEMP TABLE stage_words AS
SELECT word, job_key
FROM (
    SELECT unnest(CASE
               WHEN words_lowered THEN string_split(words, ' ')
               ELSE list_distinct(string_split(lower(words), ' '))
           END) AS word,
           job_key
    FROM stage_index_source
)
WHERE word <> '';

-- New words are numbered after the highest number in use (a number retention freed is taken
-- again only once no posting holds it).
INSERT INTO text_words
SELECT word, (SELECT coalesce(max(word_id), 0) FROM text_words) + row_number() OVER (ORDER BY word)
FROM (SELECT DISTINCT word FROM stage_words WHERE word NOT IN (SELECT word FROM text_words));

-- Sorted by word: a word's rows of the batch sit in a few row groups, and the min-max zone maps
-- of the others let a search skip them (unsorted, a search read every row group of the index).
INSERT INTO text_postings
SELECT w.word_id, s.job_key
FROM stage_words s JOIN text_words w USING (word)
ORDER BY w.word_id;
