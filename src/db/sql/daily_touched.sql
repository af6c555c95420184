-- The days whose aggregates the load's batches touched (merge.sql adds to it).
CREATE OR REPLACE TEMP TABLE daily_touched (day DATE);
