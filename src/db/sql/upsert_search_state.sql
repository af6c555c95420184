-- A search's state after a load. Parameters: search, watermark (NULL unless complete), run id,
-- status, synced at, total count, note, complete. The watermark only moves up, and only for a
-- search whose paging completed.
INSERT INTO search_state VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (search) DO UPDATE SET
    watermark = CASE WHEN ? THEN greatest(search_state.watermark, excluded.watermark)
                     ELSE search_state.watermark END,
    last_run_id = excluded.last_run_id,
    last_status = excluded.last_status,
    last_synced_at = excluded.last_synced_at,
    last_total_count = coalesce(excluded.last_total_count, search_state.last_total_count),
    last_note = excluded.last_note;
