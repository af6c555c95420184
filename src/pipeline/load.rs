//! Load: spooled pages → DuckDB, committed in pieces.
//!
//! Each page is decoded in Rust ([`super::decode`]: leniently, a node that breaks the schema's
//! promises is quarantined and counted, never fatal), appended through the DuckDB Appender into staging
//! tables, and merged by `db/sql/merge.sql` into `jobs`, `job_skills`, `search_hits` and
//! `job_changes`. Every batch of pages is one transaction (a piece): DuckDB keeps what a
//! transaction writes until it commits, so committing batch by batch keeps a load's memory that
//! of one batch, however many pages are pending.
//!
//! Why a crash anywhere loses nothing and doubles nothing:
//! - a run's record and its searches' watermarks are written in the piece that merges the run's
//!   last page, so no watermark moves before every page below it is stored;
//! - the spool folders are deleted only after the last piece commits, so a load killed between
//!   two pieces loads all of its pages again next time;
//! - replaying a page already merged changes nothing: a stored copy fetched later than the
//!   staged one is kept (and no change recorded), the same copy is replaced by itself, and the
//!   searches' hits keep their earliest and latest sightings;
//! - the days whose daily aggregates a piece touched are listed in `daily_dirty` in that piece's
//!   transaction, and the load recomputes them after its last piece, in a transaction of its own.

use super::decode::{Reject, Rows, Sink};
use super::fetch::FUTURE_SKEW_SECS;
use super::spool::PendingRun;
use crate::db::sql;
use crate::upwork::wire::Node;
use chrono::{DateTime, Utc};
use duckdb::{Appender, Connection, appender_params_from_iter, params};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Page bytes staged, merged and committed at a time, by default: a load's memory is bounded by
/// this (DuckDB holds about three times the page bytes of a batch while merging it), not by how
/// many postings are pending. Batches merge in fetch order, so the latest copy of a posting wins
/// as in one big merge; a posting seen in two batches with different applicants or budget has
/// that change recorded.
pub const BATCH_BYTES: usize = 12 << 20;

/// Loads under a DuckDB memory limit, committing batches of a tenth of it. A batch that still
/// runs out of memory is rolled back and the load goes on from it, the batches before it staying
/// committed, with twice the limit (and twice the batch) up to eight times the setting, then once
/// with no limit, rather than leave the pages in the spool for a sync that will never fit; the
/// file is attached again before each retry ([`crate::db::reattach`]).
/// Returns the report and the limit that sufficed (`None`: no limit).
pub fn load_within(
    conn: &mut crate::db::Db,
    runs: &[PendingRun],
    current: Option<&CurrentRun>,
    memory_limit: u64,
) -> Result<(LoadReport, Option<u64>), LoadError> {
    let mut limit = Some(memory_limit);
    crate::db::set_memory_limit(conn, memory_limit)?;
    let mut committed = Committed::default();
    let pages: usize = runs.iter().map(|run| run.pages.len()).sum();
    loop {
        // The batch grows with the limit: a retry that may use twice the memory merges and
        // commits twice as much at a time. With no limit, batches are those of twice the last
        // limit tried.
        let batch = crate::test_hooks::batch_bytes()
            .unwrap_or_else(|| batch_bytes_for(limit.unwrap_or(16 * memory_limit)));
        match load_into(conn, runs, current, batch, &mut committed) {
            Err(LoadError::Db(e)) if crate::db::is_out_of_memory(&e) && limit.is_some() => {
                let next = crate::db::raise_memory_limit(conn, &mut limit, memory_limit)?;
                tracing::warn!(stage = "load", step = committed.step, memory_limit = %next, error = %e, from_page = committed.pages() + 1, pages, "out of memory; loading again with a higher limit from the first page not committed (raise storage.memory_limit to avoid this)");
                // A piece that ran out in one of its DELETEs left rows DuckDB would refuse to
                // delete again ("Conflict on tuple deletion", see crate::db::reattach).
                crate::db::reattach_before_retry(conn, "load")?;
            }
            result => {
                result?;
                let mut report = committed.report;
                daily_aggregates(&mut report, || {
                    recompute_daily_within(conn, &mut limit, memory_limit, "load")
                })?;
                return Ok((report, limit));
            }
        }
    }
}

