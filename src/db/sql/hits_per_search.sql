-- `upjobpilot demo`'s summary: postings per search.
SELECT search, count(*) FROM search_hits GROUP BY search ORDER BY search;
