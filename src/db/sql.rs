//! Every SQL text the product runs (beyond one-line statements), embedded from `db/sql/*.sql`.
//!
//! Each file opens with a comment saying what it does and which parameters it takes, in order.
//! The load runs, in one transaction per batch: `staging.sql` → (Appender) → `merge.sql` →
//! `text_index.sql` + `text_index_rows.sql`, the upserts of the run records and search states the batch completes,
//! `drop_staging.sql`; the last batch also runs `daily_days.sql` and `daily.sql`. Retention runs
//! after the load.

/// DuckDB's buffers by what holds them, for an out-of-memory warning.
pub const MEMORY_IN_USE: &str = include_str!("sql/memory_in_use.sql");
/// Whether a connection is sealed against reaching past the database (`open_sealed`).
pub const SEALED: &str = include_str!("sql/sealed.sql");
/// The load's staging tables.
pub const STAGING: &str = include_str!("sql/staging.sql");
/// Merges one staged batch into `jobs`, `job_skills`, `search_hits` and `job_changes`.
pub const MERGE: &str = include_str!("sql/merge.sql");
/// Indexes the words of one merged batch (after `MERGE`, in its transaction).
pub const TEXT_INDEX: &str = concat!(
    include_str!("sql/text_index.sql"),
    include_str!("sql/text_index_rows.sql")
);
/// The text index's rows of the postings in `stage_index_source` (the load's and the build's).
pub const TEXT_INDEX_ROWS: &str = include_str!("sql/text_index_rows.sql");
/// The out-of-date days that are not closed (and empties the list of out-of-date days).
pub const DAILY_DAYS: &str = include_str!("sql/daily_days.sql");
/// Recomputes the daily aggregates of the days in the temp table `daily_days`.
pub const DAILY: &str = include_str!("sql/daily.sql");
/// Drops what a load staged, before its commit.
pub const DROP_STAGING: &str = include_str!("sql/drop_staging.sql");
/// Records a search's state after a load.
pub const UPSERT_SEARCH_STATE: &str = include_str!("sql/upsert_search_state.sql");
/// Records a run.
pub const UPSERT_SYNC_RUN: &str = include_str!("sql/upsert_sync_run.sql");
/// Retention keeping the postings: the piece's words leave the text index first.
pub const RETENTION_PRUNE_WORDS: &str = include_str!("sql/retention_prune_words.sql");
/// Retention keeping the postings: the piece's text is pruned.
pub const RETENTION_PRUNE: &str = include_str!("sql/retention_prune.sql");
/// Retention: the next piece of postings past the cutoff.
pub const RETENTION_PIECE: &str = include_str!("sql/retention_piece.sql");
/// Strict retention: close the piece's days and delete its postings.
pub const RETENTION_DELETE: &str = include_str!("sql/retention_delete.sql");
/// Retention: drop the words no posting holds any more from the text index's vocabulary.
pub const RETENTION_VOCABULARY: &str = include_str!("sql/retention_vocabulary.sql");
/// The dashboard's scores, from the shipped views' SELECTs (markers replaced by the pipeline).
pub const SCORES: &str = include_str!("sql/scores.sql");
/// `status`: one search's figures.
pub const STATUS_SEARCH: &str = include_str!("sql/status_search.sql");
/// `status`: the last runs.
pub const STATUS_RUNS: &str = include_str!("sql/status_runs.sql");
/// `schedule status`, `status`, `doctor`: the last run's start and status.
pub const LAST_RUN: &str = include_str!("sql/last_run.sql");
/// `demo`: postings per search.
pub const HITS_PER_SEARCH: &str = include_str!("sql/hits_per_search.sql");
/// `reset`: forget a search's watermark.
pub const RESET_WATERMARK: &str = include_str!("sql/reset_watermark.sql");
/// `reset --postings`: drop a search's hits.
pub const RESET_HITS: &str = include_str!("sql/reset_hits.sql");
/// `renormalize`: where the next batch of stored raw JSON ends.
pub const RENORMALIZE_NEXT: &str = include_str!("sql/renormalize_next.sql");
/// `renormalize`: the stored raw JSON of an id range.
pub const RENORMALIZE_BATCH: &str = include_str!("sql/renormalize_batch.sql");
/// Alerts: the queued new postings with what the rules filter on.
pub const ALERT_CANDIDATES: &str = include_str!("sql/alert_candidates.sql");
/// Alerts: the temp table of a sync's planned messages.
pub const ALERT_PLAN_CREATE: &str = include_str!("sql/alert_plan_create.sql");
/// Alerts: queue the planned messages.
pub const ALERT_PLAN_QUEUE: &str = include_str!("sql/alert_plan_queue.sql");
/// Alerts: drop the plan and empty the queue of new postings.
pub const ALERT_PLAN_DONE: &str = include_str!("sql/alert_plan_done.sql");
/// Alerts: when a rule last looked at new postings.
pub const ALERT_RULE_LAST_EVALUATED: &str = include_str!("sql/alert_rule_last_evaluated.sql");
/// Alerts: the queued postings a rule already has a message for.
pub const ALERT_ALREADY_QUEUED: &str = include_str!("sql/alert_already_queued.sql");
/// Alerts: a rule's messages in the last hour.
pub const ALERT_RECENT_MESSAGES: &str = include_str!("sql/alert_recent_messages.sql");
/// Alerts: record that a rule looked at new postings.
pub const ALERT_RULE_EVALUATED: &str = include_str!("sql/alert_rule_evaluated.sql");
/// Alerts: the deliveries due now, with their postings.
pub const ALERT_DUE: &str = include_str!("sql/alert_due.sql");
/// Alerts: give up deliveries whose posting is gone.
pub const ALERT_EXPIRE: &str = include_str!("sql/alert_expire.sql");
/// Alerts: each rule's counts and state.
pub const ALERT_STATUS: &str = include_str!("sql/alert_status.sql");
/// Alerts: record a delivered message (guarded by its attempt count).
pub const ALERT_SENT: &str = include_str!("sql/alert_sent.sql");
/// Alerts: record a failed attempt (guarded by its attempt count).
pub const ALERT_FAILED: &str = include_str!("sql/alert_failed.sql");
/// Alerts: record a rule's run of failures.
pub const ALERT_RULE_OUTCOME: &str = include_str!("sql/alert_rule_outcome.sql");
/// Notices: the requests sent since a time.
pub const NOTICE_REQUESTS_SINCE: &str = include_str!("sql/notice_requests_since.sql");
/// Signals: the postings whose activity a sync fetches.
pub const SIGNALS_WANTED: &str = include_str!("sql/signals_wanted.sql");
/// Signals: the staging table of a fetch's snapshots.
pub const SIGNALS_STAGE: &str = include_str!("sql/signals_stage.sql");
/// Signals: the staged snapshots into `job_activity`.
pub const SIGNALS_STORE: &str = include_str!("sql/signals_store.sql");
/// Signals: the refusals still in force.
pub const SIGNALS_REFUSALS: &str = include_str!("sql/signals_refusals.sql");
/// Signals: remembers a refusal.
pub const SIGNALS_REFUSE: &str = include_str!("sql/signals_refuse.sql");
/// Signals: how many saved postings are still refreshed.
pub const SIGNALS_SAVED: &str = include_str!("sql/signals_saved.sql");
/// Signals: adds their requests to the run's record.
pub const SIGNALS_COUNT_REQUESTS: &str = include_str!("sql/signals_count_requests.sql");