/// The batch size that suits a DuckDB memory limit: a tenth of it.
pub fn batch_bytes_for(memory_limit: u64) -> usize {
    usize::try_from(memory_limit / 10)
        .unwrap_or(usize::MAX)
        .max(1 << 20)
}

/// What a load did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct LoadReport {
    /// Run folders loaded.
    pub runs: usize,
    /// Pages read.
    pub pages: usize,
    /// Postings read (with repeats).
    pub postings: usize,
    /// Postings new to the database.
    pub new_postings: i64,
    /// Existing postings whose applicants, budget or renewal changed.
    pub changed_postings: i64,
    /// Nodes or pages set aside as malformed.
    pub quarantined: usize,
    /// Where the time went: appending the decoded pages; the merges; the text index; the daily
    /// aggregates; the commits; the last checkpoint.
    pub timings: LoadTimings,
}

/// Seconds spent in each step of a load (for `-v` logs and `upjobpilot bench load`).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct LoadTimings {
    /// Reading the pages, decoding them and appending the rows to the staging tables.
    pub stage_secs: f64,
    /// merge.sql: typing, dedup, upserts.
    pub merge_secs: f64,
    /// text_index.sql: the words of the merged postings into the text index.
    pub index_secs: f64,
    /// daily.sql: the aggregates of the touched days.
    pub daily_secs: f64,
    /// Run bookkeeping and the commits of the batches.
    pub commit_secs: f64,
    /// The checkpoint that ends the load (see [`LOAD_CHECKPOINT_THRESHOLD`]).
    pub checkpoint_secs: f64,
}

