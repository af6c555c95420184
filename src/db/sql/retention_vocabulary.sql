-- Retention, last step: the words no posting holds any more leave the text index's vocabulary
-- (run when retention pruned or deleted something; a search would only scan past them).
DELETE FROM text_words WHERE word_id NOT IN (SELECT word_id FROM text_postings);
