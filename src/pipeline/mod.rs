//! The pipeline: fetch → spool → load → export, and the lock that keeps runs from overlapping.
//!
//! This module is the sync's orchestration only; each stage is its own file: [`lock`],
//! [`fetch`] (paging, through the one Upwork client it is given), [`spool`], [`load`],
//! [`retention`], [`signals`], [`export`] with the [`views`], and [`progress`]. It sits between
//! the commands above and the Upwork client and the database below.
//!
//! [`sync`] is what `upjobpilot sync` runs. It takes the pipeline lock (a second sync waits a
//! bounded time, then exits with the "locked" status naming the holder), reads the watermarks
//! (from the database, or from the spool's copy when another program holds the database), fetches
//! every search concurrently under one rate limiter into a new spool folder, then loads every
//! pending spool folder in one transaction, prunes by retention and exports the views. The
//! database is not held open while fetching, so a reader can use it between loads; if it is held
//! at load time, the pages wait in the spool for the next run. After the load commits and the
//! scores are written, the competition signals of the best new and the saved postings are fetched
//! ([`signals`]: a request or two, the only ones made with the database open), then the new
//! postings are matched against the `[[alert]]` rules ([`crate::alerts::plan`]), and once the
//! database is closed and the pipeline lock released (a slow receiver must not hold up the next
//! sync) the messages due are delivered ([`crate::alerts::deliver_due`]); then the health
//! notices are evaluated with what the run learnt and delivered
//! ([`crate::alerts::notices::after_sync`]). Alerts, signals and notices never change a sync's
//! outcome.

mod decode;
mod error;
pub mod export;
pub mod fetch;
pub mod load;
pub mod lock;
pub mod progress;
pub mod renormalize;
pub mod retention;
pub mod scores;
pub mod signals;
pub mod spool;
pub mod status;
pub mod views;

pub use lock::{PipelineLock, lock};

use crate::alerts::{self, notices};
use crate::auth::AuthError;
use crate::config::Config;
use crate::db::{self, DbError};
use crate::exit::Exit;
use crate::upwork::{Fetched, UpworkClient, UpworkError};
use chrono::{DateTime, Utc};
pub use error::{Stored, SyncError};
use fetch::{FetchInput, Progress, SearchFetch};
pub use spool::new_run_id;
use spool::{RunRecord, RunSpool, SearchStatus, Spool, SpoolError};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How a sync runs.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Export the views after loading.
    pub export: bool,
    /// How long to wait for another sync to finish.
    pub lock_wait: Duration,
    /// Show progress bars (only on a terminal).
    pub progress: bool,
    /// How long the load waits for a database another program holds before it leaves the pages
    /// in the spool: `upjobpilot serve` holds the file for milliseconds at a time.
    pub busy_wait: Duration,
}

/// What a sync did, for the summary and the exit status.
#[derive(Debug)]
pub struct SyncReport {
    /// This run's id.
    pub run_id: String,
    /// Per search, in config order.
    pub searches: Vec<SearchSummary>,
    /// The load, when the database was available.
    pub load: Option<load::LoadReport>,
    /// Set when the database was busy and the pages stayed in the spool.
    pub spooled: Option<String>,
    /// The files exported, and those another program held open.
    pub exported: export::Exported,
    /// Requests sent to Upwork: the searches' and the signals'.
    pub requests: u64,
    /// The competition signals fetched after the load ([`signals`]).
    pub signals: Option<signals::SignalsReport>,
    /// Set when signing in failed during the run.
    pub auth_error: Option<String>,
    /// The alert deliveries, when there are rules and the database was available.
    pub alerts: Option<alerts::DeliveryReport>,
    /// The health notices, when `[notify]` is set.
    pub notices: Option<notices::NoticeReport>,
    /// Wall time.
    pub elapsed: Duration,
}

/// One search's part of a sync.
#[derive(Debug, Clone)]
pub struct SearchSummary {
    /// The search.
    pub name: String,
    /// How its fetch ended.
    pub status: SearchStatus,
    /// Pages fetched.
    pub pages: u32,
    /// Distinct postings seen.
    pub postings: usize,
    /// Upwork's total count.
    pub total_count: Option<i64>,
    /// What a person should know.
    pub note: Option<String>,
}

