-- The days whose aggregates are out of date and not closed, for daily.sql; the list of
-- out-of-date days is emptied in the same transaction.
CREATE OR REPLACE TEMP TABLE daily_days AS
SELECT DISTINCT day FROM daily_dirty EXCEPT SELECT day FROM daily_closed;
DELETE FROM daily_dirty;
