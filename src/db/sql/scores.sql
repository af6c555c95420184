-- Rewrites `posting_scores` from the shipped views' SELECTs, which replace the two markers
-- below (pipeline::views::with_shipped_scores); run in one transaction with the export.
DELETE FROM posting_scores;
INSERT INTO posting_scores
SELECT f.id, f.fit_score, q.quality_score
FROM (
__FIT_SCORE__
) f
LEFT JOIN (
__CLIENT_QUALITY__
) q ON q.id = f.id;