impl SyncReport {
    /// The exit status this run deserves.
    pub fn exit(&self) -> Exit {
        if self.auth_error.is_some() {
            Exit::Auth
        } else if self.spooled.is_some() {
            Exit::Spooled
        } else if !self.exported.held.is_empty()
            || self
                .searches
                .iter()
                .any(|s| s.status != SearchStatus::Complete)
        {
            Exit::Partial
        } else {
            Exit::Ok
        }
    }
}

/// Runs one sync, asking Upwork through `client`: lock, fetch, spool the verdict, store, unlock,
/// deliver alerts, in that order (the module doc says why).
pub async fn sync(
    config: &Config,
    client: Arc<UpworkClient>,
    options: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    let started = Instant::now();
    let pipeline_lock = lock(&config.database_path(), options.lock_wait)?;
    let run = begin_run(config, &client).await?;
    let fetched = fetch_searches(config, &client, &run, options.progress).await?;
    let Summary {
        searches,
        auth_error,
        sign_in,
    } = summarize(fetched)?;
    // Every attempt counts, as Upwork counts them; a client shared across syncs counts them all.
    let requests = client.requests() - run.requests_before;
    let current = spool_verdict(&run, &searches, requests)?;
    let stored = match store_or_keep(config, options, run.spool, current, client.clone()).await {
        Ok(stored) => stored,
        // A step after the load failed (the export, a missing `queries/` folder, retention):
        // the alerts the load planned still go out, or a broken export would hold them back
        // run after run (found measuring alert latency with the export on).
        Err(error) if error.postings_stored() => {
            drop(pipeline_lock);
            deliver_alerts(config, options, false).await?;
            return Err(error);
        }
        Err(error) => return Err(error),
    };
    // Delivering needs only the delivery lock, which a second process skips rather than waits on.
    drop(pipeline_lock);
    let alerts = deliver_alerts(config, options, stored.spooled.is_some()).await?;
    let facts = notices::Facts {
        sign_in: match sign_in {
            Some(error) => Some(Some(error)),
            None if searches.iter().any(|s| s.status != SearchStatus::Failed) => Some(None),
            None => None,
        },
        searches: auth_error.is_none().then(|| {
            searches
                .iter()
                .map(|s| notices::SearchRun {
                    name: s.name.clone(),
                    failed: s.status == SearchStatus::Failed,
                    note: s.note.clone(),
                })
                .collect()
        }),
        spooled_since: Some(stored.spooled.as_ref().and_then(|_| {
            Spool::new(config.spool_dir())
                .pending()
                .ok()?
                .iter()
                .filter_map(|run| run.record.as_ref().map(|r| r.started_at))
                .min()
        })),
    };
    let notices = deliver_notices(config, options, facts).await?;
    Ok(SyncReport {
        run_id: run.record.run_id,
        searches,
        load: stored.load,
        spooled: stored.spooled,
        exported: stored.exported,
        requests: requests + stored.signals.as_ref().map_or(0, |s| s.requests),
        signals: stored.signals,
        auth_error,
        alerts,
        notices,
        elapsed: started.elapsed(),
    })
}

/// A sync under way: its spool folder and what its searches start from.
struct Run {
    /// What `run.json` says; `finished.json` adds the verdict to it.
    record: RunRecord,
    /// The spool, for the load.
    spool: Spool,
    /// This run's folder in it.
    run_spool: RunSpool,
    /// Each search's watermark.
    watermarks: BTreeMap<String, DateTime<Utc>>,
    /// The client's request count before this run.
    requests_before: u64,
}

/// Reads the watermarks and opens this run's spool folder.
async fn begin_run(config: &Config, client: &UpworkClient) -> Result<Run, SyncError> {
    let database = config.database_path();
    let spool = Spool::new(config.spool_dir());
    let now = Utc::now();
    let run_id = new_run_id(now);

    let watermarks = {
        let spool = spool.clone();
        blocking(move || current_watermarks(&database, &spool)).await??
    };

    let requests_before = client.requests();
    let record = RunRecord {
        run_id,
        started_at: now,
        finished_at: None,
        pid: std::process::id(),
        requests: 0,
        status: None,
        errors: None,
    };
    let run_spool = spool.begin(&record)?;
    Ok(Run {
        record,
        spool,
        run_spool,
        watermarks,
        requests_before,
    })
}

