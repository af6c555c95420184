-- The text index with the words db/words.rs cuts, in Rust: the pieces of the lowered title and
-- description between separators, of three characters or more (011's were runs of Unicode
-- letters and digits of every length, cut with a regex). The tables as 011 made them, emptied;
-- db::words::build_index then indexes every stored posting as a load does (db/mod.rs ran it
-- right after this until migration 15 numbered the index; it runs after 15 now).
CREATE OR REPLACE TABLE text_words (word VARCHAR NOT NULL);
CREATE OR REPLACE TABLE text_postings (word VARCHAR NOT NULL, job_id VARCHAR NOT NULL);
