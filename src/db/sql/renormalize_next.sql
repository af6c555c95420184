-- `upjobpilot renormalize`: where the next batch ends, the id of the batch-th stored posting
-- with raw JSON after the last one done ('' to start), or NULL when none is left. Reads the id
-- column only: the batch's raw JSON is then read by id range (renormalize_batch.sql), so no
-- batch sorts the raw JSON of every posting after it. Parameters: last id, batch size.
SELECT max(id) FROM (
    SELECT id FROM jobs WHERE raw IS NOT NULL AND id > ? ORDER BY id LIMIT ?
);