/// Fetches every search concurrently (at most `upwork.concurrency` at once) into the run's spool
/// folder, with each one's outcome written there; the results are in config order.
async fn fetch_searches(
    config: &Config,
    client: &Arc<UpworkClient>,
    run: &Run,
    show_progress: bool,
) -> Result<Vec<(SearchFetch, Result<(), SpoolError>)>, SyncError> {
    let progress: Arc<dyn Progress> = if show_progress {
        Arc::new(progress::Bars::new(&config.searches))
    } else {
        Arc::new(progress::Logs)
    };
    tracing::info!(stage = "fetch", run_id = %run.record.run_id, searches = config.searches.len(), "sync started");

    let now = run.record.started_at;
    let mut firsts = first_pages(config, client, &run.spool).await?;
    let permits = Arc::new(tokio::sync::Semaphore::new(
        config.upwork.concurrency as usize,
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, search) in config.searches.iter().enumerate() {
        let (client, run_spool, progress, permits) = (
            client.clone(),
            run.run_spool.clone(),
            progress.clone(),
            permits.clone(),
        );
        let search = search.clone();
        let watermark = run.watermarks.get(&search.name).copied();
        let first = firsts[index].take();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let fetched = fetch::fetch_search(FetchInput {
                client: &client,
                spool: &run_spool,
                search: &search,
                watermark,
                now,
                progress: progress.as_ref(),
                first,
            })
            .await;
            let written = run_spool.write_outcome(&fetched.outcome);
            (index, fetched, written)
        });
    }
    let mut results = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        results.push(joined.map_err(|e| SyncError::Internal(e.to_string()))?);
    }
    results.sort_by_key(|(index, _, _)| *index);
    Ok(results
        .into_iter()
        .map(|(_, fetched, written)| (fetched, written))
        .collect())
}

/// What the fetches came to.
struct Summary {
    /// Each search's summary.
    searches: Vec<SearchSummary>,
    /// The first sign-in failure, with its hint.
    auth_error: Option<String>,
    /// The first sign-in failure that only signing in again cures.
    sign_in: Option<String>,
}

/// Each search's summary, with its note logged, and the sign-in failures.
fn summarize(fetched: Vec<(SearchFetch, Result<(), SpoolError>)>) -> Result<Summary, SyncError> {
    let mut auth_error = None;
    let mut sign_in = None;
    let mut searches = Vec::new();
    for (fetched, written) in fetched {
        written?;
        if let Some(UpworkError::Auth(e)) = &fetched.error {
            auth_error.get_or_insert_with(|| auth_message(e));
            if e.needs_sign_in() {
                sign_in.get_or_insert_with(|| e.to_string());
            }
        }
        // A failed search is an error even under --quiet (cron mails it, journald flags it);
        // a truncated one (max_pages, the server's cap) is a warning.
        if let Some(note) = &fetched.outcome.note {
            let search = &fetched.outcome.search;
            if fetched.outcome.status == SearchStatus::Failed {
                tracing::error!(stage = "fetch", search = %search, note = %note, "search failed; the next sync retries it");
            } else {
                tracing::warn!(stage = "fetch", search = %search, note = %note, "search did not finish cleanly");
            }
        }
        searches.push(SearchSummary {
            name: fetched.outcome.search.clone(),
            status: fetched.outcome.status,
            pages: fetched.outcome.pages,
            postings: fetched.postings,
            total_count: fetched.outcome.total_count,
            note: fetched.outcome.note.clone(),
        });
    }
    Ok(Summary {
        searches,
        auth_error,
        sign_in,
    })
}

/// Judges the run (ok, partial or failed, with each search's note) and writes the verdict to its
/// spool folder; returns it for the load.
fn spool_verdict(
    run: &Run,
    searches: &[SearchSummary],
    requests: u64,
) -> Result<load::CurrentRun, SyncError> {
    let status = if searches.iter().all(|s| s.status == SearchStatus::Complete) {
        "ok"
    } else if searches.iter().all(|s| s.status == SearchStatus::Failed) {
        "failed"
    } else {
        "partial"
    };
    let errors: Vec<String> = searches
        .iter()
        .filter_map(|s| s.note.as_ref().map(|n| format!("{}: {n}", s.name)))
        .collect();
    let errors = (!errors.is_empty()).then(|| errors.join("\n"));
    // The verdict goes into the spool with the pages, so a later load (the database was busy,
    // or this process died before its load) records it as it was.
    run.run_spool.finish(&RunRecord {
        finished_at: Some(Utc::now()),
        requests,
        status: Some(status.to_string()),
        errors: errors.clone(),
        ..run.record.clone()
    })?;
    Ok(load::CurrentRun {
        run_id: run.record.run_id.clone(),
        status: status.to_string(),
        errors,
        retention_cutoff: None,
    })
}

