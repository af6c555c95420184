-- The text index cut as loads cut it now (pipeline/words.rs): a posting's words are the pieces
-- of lower(title || ' ' || description) between separators, of three characters or more. The
-- separators are the characters no Unicode version makes a letter or digit: ASCII punctuation,
-- controls and space, the other white space (U+0085, U+00A0, U+1680, U+3000) and the General
-- Punctuation block (U+2000-U+206F). A piece holds every run of letters and digits a search cuts
-- from its text (text_plan.sql), which are three characters or more; migrations/011 says why
-- that makes the index find what ILIKE finds. Against 011's runs of letters and digits: no
-- short words (14 % of the index's rows at 100k postings), and the load cuts the same words on
-- its decoding thread instead of with this regex (a third of a load's time at 100k). Run again,
-- it builds the index anew.
CREATE OR REPLACE TABLE text_postings (word VARCHAR NOT NULL, job_id VARCHAR NOT NULL);
INSERT INTO text_postings
SELECT DISTINCT word, job_id
FROM (
    SELECT unnest(regexp_extract_all(
               lower(coalesce(title, '') || ' ' || coalesce(description, '')),
               '[^\x00-\x2F\x3A-\x40\x5B-\x60\x7B-\x7F\x{85}\x{A0}\x{1680}\x{2000}-\x{206F}\x{3000}]{3,}'))
               AS word,
           id AS job_id
    FROM jobs
)
ORDER BY word;
CREATE OR REPLACE TABLE text_words (word VARCHAR NOT NULL);
INSERT INTO text_words SELECT DISTINCT word FROM text_postings;
