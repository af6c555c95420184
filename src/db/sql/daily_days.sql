-- The touched days that are not closed, for daily.sql.
CREATE OR REPLACE TEMP TABLE daily_days AS
SELECT DISTINCT day FROM daily_touched EXCEPT SELECT day FROM daily_closed;
DROP TABLE daily_touched;