/// What the store step left: the load and the exports, or why the pages stayed in the spool.
struct StoreOutcome {
    load: Option<load::LoadReport>,
    spooled: Option<String>,
    exported: export::Exported,
    signals: Option<signals::SignalsReport>,
}

/// Runs [`store`] off the async threads; a busy database is no error: the pages wait in the
/// spool for the next run.
async fn store_or_keep(
    config: &Config,
    options: &SyncOptions,
    spool: Spool,
    current: load::CurrentRun,
    client: Arc<UpworkClient>,
) -> Result<StoreOutcome, SyncError> {
    let config = config.clone();
    let export = options.export;
    let busy_wait = options.busy_wait;
    let signals = Signalling {
        client,
        runtime: tokio::runtime::Handle::current(),
    };
    let stored =
        blocking(move || store(&config, &spool, &current, export, busy_wait, &signals)).await?;
    let kept = |spooled: String| StoreOutcome {
        load: None,
        spooled: Some(spooled),
        exported: export::Exported::default(),
        signals: None,
    };
    match stored {
        Ok((load, exported, signals)) => Ok(StoreOutcome {
            load: Some(load),
            spooled: None,
            exported,
            signals: Some(signals),
        }),
        // Another program holds the file (or, for longer than a bug would, another part of
        // this process): the pages wait for the next sync.
        Err(SyncError::Db(busy @ (DbError::Busy { .. } | DbError::BusyHere { .. }))) => {
            tracing::warn!(stage = "load", error = %busy, detail = ?busy.hint(), "database busy; pages kept in the spool");
            Ok(kept(busy.to_string()))
        }
        Err(e) => Err(e),
    }
}

/// Delivers the alert messages due ([`alerts::deliver_due`]), unless there are no rules or the
/// pages stayed in the spool; a failure is logged, never the sync's.
async fn deliver_alerts(
    config: &Config,
    options: &SyncOptions,
    spooled: bool,
) -> Result<Option<alerts::DeliveryReport>, SyncError> {
    if config.alerts.is_empty() || spooled {
        return Ok(None);
    }
    let config = config.clone();
    let busy_wait = options.busy_wait;
    match blocking(move || alerts::deliver_due(&config, alerts::DELIVERY_BUDGET, busy_wait)).await?
    {
        Ok(report) => Ok(Some(report)),
        Err(e) => {
            tracing::error!(stage = "alerts", error = %e, "alert delivery skipped; the next sync tries again");
            Ok(None)
        }
    }
}

/// Evaluates the health notices with what this sync knows and delivers them
/// ([`notices::after_sync`]), when `[notify]` is set; never the sync's failure.
async fn deliver_notices(
    config: &Config,
    options: &SyncOptions,
    facts: notices::Facts,
) -> Result<Option<notices::NoticeReport>, SyncError> {
    if config.notify.is_none() {
        return Ok(None);
    }
    let config = config.clone();
    let busy_wait = options.busy_wait;
    blocking(move || notices::after_sync(&config, &facts, busy_wait)).await
}

/// Searches asked for in one batched document at most: a batch's answer holds all their first
/// pages, and stays well under the body size the client reads.
const BATCH_SEARCHES: usize = 50;

/// Requests an idle sync costs: the batches of first pages, or one per search where batching
/// is off (one search, or Upwork refused a batch before).
pub fn idle_sync_requests(config: &Config) -> u64 {
    let searches = config.searches.len();
    if searches < 2 || Spool::new(config.spool_dir()).batching_refused() {
        searches as u64
    } else {
        searches.div_ceil(BATCH_SEARCHES) as u64
    }
}

/// The first page of every search, asked in batches of aliased searches (one request for up to
/// [`BATCH_SEARCHES`] searches: an idle poll costs one request, not one per search). A search
/// whose part failed, or every search when a batch failed, gets `None` and asks on its own. When
/// Upwork refuses the batched document itself, that is remembered in the spool and every later
/// sync asks one search per request.
async fn first_pages(
    config: &Config,
    client: &UpworkClient,
    spool: &Spool,
) -> Result<Vec<Option<Fetched>>, SyncError> {
    let mut firsts: Vec<Option<Fetched>> = std::iter::repeat_with(|| None)
        .take(config.searches.len())
        .collect();
    if config.searches.len() < 2 || spool.batching_refused() {
        return Ok(firsts);
    }
    for (chunk, searches) in config.searches.chunks(BATCH_SEARCHES).enumerate() {
        if searches.len() < 2 {
            continue;
        }
        match client.first_pages(searches).await {
            Ok(pages) => {
                for (i, page) in pages.into_iter().enumerate() {
                    firsts[chunk * BATCH_SEARCHES + i] = page;
                }
            }
            Err(UpworkError::Rejected(why)) => {
                tracing::warn!(stage = "fetch", reason = %why, "Upwork refused a batch of first pages; asking one search per request from now on (delete spool/batching-refused to try again)");
                spool.refuse_batching(&why)?;
                break;
            }
            Err(e) => {
                tracing::warn!(stage = "fetch", error = %e, "the batch of first pages failed; its searches ask on their own");
            }
        }
    }
    Ok(firsts)
}