/// Why a load failed; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// DuckDB refused.
    #[error("loading into the database failed: {0}")]
    Db(#[from] duckdb::Error),
    /// A page could not be read from the spool.
    #[error("cannot read spooled page {path}: {source}")]
    Read {
        /// The page.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The status recorded for the run being loaded now.
#[derive(Debug, Clone)]
pub struct CurrentRun {
    /// The run id of the process loading.
    pub run_id: String,
    /// Its final status: ok, partial or failed.
    pub status: String,
    /// Its errors, joined.
    pub errors: Option<String>,
    /// The retention cutoff of the sync (`retention.hours` before its load): a posting
    /// published before it is stored already pruned, as the sync's retention would leave it
    /// moments later, so a first sync does not write the text, raw JSON and words of a history
    /// it may not keep. `None` stores every posting whole (a load outside a sync).
    pub retention_cutoff: Option<DateTime<Utc>>,
}

/// Loads every pending run folder, committing every [`BATCH_BYTES`] of pages.
pub fn load(
    conn: &mut Connection,
    runs: &[PendingRun],
    current: Option<&CurrentRun>,
) -> Result<LoadReport, LoadError> {
    load_in_batches(conn, runs, current, BATCH_BYTES)
}

/// The staging tables' appenders for one batch.
struct Stage<'c> {
    jobs: Appender<'c>,
    hits: Appender<'c>,
    quarantine: Appender<'c>,
}

impl<'c> Stage<'c> {
    fn open(conn: &'c Connection) -> Result<Stage<'c>, duckdb::Error> {
        conn.execute_batch(sql::STAGING)?;
        Ok(Stage {
            jobs: conn.appender("stage_jobs")?,
            hits: conn.appender("stage_hits")?,
            quarantine: conn.appender("quarantine")?,
        })
    }

    fn close(mut self) -> Result<(), duckdb::Error> {
        self.jobs.flush()?;
        self.hits.flush()?;
        self.quarantine.flush()
    }
}

/// Merges the staged batch and indexes its text; returns its (new, changed) postings.
fn merge(conn: &Connection, timings: &mut LoadTimings) -> Result<(i64, i64), duckdb::Error> {
    let start = std::time::Instant::now();
    crate::test_hooks::out_of_memory_once("merge")?;
    conn.execute_batch(sql::MERGE)?;
    let found = conn.query_row(
        "SELECT new_postings, changed_postings FROM stage_counts",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    timings.merge_secs += start.elapsed().as_secs_f64();
    // The index's sort and compression on two DuckDB threads (the rest of a load runs on one):
    // 28 % less time for the index at 100k postings, for 10-14 MB more peak memory
    // (BENCHMARKS.md); the sort's memory stays that of one batch.
    let start = std::time::Instant::now();
    conn.execute_batch(&format!("SET threads = {INDEX_THREADS}"))?;
    // The index's error first: it aborted the transaction, in which setting the threads back
    // fails too ("Current transaction is aborted"), and that error hid DuckDB's out-of-memory
    // one from the retries. The caller's rollback puts the threads back.
    conn.execute_batch(sql::TEXT_INDEX)?;
    conn.execute_batch(&format!("SET threads = {LOAD_THREADS}"))?;
    timings.index_secs += start.elapsed().as_secs_f64();
    Ok(found)
}

/// Recomputes the daily aggregates of the days listed as out of date, and empties the list.
fn recompute_daily(conn: &Connection) -> Result<(), duckdb::Error> {
    crate::test_hooks::out_of_memory_once("daily")?;
    conn.execute_batch(sql::DAILY_DAYS)?;
    conn.execute_batch(sql::DAILY)
}

/// [`load`] committing every `batch_bytes` of pages (tests show the result does not depend on
/// it), under [`with_load_settings`].
pub fn load_in_batches(
    conn: &mut Connection,
    runs: &[PendingRun],
    current: Option<&CurrentRun>,
    batch_bytes: usize,
) -> Result<LoadReport, LoadError> {
    let mut committed = Committed::default();
    load_into(conn, runs, current, batch_bytes, &mut committed)?;
    let mut report = committed.report;
    daily_aggregates(&mut report, || recompute_daily_now(conn))?;
    Ok(report)
}

/// Brings the daily aggregates of the days the load touched up to date (`recompute`, in a
/// transaction of its own), after the checkpoint that ends the load, which leaves them the
/// memory the load's appended rows held: the days are listed in
/// `daily_dirty` by the pieces that touched them, so a crash before this recomputes them at the
/// next load. In the last piece, the aggregates of a million postings seen again ran out of the
/// default limit, and the whole piece was done again with twice the limit (BENCHMARKS.md).
fn daily_aggregates(
    report: &mut LoadReport,
    recompute: impl FnOnce() -> Result<(), duckdb::Error>,
) -> Result<(), LoadError> {
    let start = std::time::Instant::now();
    recompute()?;
    report.timings.daily_secs = start.elapsed().as_secs_f64();
    crate::test_hooks::point("load-daily");
    Ok(())
}

/// Where a load stands after its last committed piece: a load that failed goes on from there
/// ([`load_within`]), not from its first page.
#[derive(Default)]
struct Committed {
    /// The decoded items (pages and ends of runs, in fetch order) the committed pieces hold.
    items: usize,
    /// The counts of the run whose pages the committed pieces hold only in part.
    counts: RunCounts,
    /// The report as of that commit (with the time of every attempt), and once the load is
    /// done, the whole load's.
    report: LoadReport,
    /// The step under way, or the one that failed (for the warnings).
    step: &'static str,
}

impl Committed {
    /// Pages the committed pieces hold.
    fn pages(&self) -> usize {
        self.report.pages + self.counts.pages
    }
}

/// [`load_in_batches`] going on from `committed`, which it keeps up to date at every commit:
/// when a piece fails, what the pieces before it stored stays, with what they found new or
/// changed.
fn load_into(
    conn: &Connection,
    runs: &[PendingRun],
    current: Option<&CurrentRun>,
    batch_bytes: usize,
    committed: &mut Committed,
) -> Result<(), LoadError> {
    let mut report = committed.report.clone();
    let result = with_load_settings(conn, LoadError::Db, |conn| {
        let result = load_pieces(conn, runs, current, batch_bytes, &mut report, committed);
        if let Err(e) = &result {
            if matches!(e, LoadError::Db(e) if crate::db::is_out_of_memory(e)) {
                // What held DuckDB's memory when it ran out, before the rollback frees it.
                tracing::warn!(stage = "load", step = committed.step, memory = %crate::db::memory_in_use(conn), "DuckDB's memory when the load ran out");
            }
            // The piece that failed; those before it are committed, and the spool still holds
            // their pages, which load again harmlessly.
            roll_back(conn);
        } else {
            committed.step = "checkpoint";
        }
        result
    });
    match result {
        Ok(((), checkpoint_secs)) => {
            report.timings.checkpoint_secs = checkpoint_secs;
            committed.report = report;
            Ok(())
        }
        Err(e) => {
            // The time of the attempt that failed counts too.
            committed.report.timings = report.timings;
            Err(e)
        }
    }
}

/// How much write-ahead log DuckDB gathers before it checkpoints during a load. A checkpoint
/// compresses again every column of the row group the load is appending to: with DuckDB's
/// 122,880-row groups (up to half a gigabyte of text) that took 80 % of a 100k-posting load at
/// DuckDB's default 16 MB (27.5 of 33.8 s), and a 1 GB threshold kept the committed rows in
/// DuckDB's buffers, spilled to `<database>.tmp/` beyond the memory limit, to be compressed at
/// the end. The file's row groups are [`crate::db::ROW_GROUP_SIZE`] rows now (about 25 MB of log),
/// so a checkpoint every 32 MB compresses each row group about once and a half, nothing is
/// spilled, and the load is 15-17 % faster at 100k and 1M postings than with 1 GB (BENCHMARKS.md).
const LOAD_CHECKPOINT_THRESHOLD: &str = "32MB";

/// DuckDB threads of a load (see [`with_load_settings`]), and of its text index ([`merge`]).
const LOAD_THREADS: u32 = 1;
const INDEX_THREADS: u32 = 2;

/// Runs `work` (a load or a renormalize) on one DuckDB thread (the work is a sequence of small
/// merges, and each thread would hold its own buffers of the batch; only the text index takes
/// two, in [`merge`]) with checkpoints every [`LOAD_CHECKPOINT_THRESHOLD`], then checkpoints if
/// it succeeded. Returns what `work` did and
/// the seconds of that last checkpoint.
pub fn with_load_settings<T, E>(
    conn: &Connection,
    wrap: impl Fn(duckdb::Error) -> E,
    work: impl FnOnce(&Connection) -> Result<T, E>,
) -> Result<(T, f64), E> {
    conn.execute_batch(&format!(
        "SET threads = {LOAD_THREADS}; SET checkpoint_threshold = '{LOAD_CHECKPOINT_THRESHOLD}'"
    ))
    .map_err(&wrap)?;
    let result = work(conn);
    conn.execute_batch("RESET threads; RESET checkpoint_threshold")
        .map_err(&wrap)?;
    let value = result?;
    let start = std::time::Instant::now();
    crate::db::checkpoint(conn).map_err(&wrap)?;
    Ok((value, start.elapsed().as_secs_f64()))
}

/// A run's counts, kept until the piece that merges its last page records it.
#[derive(Clone, Copy, Default)]
struct RunCounts {
    pages: usize,
    postings: usize,
    quarantined: usize,
}

/// What the decoding thread hands the loading one, in fetch order.
enum Decoded<'r> {
    /// One page's rows, and the page's size in bytes.
    Page(Rows, usize),
    /// Every page of this run has been handed over.
    RunEnd(&'r PendingRun),
}

/// Pages decoded ahead of the load, at most: the decoder stays this far in front.
const DECODED_AHEAD: usize = 8;

fn load_pieces(
    conn: &Connection,
    runs: &[PendingRun],
    current: Option<&CurrentRun>,
    batch_bytes: usize,
    report: &mut LoadReport,
    committed: &mut Committed,
) -> Result<(), LoadError> {
    let now = Utc::now();
    // Reading and decoding the pages (serde, checks) runs on its own thread while this one
    // appends, merges and commits: the two overlap on two cores.
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel(DECODED_AHEAD);
        let prune_before = current.and_then(|c| c.retention_cutoff);
        let skip = committed.items;
        scope.spawn(move || decode_runs(runs, skip, now, prune_before, &sender));
        let pieces = Pieces {
            conn,
            current,
            batch_bytes,
            now,
        };
        pieces.store(receiver, report, committed)
        // The receiver is dropped here: a decoder still running stops at its next page.
    })
}

/// Reads and decodes every page of `runs` in order but the first `skip` items (pages and ends
/// of runs, which committed pieces hold), handing each over; stops at the first page it cannot
/// read, or when the loading thread has stopped listening.
fn decode_runs<'r>(
    runs: &'r [PendingRun],
    skip: usize,
    now: DateTime<Utc>,
    prune_before: Option<DateTime<Utc>>,
    sender: &std::sync::mpsc::SyncSender<Result<Decoded<'r>, LoadError>>,
) {
    let mut seq: i64 = 0;
    let mut item = 0;
    for run in runs {
        let run_id = run.run_id();
        let started = run.record.as_ref().map_or(now, |r| r.started_at);
        for page in &run.pages {
            item += 1;
            if item <= skip {
                continue;
            }
            let body = match std::fs::read(&page.path) {
                Ok(body) => body,
                Err(source) => {
                    let _ = sender.send(Err(LoadError::Read {
                        path: page.path.clone(),
                        source,
                    }));
                    return;
                }
            };
            // When the page was fetched: its file was written right after the answer came.
            let fetched = std::fs::metadata(&page.path)
                .and_then(|m| m.modified())
                .map(DateTime::<Utc>::from)
                .map_or(started, |t| t.min(now));
            // The latest a posting of this page can be dated: the fetch's clock, or the
            // server's when the search's outcome says it was later.
            let server = run
                .outcomes
                .iter()
                .find(|o| o.search == page.search)
                .and_then(|o| o.server_time);
            let latest = server.map_or(fetched, |s| s.max(fetched))
                + chrono::Duration::seconds(FUTURE_SKEW_SECS);
            let mut rows = Rows::default();
            Sink {
                rows: &mut rows,
                run_id: &run_id,
                search: &page.search,
                page_file: &page.path,
                latest,
                fetched_us: fetched.timestamp_micros(),
                now,
                prune_before,
            }
            .page(&body, &mut seq);
            if sender.send(Ok(Decoded::Page(rows, body.len()))).is_err() {
                return;
            }
        }
        item += 1;
        if item > skip && sender.send(Ok(Decoded::RunEnd(run))).is_err() {
            return;
        }
    }
}

