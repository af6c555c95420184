-- How the text index answers a text filter (postings.sql's $3 and $21). The index holds each
-- posting's words: maximal runs of letters and digits of its lowered title and description
-- (migrations/011_text_index.sql); ILIKE lowers both sides the same way. Every run of letters
-- and digits in the filter's text must then lie inside one word of a posting that ILIKE
-- matches, so the postings with a word containing each run are a superset of its matches, and
-- exactly them when the text is one run alone (`rust`: every occurrence is inside a word).
-- Runs under three characters are left out: nearly every posting has a word containing one, so
-- they narrow nothing and only cost. Parameter: $1 the text. Returns the runs, space-separated
-- (NULL when there is none), and whether they are the whole text.
SELECT
    nullif(array_to_string(
        list_distinct(regexp_extract_all(lower($1::VARCHAR), '[\pL\pN]{3,}')), ' '), ''),
    regexp_full_match(lower($1::VARCHAR), '[\pL\pN]{3,}')
