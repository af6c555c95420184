-- Signals: remembers a refusal. Parameters: what (`applicationsBidStats` or `batching`),
-- Upwork's message, when (TIMESTAMPTZ).
INSERT INTO signals_refusals VALUES (?, ?, ?)
ON CONFLICT (what) DO UPDATE SET message = excluded.message, refused_at = excluded.refused_at