/// What stores the decoded pages, piece by piece.
struct Pieces<'a> {
    conn: &'a Connection,
    current: Option<&'a CurrentRun>,
    batch_bytes: usize,
    now: DateTime<Utc>,
}

impl Pieces<'_> {
    /// Appends the decoded pages to the staging tables and commits a piece every `batch_bytes`,
    /// bringing `committed` up to date at every commit.
    fn store<'r>(
        &self,
        decoded: std::sync::mpsc::Receiver<Result<Decoded<'r>, LoadError>>,
        report: &mut LoadReport,
        committed: &mut Committed,
    ) -> Result<(), LoadError> {
        let conn = self.conn;
        // The runs whose pages are all staged, with their counts, waiting for their piece's
        // commit.
        let mut finished: Vec<(&PendingRun, RunCounts)> = Vec::new();
        let mut counts = committed.counts;
        let mut items = committed.items;
        committed.step = "stage";
        conn.execute_batch("BEGIN TRANSACTION")?;
        let mut stage = Stage::open(conn)?;
        let mut staged = 0;
        let mut clock = std::time::Instant::now();
        for item in decoded {
            items += 1;
            match item? {
                Decoded::Page(rows, bytes) => {
                    counts.pages += 1;
                    counts.postings += rows.postings;
                    counts.quarantined += rows.quarantined;
                    append(rows, &mut stage)?;
                    staged += bytes;
                    if staged >= self.batch_bytes {
                        report.timings.stage_secs += clock.elapsed().as_secs_f64();
                        // The run's remaining pages go to the next piece: it is recorded there.
                        self.commit(stage, &mut finished, report, &mut committed.step)?;
                        (committed.items, committed.counts) = (items, counts);
                        committed.report = report.clone();
                        committed.step = "stage";
                        conn.execute_batch("BEGIN TRANSACTION")?;
                        stage = Stage::open(conn)?;
                        staged = 0;
                        clock = std::time::Instant::now();
                    }
                }
                Decoded::RunEnd(run) => {
                    report.runs += 1;
                    report.pages += counts.pages;
                    report.postings += counts.postings;
                    report.quarantined += counts.quarantined;
                    finished.push((run, std::mem::take(&mut counts)));
                }
            }
        }
        report.timings.stage_secs += clock.elapsed().as_secs_f64();
        self.commit(stage, &mut finished, report, &mut committed.step)?;
        (committed.items, committed.counts) = (items, counts);
        committed.report = report.clone();
        Ok(())
    }

    /// Merges the staged batch, records the runs whose last page it holds, and commits.
    fn commit<'c>(
        &self,
        stage: Stage<'c>,
        finished: &mut Vec<(&PendingRun, RunCounts)>,
        report: &mut LoadReport,
        step: &mut &'static str,
    ) -> Result<(), LoadError> {
        let (conn, current, now) = (self.conn, self.current, self.now);
        stage.close()?;
        crate::test_hooks::point("load-staged");
        *step = "merge";
        let (new_postings, changed_postings) = merge(conn, &mut report.timings)?;
        // What the load found so far, for the record of the run loading now.
        let found = (
            report.new_postings + new_postings,
            report.changed_postings + changed_postings,
        );
        crate::test_hooks::point("load-merged");
        *step = "commit";
        let start = std::time::Instant::now();
        for (run, counts) in finished.drain(..) {
            record_run(conn, run, current, counts, found, now)?;
            for outcome in &run.outcomes {
                let complete = outcome.status.reached_end();
                conn.execute(
                    sql::UPSERT_SEARCH_STATE,
                    params![
                        outcome.search,
                        if complete { outcome.watermark } else { None },
                        run.run_id(),
                        outcome.status.as_str(),
                        run.finished
                            .as_ref()
                            .and_then(|f| f.finished_at)
                            .unwrap_or(now),
                        outcome.total_count,
                        outcome.note,
                        complete,
                    ],
                )?;
            }
        }
        conn.execute_batch(sql::DROP_STAGING)?;
        crate::test_hooks::point("load-recorded");
        conn.execute_batch("COMMIT")?;
        (report.new_postings, report.changed_postings) = found;
        report.timings.commit_secs += start.elapsed().as_secs_f64();
        crate::test_hooks::point("load-committed");
        Ok(())
    }
}

