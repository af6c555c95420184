-- `upjobpilot reset --postings`: drop which postings a search found (parameter: the search).
-- The postings, labels and alert bookkeeping stay.
DELETE FROM search_hits WHERE search = ?;
