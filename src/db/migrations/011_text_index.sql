-- The text index: which postings hold which words, so that a text search (the dashboard's and
-- the MCP tool's) reads the postings that can match instead of every title and description.
-- A word is a maximal run of letters and digits (Unicode) of lower(title || ' ' || description),
-- lowered by DuckDB's lower() as ILIKE lowers. The same words are cut from a query: every run
-- of letters and digits in what an ILIKE '%query%' matches lies inside one word of the text, so
-- the postings that have, for each of the query's runs, a word containing it, are a superset of
-- the ILIKE's matches; the ILIKE then runs on them alone (postings.sql). The load maintains the
-- index in each batch's transaction (text_index.sql), retention with the text it prunes. Run
-- again (a file taken back to an earlier version), it builds the index anew. (A load cuts
-- its words in Rust instead: longer pieces of the same lowered text, and none under three
-- characters; pipeline/words.rs says why a search finds the same postings either way.)
--
-- The vocabulary: every distinct word, scanned with contains() for the words holding a query's
-- run (a word no posting holds any more only costs that scan; retention drops them).
CREATE OR REPLACE TABLE text_words (word VARCHAR NOT NULL);
-- One row per posting and distinct word of its title and description. Without keys (see 007):
-- each batch appends its rows sorted by word, so a word's rows sit in a few row groups of each
-- batch and DuckDB's min-max zone maps let a search skip the others.
CREATE OR REPLACE TABLE text_postings (word VARCHAR NOT NULL, job_id VARCHAR NOT NULL);

-- The postings already stored.
INSERT INTO text_postings
SELECT DISTINCT word, job_id
FROM (
    SELECT unnest(regexp_extract_all(
               lower(coalesce(title, '') || ' ' || coalesce(description, '')),
               '[\pL\pN]+')) AS word,
           id AS job_id
    FROM jobs
)
ORDER BY word;
INSERT INTO text_words SELECT DISTINCT word FROM text_postings;
