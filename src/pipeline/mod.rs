//! The pipeline: fetch → spool → load → export, and the lock that keeps runs from overlapping.
//!
//! [`sync`] is what `upjobpilot sync` runs. It takes the pipeline lock (a second sync waits a
//! bounded time, then exits with the "locked" status naming the holder), reads the watermarks
//! (from the database, or from the spool's copy when another program holds the database), fetches
//! every search concurrently under one rate limiter into a new spool folder, then loads every
//! pending spool folder in one transaction, prunes by retention and exports the views. The
//! database is not held open while fetching, so a reader can use it between loads; if it is held
//! at load time, the pages wait in the spool for the next run.

pub mod export;
pub mod fetch;
pub mod load;
pub mod progress;
pub mod spool;

use crate::auth::{AuthError, TokenSource};
use crate::config::Config;
use crate::db::{self, DbError};
use crate::exit::Exit;
use crate::upwork::{RetryPolicy, UpworkClient, UpworkError};
use chrono::{DateTime, Utc};
use fetch::Progress;
use spool::{RunRecord, SearchStatus, Spool};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
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
    /// Files exported.
    pub exported: Vec<PathBuf>,
    /// Requests sent to Upwork.
    pub requests: u64,
    /// Set when signing in failed during the run.
    pub auth_error: Option<String>,
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
        } else if self
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

