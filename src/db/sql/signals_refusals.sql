-- Signals: what Upwork refused the signals requests since the cutoff (TIMESTAMPTZ parameter):
-- `applicationsBidStats` or `batching`, with Upwork's message. Older refusals are asked again.
SELECT what, message, refused_at
FROM signals_refusals
WHERE refused_at > ?
ORDER BY what