/// One stored posting to rebuild: its id, its raw JSON node, and when it was last fetched.
#[derive(Debug, Clone)]
pub struct StoredNode {
    /// The posting id.
    pub id: String,
    /// The raw node as Upwork sent it.
    pub raw: String,
    /// `last_seen_at`, in microseconds since the epoch.
    pub last_seen_us: i64,
}

/// Rebuilds the typed columns of `nodes` from their raw JSON through the load's own staging and
/// merge, in one transaction: what the decoder of this version makes of each node replaces the
/// stored row, first and last seen stay, no search hit is added, and no change is recorded in
/// `job_changes` (nothing changed at Upwork). A node that no longer passes the decoder is
/// quarantined and its row left as it was. Returns (postings rebuilt, nodes quarantined).
pub fn renormalize_batch(
    conn: &Connection,
    nodes: &[StoredNode],
    run_id: &str,
) -> Result<(usize, usize), LoadError> {
    let now = Utc::now();
    let mut rows = Rows::default();
    let mut sink = Sink {
        rows: &mut rows,
        run_id,
        search: "",
        page_file: Path::new("(stored raw JSON)"),
        latest: DateTime::<Utc>::MAX_UTC,
        fetched_us: 0,
        now,
        prune_before: None,
    };
    for (seq, node) in nodes.iter().enumerate() {
        sink.fetched_us = node.last_seen_us;
        match serde_json::from_str::<Node>(&node.raw) {
            Ok(parsed) => {
                if let Err(Reject(reason)) = sink.stage(&parsed, &node.raw, seq as i64) {
                    sink.quarantine(Some(&node.id), &reason, &node.raw);
                }
            }
            Err(e) => sink.quarantine(
                Some(&node.id),
                &format!("stored node does not match the schema: {e}"),
                &node.raw,
            ),
        }
    }
    let (rebuilt, quarantined) = (rows.postings, rows.quarantined);
    conn.execute_batch("BEGIN TRANSACTION")?;
    let result = (|| -> Result<(), LoadError> {
        let mut stage = Stage::open(conn)?;
        append(rows, &mut stage)?;
        stage.close()?;
        // A rebuild finds no posting anew: it adds no hit.
        conn.execute_batch("DELETE FROM stage_hits")?;
        merge(conn, &mut LoadTimings::default())?;
        conn.execute("DELETE FROM job_changes WHERE run_id = ?", [run_id])?;
        conn.execute_batch(sql::DROP_STAGING)?;
        // The days it touched are listed in `daily_dirty`: see [`recompute_daily_now`].
        conn.execute_batch("COMMIT")?;
        Ok(())
    })();
    if result.is_err() {
        roll_back(conn);
    }
    result.map(|()| (rebuilt, quarantined))
}

