-- Client quality: for each posting, how trustworthy its client looks (hire rate, spend, rating,
-- payment verification, reviews). quality_score is 0-100: 30 for verified payment, up to 30 for
-- the hire rate, up to 20 for the rating (totalFeedback / 5), up to 20 for spend (log scale,
-- full marks at $100k).
SELECT
    j.id,
    j.title,
    j.client_country,
    j.client_payment_verified,
    j.client_total_hires,
    j.client_total_posted_jobs,
    j.client_hire_rate,
    j.client_total_spent,
    j.client_total_feedback,
    j.client_total_reviews,
    round(
        30 * coalesce(j.client_payment_verified::INTEGER, 0)
        + 30 * coalesce(j.client_hire_rate, 0)
        + 20 * coalesce(j.client_total_feedback, 0) / 5
        + 20 * least(1, log10(1 + coalesce(j.client_total_spent, 0)::DOUBLE) / 5),
        1) AS quality_score,
    j.url
FROM jobs j
ORDER BY quality_score DESC, j.id
