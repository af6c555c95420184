-- A queued posting's title, as fetched. A sync stores a posting published before its retention
-- cutoff with its text already pruned (nothing is kept that retention would delete moments
-- later); the alert rules, matched after the load, still read the title from the queue, which
-- their plan empties. NULL for a posting queued before this column existed: its title is read
-- from `jobs`, as it was.
ALTER TABLE alerts_queue ADD COLUMN IF NOT EXISTS title VARCHAR;