/// Rolls back the piece or batch that failed, and puts back the load's DuckDB threads, which a
/// text index that failed left at the index's ([`merge`]).
fn roll_back(conn: &Connection) {
    let _ = conn.execute_batch("ROLLBACK");
    let _ = conn.execute_batch(&format!("SET threads = {LOAD_THREADS}"));
}

/// [`recompute_daily_now`] on one DuckDB thread, under the out-of-memory retries (then with a
/// higher limit, [`crate::db::with_memory_retries`]); `stage` names the step in the warnings.
/// One thread from the start: after a load or a renormalize of a million postings they ran out
/// of the default limit on two threads every time (three loads, two renormalizes, DuckDB 2.0.1)
/// and went through on one; at 100k one thread costs 0.03-0.05 s (BENCHMARKS.md).
pub fn recompute_daily_within(
    conn: &Connection,
    limit: &mut Option<u64>,
    configured: u64,
    stage: &str,
) -> Result<(), duckdb::Error> {
    conn.execute_batch(&format!("SET threads = {LOAD_THREADS}"))?;
    let done = crate::db::with_memory_retries(
        conn,
        limit,
        configured,
        stage,
        crate::db::is_out_of_memory,
        || recompute_daily_now(conn),
    );
    conn.execute_batch("RESET threads")?;
    done
}

