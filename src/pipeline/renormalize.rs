//! Renormalize: rebuild the typed tables from the raw JSON stored with each posting, after an
//! upgrade that adds or fixes a column, through the load stage's own decoder and merge.
//!
//! Postings go in id order, in batches, each batch one transaction; after each commit the last
//! id done is written (atomically) to `<database>.renormalize.json`, so a renormalize that is
//! killed or interrupted goes on where it stopped when run again (on the same database: the
//! file says when the database was made), and a batch done twice changes nothing. Postings
//! whose raw JSON retention has pruned keep the columns they have: they are counted and said,
//! never silently skipped.

use super::error::SyncError;
use super::load::{self, LoadError, StoredNode};
use crate::db::sql;
use duckdb::Connection;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What a renormalize did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RenormalizeReport {
    /// Postings rebuilt from their raw JSON.
    pub rebuilt: usize,
    /// Stored nodes this version's decoder refuses (quarantined; their rows left as they were).
    pub quarantined: usize,
    /// Postings whose raw JSON retention pruned: their columns stay as stored.
    pub pruned: i64,
    /// Whether this run went on from an interrupted one.
    pub resumed: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct Progress {
    run_id: String,
    last_id: String,
    /// When the database was made (its first migration): a progress file left beside a
    /// database that was deleted and made anew is not taken for the new one's, whose postings
    /// up to `last_id` it would skip. Absent in the files of versions before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    database_made: Option<String>,
}

/// When the database was made: the time its first migration was applied.
fn database_made(conn: &Connection) -> Result<Option<String>, duckdb::Error> {
    conn.query_row(
        "SELECT CAST(min(applied_at) AS VARCHAR) FROM schema_version",
        [],
        |row| row.get(0),
    )
}

/// Where the progress of a renormalize of `database` is kept.
pub fn progress_path(database: &Path) -> PathBuf {
    let mut name = database.file_name().unwrap_or_default().to_os_string();
    name.push(".renormalize.json");
    database.with_file_name(name)
}

/// Rebuilds every stored posting with raw JSON, `batch` at a time, under DuckDB's
/// `memory_limit` (raised for a batch that runs out, as a load does); `on_batch` hears the
/// running total after each commit.
pub fn renormalize(
    db: &crate::db::Db,
    database: &Path,
    batch: usize,
    memory_limit: u64,
    mut on_batch: impl FnMut(usize),
) -> Result<RenormalizeReport, SyncError> {
    let conn: &Connection = db;
    let progress_file = progress_path(database);
    let io = |source| SyncError::Io {
        path: progress_file.clone(),
        source,
    };
    let made = database_made(conn).map_err(SyncError::Renormalize)?;
    let previous: Option<Progress> = std::fs::read(&progress_file)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Progress>(&bytes).ok())
        .filter(|p| {
            let ours = p.database_made.is_none() || p.database_made == made;
            if !ours {
                tracing::warn!(stage = "renormalize", file = %progress_file.display(), "the progress left there is another database's (this one was made since); starting from the first posting");
            }
            ours
        });
    let mut report = RenormalizeReport {
        resumed: previous.is_some(),
        ..RenormalizeReport::default()
    };
    let (run_id, mut last_id) = match previous {
        Some(p) => (p.run_id, p.last_id),
        None => (
            format!(
                "renormalize-{}",
                super::spool::new_run_id(chrono::Utc::now())
            ),
            String::new(),
        ),
    };
    report.pruned = conn
        .query_row("SELECT count(*) FROM jobs WHERE raw IS NULL", [], |r| {
            r.get(0)
        })
        .map_err(SyncError::Renormalize)?;
    // Batches of small merges, as a load: one DuckDB thread, checkpoints every 32 MB of log.
    // A batch that runs out of memory is rolled back and done again with twice the limit (the
    // batches before it stay committed), as a sync's load is: a renormalize is what a user runs
    // after an upgrade, and failing it halfway on a large history helps nobody.
    let mut limit = Some(memory_limit);
    load::with_load_settings(
        conn,
        SyncError::Renormalize,
        |conn| -> Result<(), SyncError> {
            loop {
                crate::test_hooks::fail("renormalize").map_err(SyncError::Renormalize)?;
                // The file attached again before a retry: a batch that ran out in one of its
                // DELETEs left rows DuckDB would refuse to delete again.
                let done = crate::db::with_memory_retries_reattached(
                    db,
                    &mut limit,
                    memory_limit,
                    "renormalize",
                    |e: &SyncError| matches!(e, SyncError::Renormalize(e) if crate::db::is_out_of_memory(e)),
                    SyncError::Renormalize,
                    || rebuild_next(conn, &last_id, batch, &run_id),
                )?;
                let Some((end, rebuilt, quarantined)) = done else {
                    break;
                };
                report.rebuilt += rebuilt;
                report.quarantined += quarantined;
                last_id = end;
                let progress = Progress {
                    run_id: run_id.clone(),
                    last_id: last_id.clone(),
                    database_made: made.clone(),
                };
                let json = serde_json::to_vec(&progress).unwrap_or_default();
                crate::fs::write_atomic(&progress_file, &json).map_err(io)?;
                crate::test_hooks::point("renormalize-batch");
                on_batch(report.rebuilt);
            }
            Ok(())
        },
    )?;
    crate::test_hooks::point("renormalize-batches-done");
    // The days the batches touched, after the checkpoint that ends them, on one thread under the
    // retries: the daily aggregates of a million rebuilt postings ran out of the default limit
    // before that checkpoint (and failed the renormalize at its very end), and after it on two
    // threads; they went through on one (DuckDB 2.0.1, BENCHMARKS.md). A renormalize stopped
    // before this goes on here when run again (its progress file is removed only below).
    load::recompute_daily_within(conn, &mut limit, memory_limit, "renormalize")
        .map_err(SyncError::Renormalize)?;
    crate::test_hooks::point("renormalize-daily");
    match std::fs::remove_file(&progress_file) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    Ok(report)
}

/// Rebuilds the next `batch` stored postings with raw JSON after `last_id`, in one transaction:
/// the last id done, postings rebuilt and nodes quarantined, or `None` when none is left.
fn rebuild_next(
    conn: &Connection,
    last_id: &str,
    batch: usize,
    run_id: &str,
) -> Result<Option<(String, usize, usize)>, SyncError> {
    let end: Option<String> = conn
        .query_row(
            sql::RENORMALIZE_NEXT,
            duckdb::params![last_id, batch.max(1) as i64],
            |row| row.get(0),
        )
        .map_err(SyncError::Renormalize)?;
    let Some(end) = end else {
        return Ok(None);
    };
    let nodes: Vec<StoredNode> = {
        let mut stmt = conn
            .prepare(sql::RENORMALIZE_BATCH)
            .map_err(SyncError::Renormalize)?;
        let rows = stmt
            .query_map(duckdb::params![last_id, end], |row| {
                Ok(StoredNode {
                    id: row.get(0)?,
                    raw: row.get(1)?,
                    last_seen_us: row.get(2)?,
                })
            })
            .map_err(SyncError::Renormalize)?;
        rows.collect::<Result<_, _>>()
            .map_err(SyncError::Renormalize)?
    };
    let (rebuilt, quarantined) =
        load::renormalize_batch(conn, &nodes, run_id).map_err(|e| match e {
            LoadError::Db(e) => SyncError::Renormalize(e),
            other => SyncError::Load(other),
        })?;
    Ok(Some((end, rebuilt, quarantined)))
}