/// Why a sync could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Another sync holds the lock.
    #[error("another sync is running ({holder}); lock file {path}")]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// What the holder wrote into it.
        holder: String,
    },
    /// Signing in failed before anything was fetched.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The database cannot be used.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The spool cannot be written.
    #[error(transparent)]
    Spool(#[from] spool::SpoolError),
    /// Loading failed; the pages are still in the spool.
    #[error("{0}; the fetched pages stay in the spool for the next run")]
    Load(#[from] load::LoadError),
    /// Exporting failed; the database is up to date.
    #[error(transparent)]
    Export(#[from] export::ExportError),
    /// The HTTP client could not be set up.
    #[error(transparent)]
    Upwork(#[from] UpworkError),
    /// A file or folder the pipeline needs.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A blocking task panicked or was cancelled.
    #[error("internal error: {0}")]
    Internal(String),
}

impl SyncError {
    /// The exit status for this error.
    pub fn exit(&self) -> Exit {
        match self {
            SyncError::Locked { .. } => Exit::Locked,
            SyncError::Auth(_) => Exit::Auth,
            SyncError::Upwork(UpworkError::Auth(_)) => Exit::Auth,
            SyncError::Db(DbError::Busy { .. }) => Exit::Spooled,
            _ => Exit::Failure,
        }
    }
}

/// The pipeline lock: held for the whole of a sync.
pub struct PipelineLock {
    _file: File,
}

/// Takes the pipeline lock beside the database, waiting up to `wait` for another sync.
pub fn lock(database: &Path, wait: Duration) -> Result<PipelineLock, SyncError> {
    let path = lock_path(database);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| SyncError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let io = |source| SyncError::Io {
        path: path.clone(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    let deadline = Instant::now() + wait;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(SyncError::Locked {
                    path,
                    holder: holder.trim().to_string(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
    }
    let note = format!(
        "pid {} since {}",
        std::process::id(),
        Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
    );
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    file.write_all(note.as_bytes()).map_err(io)?;
    Ok(PipelineLock { _file: file })
}

fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    database.with_file_name(name)
}

/// A new run id: sortable by start time, unique per process.
pub fn new_run_id(now: DateTime<Utc>) -> String {
    format!(
        "{}-{}",
        now.format("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id()
    )
}

/// Runs one sync.
pub async fn sync(
    config: &Config,
    tokens: Arc<TokenSource>,
    options: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    let started = Instant::now();
    let database = config.database_path();
    let _lock = lock(&database, options.lock_wait)?;
    let spool = Spool::new(config.spool_dir());
    let now = Utc::now();
    let run_id = new_run_id(now);

    let watermarks = {
        let database = database.clone();
        let spool = spool.clone();
        blocking(move || current_watermarks(&database, &spool)).await??
    };

    let client = Arc::new(UpworkClient::new(
        config.upwork.graphql_url.clone(),
        config.upwork.tenant_id.clone(),
        tokens,
        config.upwork.requests_per_minute,
        Duration::from_secs(u64::from(config.upwork.timeout_secs)),
        RetryPolicy {
            max_retries: config.upwork.max_retries,
            base: Duration::from_millis(u64::from(config.upwork.retry_base_ms)),
            cap: Duration::from_secs(30),
        },
    )?);
    let record = RunRecord {
        run_id: run_id.clone(),
        started_at: now,
        finished_at: None,
        pid: std::process::id(),
        requests: 0,
    };
    let run_spool = spool.begin(&record)?;
    let progress: Arc<dyn Progress> = if options.progress {
        Arc::new(progress::Bars::new(&config.searches))
    } else {
        Arc::new(progress::Logs)
    };
    tracing::info!(stage = "fetch", run_id = %run_id, searches = config.searches.len(), "sync started");

    let permits = Arc::new(tokio::sync::Semaphore::new(
        config.upwork.concurrency as usize,
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, search) in config.searches.iter().enumerate() {
        let (client, run_spool, progress, permits) = (
            client.clone(),
            run_spool.clone(),
            progress.clone(),
            permits.clone(),
        );
        let search = search.clone();
        let watermark = watermarks.get(&search.name).copied();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let fetched = fetch::fetch_search(
                &client,
                &run_spool,
                &search,
                watermark,
                now,
                progress.as_ref(),
            )
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
    let mut auth_error = None;
    let mut searches = Vec::new();
    for (_, fetched, written) in results {
        written?;
        if let Some(UpworkError::Auth(e)) = &fetched.error {
            auth_error.get_or_insert_with(|| auth_message(e));
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
    let requests = client.requests();
    run_spool.finish(&RunRecord {
        finished_at: Some(Utc::now()),
        requests,
        ..record
    })?;

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
    let current = load::CurrentRun {
        run_id: run_id.clone(),
        status: status.to_string(),
        errors: (!errors.is_empty()).then(|| errors.join("\n")),
    };
    let config_for_load = config.clone();
    let export = options.export;
    let stored = blocking(move || store(&config_for_load, &spool, &current, export)).await?;
    let (load, spooled, exported) = match stored {
        Ok((load, exported)) => (Some(load), None, exported),
        Err(SyncError::Db(DbError::Busy { path, detail })) => {
            tracing::warn!(stage = "load", database = %path.display(), detail = %detail, "database busy; pages kept in the spool");
            (
                None,
                Some(format!("{} is in use by another program", path.display())),
                Vec::new(),
            )
        }
        Err(e) => return Err(e),
    };
    Ok(SyncReport {
        run_id,
        searches,
        load,
        spooled,
        exported,
        requests,
        auth_error,
        elapsed: started.elapsed(),
    })
}

/// Loads every pending spool folder, prunes, exports. Used by sync and by `export`.
fn store(
    config: &Config,
    spool: &Spool,
    current: &load::CurrentRun,
    export: bool,
) -> Result<(load::LoadReport, Vec<PathBuf>), SyncError> {
    let mut conn = db::open(&config.database_path())?;
    let pending = spool.pending()?;
    let report = load_within_memory(config, &mut conn, &pending, current)?;
    // Only after the commit: a crash before this line loads the same pages again, harmlessly.
    spool.remove(&pending)?;
    let watermarks = load::watermarks(&conn).map_err(load::LoadError::from)?;
    spool.save_state(&watermarks)?;
    retention::prune(&conn, &config.retention).map_err(load::LoadError::from)?;
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
        export_views(config, &conn)?
    } else {
        Vec::new()
    };
    Ok((report, exported))
}

/// Loads under `storage.memory_limit` (see [`load::load_within`]).
fn load_within_memory(
    config: &Config,
    conn: &mut duckdb::Connection,
    pending: &[spool::PendingRun],
    current: &load::CurrentRun,
) -> Result<load::LoadReport, SyncError> {
    let configured = memory_limit(config);
    let (report, _) = load::load_within(conn, pending, Some(current), configured)?;
    db::set_memory_limit(conn, configured).map_err(load::LoadError::from)?;
    Ok(report)
}

/// `storage.memory_limit` in bytes (validated when the config was loaded).
pub fn memory_limit(config: &Config) -> u64 {
    config
        .storage
        .memory_limit_bytes()
        .unwrap_or(128 * 1024 * 1024)
}

/// Creates the views and writes the exports.
pub fn export_views(config: &Config, conn: &duckdb::Connection) -> Result<Vec<PathBuf>, SyncError> {
    db::set_memory_limit(conn, memory_limit(config)).map_err(load::LoadError::from)?;
    let views = export::read_views(&config.queries_dir())?;
    export::write_profile(conn, &config.profile).map_err(load::LoadError::from)?;
    export::create_views(conn, &views)?;
    let files = export::export(
        conn,
        &views,
        &config.export_dir(),
        &config.export.formats,
        export::CsvOptions {
            formula_guard: config.export.csv_formula_guard,
            delimiter: config.export.csv_delimiter.chars().next().unwrap_or(','),
            bom: config.export.csv_bom,
        },
        &config.export.partitioned,
    )?;
    tracing::info!(stage = "export", files = files.len(), "exported");
    Ok(files)
}

fn current_watermarks(
    database: &Path,
    spool: &Spool,
) -> Result<BTreeMap<String, DateTime<Utc>>, SyncError> {
    let mut marks = match db::open(database) {
        Ok(conn) => load::watermarks(&conn).map_err(load::LoadError::from)?,
        Err(DbError::Busy { .. }) => {
            tracing::warn!(stage = "fetch", database = %database.display(), "database busy; using the spool's copy of the watermarks");
            spool.state()
        }
        Err(e) => return Err(e.into()),
    };
    // Pages fetched but not loaded yet count as known.
    for run in spool.pending()? {
        for outcome in run
            .outcomes
            .iter()
            .filter(|o| o.status == SearchStatus::Complete)
        {
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

pub mod retention {
    //! Retention: Upwork's terms allow keeping API responses for 24 hours.
    //!
    //! After each load, postings published longer ago than `retention.hours` lose their title,
    //! description and raw JSON; the typed numbers, skills and dates stay. With
    //! `retention.keep_postings = false` the postings themselves (and their skills, hits and
    //! changes) are deleted instead, once their days are closed in `daily_closed`: the daily
    //! aggregates in `daily_postings`, recomputed by every load, are all that is kept of them.

    use crate::config::Retention;
    use duckdb::Connection;

    /// Applies the retention; returns how many postings were pruned or deleted.
    pub fn prune(conn: &Connection, retention: &Retention) -> Result<usize, duckdb::Error> {
        // The cutoff is computed here: TIMESTAMPTZ arithmetic in SQL needs the ICU extension,
        // which the bundled DuckDB does not carry.
        let cutoff = chrono::Utc::now() - chrono::Duration::hours(i64::from(retention.hours));
        let cutoff = cutoff.naive_utc();
        if retention.keep_postings {
            return conn.execute(
                "UPDATE jobs SET title = NULL, description = NULL, raw = NULL, pruned_at = now()
                 WHERE pruned_at IS NULL AND published_at::TIMESTAMP < ?",
                duckdb::params![cutoff],
            );
        }
        let tx = conn.unchecked_transaction()?;
        tx.execute(
            "CREATE OR REPLACE TEMP TABLE expired AS
             SELECT id, published_at::TIMESTAMP::DATE AS day FROM jobs
             WHERE published_at::TIMESTAMP < ?",
            duckdb::params![cutoff],
        )?;
        let expired: usize = tx.query_row("SELECT count(*) FROM expired", [], |r| r.get(0))?;
        tx.execute_batch(
            "INSERT INTO daily_closed SELECT DISTINCT day, now() FROM expired
             ON CONFLICT (day) DO NOTHING;
             DELETE FROM job_skills WHERE job_id IN (SELECT id FROM expired);
             DELETE FROM search_hits WHERE job_id IN (SELECT id FROM expired);
             DELETE FROM job_changes WHERE job_id IN (SELECT id FROM expired);
             DELETE FROM jobs WHERE id IN (SELECT id FROM expired);
             DROP TABLE expired;",
        )?;
        tx.commit()?;
        Ok(expired)
    }
}