/// Recomputes, in a transaction of its own, the daily aggregates of the days listed as out of
/// date (a load's or a renormalize's pieces list them; each brings them up to date at its end).
pub fn recompute_daily_now(conn: &Connection) -> Result<(), duckdb::Error> {
    conn.execute_batch("BEGIN TRANSACTION")?;
    let result = recompute_daily(conn).and_then(|()| conn.execute_batch("COMMIT"));
    if result.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    result
}

/// The watermarks stored in the database.
pub fn watermarks(conn: &Connection) -> Result<BTreeMap<String, DateTime<Utc>>, duckdb::Error> {
    let mut stmt =
        conn.prepare("SELECT search, watermark FROM search_state WHERE watermark IS NOT NULL")?;
    let rows = stmt.query_map([], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, DateTime<Utc>>(1)?))
    })?;
    rows.collect()
}

fn record_run(
    conn: &Connection,
    run: &PendingRun,
    current: Option<&CurrentRun>,
    counts: RunCounts,
    (new_postings, changed): (i64, i64),
    now: DateTime<Utc>,
) -> Result<(), duckdb::Error> {
    let run_id = run.run_id();
    let is_current = current.is_some_and(|c| c.run_id == run_id);
    let (status, errors) = match (current.filter(|_| is_current), &run.finished) {
        (Some(c), _) => (c.status.clone(), c.errors.clone()),
        // A run folder left by another process: if it finished fetching, it stopped before
        // its load (the database was busy, or it died loading) and its verdict is in the spool;
        // otherwise it died fetching.
        (None, Some(finished)) => (
            finished.status.clone().unwrap_or_else(|| "ok".to_string()),
            finished.errors.clone(),
        ),
        (None, None) => (
            "crashed".to_string(),
            Some("the run stopped before it finished (killed or crashed); its pages were loaded by a later run".to_string()),
        ),
    };
    let (new_postings, changed) = if is_current {
        (new_postings, changed)
    } else {
        (0, 0)
    };
    let started = run.record.as_ref().map_or(now, |r| r.started_at);
    let finished = run.finished.as_ref().and_then(|f| f.finished_at);
    let requests = run.finished.as_ref().map_or(0, |f| f.requests);
    conn.execute(
        sql::UPSERT_SYNC_RUN,
        params![
            run_id,
            started,
            finished,
            now,
            status,
            run.outcomes.len() as i64,
            counts.pages as i64,
            counts.postings as i64,
            new_postings,
            changed,
            counts.quarantined as i64,
            requests as i64,
            errors,
        ],
    )?;
    Ok(())
}

/// Appends decoded rows to the staging tables.
fn append(rows: Rows, stage: &mut Stage<'_>) -> Result<(), duckdb::Error> {
    for row in rows.jobs {
        stage.jobs.append_row(appender_params_from_iter(row))?;
    }
    for row in rows.hits {
        stage.hits.append_row(appender_params_from_iter(row))?;
    }
    for row in rows.quarantine {
        stage
            .quarantine
            .append_row(appender_params_from_iter(row))?;
    }
    Ok(())
}
