-- Alerts: drops the plan and empties the queue of new postings, once their messages are queued.
DROP TABLE alert_plan;
DROP TABLE alert_best;
DROP TABLE alert_why;
DELETE FROM alerts_queue;
