-- The text index in numbers: a word's number instead of the word, and the posting's id as a
-- number, `CAST('1' || id AS HUGEINT)` (the 1 before it keeps an id's leading zeros: ids are
-- strings of up to 32 digits). At 100k postings its 5.3M rows are written in 1.2 s against the
-- strings' 1.8 s, and the file is 115 MB against 166 (BENCHMARKS.md). The tables as 013 made them,
-- renumbered; db::words::build_index then indexes every stored posting as a load does (db/mod.rs
-- runs it right after this, in the same transaction). To read a posting's words:
--   SELECT substr(CAST(p.job_key AS VARCHAR), 2) AS job_id, w.word
--   FROM text_postings p JOIN text_words w USING (word_id)
CREATE OR REPLACE TABLE text_words (word VARCHAR NOT NULL, word_id INTEGER NOT NULL);
CREATE OR REPLACE TABLE text_postings (word_id INTEGER NOT NULL, job_key HUGEINT NOT NULL);
