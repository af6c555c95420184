-- Days whose daily aggregates are out of date. A load commits in pieces: each piece adds the
-- days its postings touched, in its own transaction, and the load's last piece recomputes them
-- and empties the table, so a load killed between two pieces leaves them to the next one.
CREATE TABLE IF NOT EXISTS daily_dirty (day DATE NOT NULL);
