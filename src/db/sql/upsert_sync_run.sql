-- A run's record. Parameters: run id, started, finished, loaded, status, searches, pages,
-- postings seen, new, changed, quarantined, requests, errors. A run already recorded keeps its
-- row: its spool folder is loaded again only when a crash came between the commit and the
-- folder's removal, and the first load's record is the true one.
INSERT INTO sync_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run_id) DO NOTHING;
