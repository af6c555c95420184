-- The text index: which postings hold which words, so that a text search (the dashboard's and
-- the MCP tool's) reads the postings that can match instead of every title and description.
-- A word is a maximal run of letters and digits (Unicode) of lower(title || ' ' || description),
-- lowered by DuckDB's lower() as ILIKE lowers. The same words are cut from a query: every run
-- of letters and digits in what an ILIKE '%query%' matches lies inside one word of the text, so
-- the postings that have, for each of the query's runs, a word containing it, are a superset of
-- the ILIKE's matches; the ILIKE then runs on them alone (postings.sql). The load maintains the
-- index in each batch's transaction (text_index.sql), retention with the text it prunes.
-- (Until migration 13 this one filled the index with DuckDB's regexes; the words are cut in
-- Rust now, db/words.rs, and migration 13 fills it for the postings already stored.)
--
-- The vocabulary: every distinct word, scanned with contains() for the words holding a query's
-- run (a word no posting holds any more only costs that scan; retention drops them).
CREATE OR REPLACE TABLE text_words (word VARCHAR NOT NULL);
-- One row per posting and distinct word of its title and description. Without keys (see 007):
-- each batch appends its rows sorted by word, so a word's rows sit in a few row groups of each
-- batch and DuckDB's min-max zone maps let a search skip the others.
CREATE OR REPLACE TABLE text_postings (word VARCHAR NOT NULL, job_id VARCHAR NOT NULL);
