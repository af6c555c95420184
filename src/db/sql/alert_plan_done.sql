-- Alerts: drops the plan and empties the queue of new postings, once their messages are queued.
DROP TABLE alert_plan;
DELETE FROM alerts_queue;