/// What the store step needs to fetch the signals: the sync's client, and the runtime to block
/// on for its requests.
struct Signalling {
    client: Arc<UpworkClient>,
    runtime: tokio::runtime::Handle,
}

/// Loads every pending spool folder, scores, fetches the signals, plans alerts, prunes, exports.
fn store(
    config: &Config,
    spool: &Spool,
    current: &load::CurrentRun,
    export: bool,
    busy_wait: Duration,
    signalling: &Signalling,
) -> Result<(load::LoadReport, export::Exported, signals::SignalsReport), SyncError> {
    let mut conn = db::open_waiting(&config.database_path(), busy_wait)?;
    let pending = spool.pending()?;
    crate::test_hooks::fail("load").map_err(load::LoadError::Db)?;
    // What the retention below will prune is stored pruned already.
    let current = load::CurrentRun {
        retention_cutoff: Some(retention::cutoff(&config.retention, Utc::now())),
        ..current.clone()
    };
    let (report, mut limit) = load_within_memory(config, &mut conn, &pending, &current)?;
    crate::test_hooks::point("load-done");
    // Only after the last commit: a crash before this line loads the same pages again,
    // harmlessly (see load.rs). From here on the postings are stored, and every error says so.
    crate::test_hooks::fail("clear-spool").map_err(Stored::ClearSpool.error())?;
    spool.remove(&pending).map_err(Stored::ClearSpool.error())?;
    let watermarks = crate::test_hooks::fail("watermarks")
        .and_then(|()| load::watermarks(&conn))
        .map_err(Stored::Watermarks.error())?;
    spool
        .save_state(&watermarks)
        .map_err(Stored::Watermarks.error())?;
    // Before the alert rules, which filter on the scores; with or without an export, so the
    // dashboard's scores are never older than the last sync.
    scores::refresh(
        &conn,
        &config.profile,
        &mut limit,
        config.storage.memory_limit,
    )
    .map_err(Stored::Scores.error())?;
    // Before the alert rules, so a new posting's first alert carries its activity and
    // `max_interviewing` can filter on it; its requests hold the database for their duration (a
    // request or two a sync). Signals never fail the sync.
    let signals = signals::run(
        &conn,
        &signalling.client,
        &signalling.runtime,
        &config.signals,
        &current.run_id,
        &mut limit,
        config.storage.memory_limit,
    )
    .unwrap_or_else(|e| {
        tracing::error!(stage = "signals", error = %e, "storing the competition signals failed; the next sync asks again");
        signals::SignalsReport::default()
    });
    // The alert rules see the new postings before retention can prune their titles, under the
    // limit the load needed, raised as the load's is if it runs out. Planning failing leaves
    // them queued for the next sync; it never fails the sync.
    let planned = db::with_memory_retries(
        &conn,
        &mut limit,
        config.storage.memory_limit,
        "alerts",
        alerts::AlertError::is_out_of_memory,
        || alerts::plan(&conn, &config.alerts, Utc::now()),
    );
    if let Err(e) = planned {
        tracing::error!(stage = "alerts", error = %e, "matching new postings against the alert rules failed; they stay queued for the next sync");
    }
    // Retention, then the checkpoint of what it changed, each under the limit the load needed,
    // raised as the load's is if it runs out (the checkpoint after a first sync of 100k
    // postings, most of them pruned, needed more than the default). A retry goes on from the
    // pieces already committed.
    crate::test_hooks::fail("retention")
        .and_then(|()| {
            retention::prune_within(
                &conn,
                &config.retention,
                &mut limit,
                config.storage.memory_limit,
            )?;
            db::with_memory_retries(
                &conn,
                &mut limit,
                config.storage.memory_limit,
                "retention",
                db::is_out_of_memory,
                || db::checkpoint(&conn).map(drop),
            )
        })
        .map_err(Stored::Retention.error())?;
    tracing::info!(
        stage = "load",
        pages = report.pages,
        postings = report.postings,
        new = report.new_postings,
        changed = report.changed_postings,
        quarantined = report.quarantined,
        "loaded"
    );
    let exported = if export {
        export_views(config, &conn, limit)?
    } else {
        export::Exported::default()
    };
    Ok((report, exported, signals))
}

