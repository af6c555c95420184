-- Signals: adds the requests a sync's signals made to its run's record (written by the load,
-- before the signals were asked), so `status` counts every request of the run. Parameters: the
-- requests, the run id.
UPDATE sync_runs SET requests = requests + ? WHERE run_id = ?