/// Loads under `storage.memory_limit` (see [`load::load_within`]).
fn load_within_memory(
    config: &Config,
    conn: &mut db::Db,
    pending: &[spool::PendingRun],
    current: &load::CurrentRun,
) -> Result<(load::LoadReport, Option<u64>), SyncError> {
    // The rest of the sync (scores, alerts, export) runs on this connection under the limit the
    // load needed (returned with the report; `None`: no limit): DuckDB still holds the committed
    // load's blocks, so going back to a smaller setting made the export run out of memory right
    // after a load that had to be retried.
    Ok(load::load_within(
        conn,
        pending,
        Some(current),
        config.storage.memory_limit,
    )?)
}

/// Refreshes the scores ([`scores::refresh`]) and writes the exports, for `upjobpilot export`:
/// its views read the profile tables, which the config may have changed since the last sync.
pub fn export_with_scores(
    config: &Config,
    conn: &duckdb::Connection,
) -> Result<export::Exported, SyncError> {
    // Starts from the configured limit; the retries raise it from there.
    db::set_memory_limit(conn, config.storage.memory_limit)
        .map_err(|source| SyncError::Scores { source })?;
    let mut limit = Some(config.storage.memory_limit);
    scores::refresh(
        conn,
        &config.profile,
        &mut limit,
        config.storage.memory_limit,
    )
    .map_err(|source| SyncError::Scores { source })?;
    export_views(config, conn, limit)
}

/// Creates the views and writes the exports, under the connection's memory limit `limit` (a
/// sync's is the one its load needed). A file that runs out of memory (a view over every stored
/// posting, at a million of them) is written again on one thread, then with twice that limit, up
/// to eight times the configured one, then with no limit, as the load is
/// ([`db::with_memory_retries`]); each file is written whole or not at all, so a retry leaves
/// nothing half-written, and the files written before it are not written again.
fn export_views(
    config: &Config,
    conn: &duckdb::Connection,
    mut limit: Option<u64>,
) -> Result<export::Exported, SyncError> {
    let views = views::read_views(&config.queries_dir()).map_err(export::ExportError::from)?;
    export::create_views(conn, &views)?;
    let exported = export::export_each(
        conn,
        &views,
        &config.export_dir(),
        &config.export.formats,
        export::CsvOptions {
            formula_guard: config.export.csv_formula_guard,
            delimiter: config.export.csv_delimiter,
            bom: config.export.csv_bom,
        },
        &config.export.partitioned,
        &mut |write| {
            db::with_memory_retries(
                conn,
                &mut limit,
                config.storage.memory_limit,
                "export",
                export::ExportError::is_out_of_memory,
                write,
            )
        },
    )?;
    tracing::info!(
        stage = "export",
        files = exported.written.len(),
        held = exported.held.len(),
        "exported"
    );
    Ok(exported)
}

fn current_watermarks(
    database: &Path,
    spool: &Spool,
) -> Result<BTreeMap<String, DateTime<Utc>>, SyncError> {
    let mut marks = match db::open(database) {
        Ok(conn) => load::watermarks(&conn).map_err(|source| DbError::DuckDb {
            path: database.to_path_buf(),
            source,
        })?,
        Err(DbError::Busy { .. }) => {
            tracing::warn!(stage = "fetch", database = %database.display(), "database busy; using the spool's copy of the watermarks");
            spool.state()
        }
        Err(e) => return Err(e.into()),
    };
    // Pages fetched but not loaded yet count as known.
    for run in spool.pending()? {
        for outcome in run.outcomes.iter().filter(|o| o.status.reached_end()) {
            if let Some(w) = outcome.watermark {
                let entry = marks.entry(outcome.search.clone()).or_insert(w);
                *entry = (*entry).max(w);
            }
        }
    }
    Ok(marks)
}

fn auth_message(error: &AuthError) -> String {
    match error.hint() {
        Some(hint) => format!("{error}\nhint: {hint}"),
        None => error.to_string(),
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, SyncError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SyncError::Internal(e.to_string()))
}
