//! The DuckDB file: opening it, recognising what is not ours, and migrating the schema.
//!
//! Every SQL text of the product lives in a file here: the schema in numbered
//! `migrations/*.sql`, the statements the stages run in `sql/*.sql` ([`sql`]), both embedded in
//! the binary. [`open`] applies the
//! missing ones in one transaction, records each in `schema_version`, and refuses a database whose
//! schema is newer than this binary knows. A file that is not a DuckDB database, or a DuckDB
//! database that is not ours, is refused with a clear message and left untouched; a file held by
//! another process is reported as [`DbError::Busy`] so sync can keep its pages in the spool.
//!
//! Every connection of the process to a file comes from its one DuckDB instance of that file
//! ([`instance`]): [`open`] and [`open_read_only`] return a [`Db`] cloned from it.

mod error;
pub mod instance;
pub mod sql;
pub mod words;

pub use error::DbError;
pub use instance::Db;

use duckdb::Connection;
use instance::{Access, Opened};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The migrations, in order; the number is the schema version each one brings.
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("migrations/001_initial.sql")),
    (
        2,
        concat!(
            include_str!("migrations/002_daily_postings.sql"),
            include_str!("sql/daily.sql")
        ),
    ),
    (3, include_str!("migrations/003_profile.sql")),
    (4, include_str!("migrations/004_labels.sql")),
    (5, include_str!("migrations/005_alerts.sql")),
    (6, include_str!("migrations/006_daily_dirty.sql")),
    (7, include_str!("migrations/007_unkeyed_tables.sql")),
    (8, include_str!("migrations/008_unkeyed_scores.sql")),
    (9, include_str!("migrations/009_job_activity.sql")),
    (11, include_str!("migrations/011_text_index.sql")),
    (12, include_str!("migrations/012_raw_zstd.sql")),
    (13, include_str!("migrations/013_text_words.sql")),
    (14, include_str!("migrations/014_alert_queue_title.sql")),
    (15, include_str!("migrations/015_text_index_numbers.sql")),
];

/// A migration's work beyond its SQL.
type MigrationStep = fn(&Connection) -> duckdb::Result<()>;

/// What a migration does beyond its SQL, right after it, in its transaction.
/// (Migration 13's rebuild of the index runs after 15 now, in 15's tables: a file migrated from
/// before 13 builds it once.)
const MIGRATION_STEPS: &[(i32, MigrationStep)] = &[(15, words::build_index)];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i32 = 15;

/// A writing connection to the database at `path` (created if needed), its schema brought up
/// to date when the process opens the file.
pub fn open(path: &Path) -> Result<Db, DbError> {
    instance::acquire(path, Access::Write, || {
        let io = |source| DbError::Io {
            path: path.to_path_buf(),
            source,
        };
        if path.exists() {
            check_magic(path)?;
        } else if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let created = !path.exists() || std::fs::metadata(path).is_ok_and(|m| m.len() == 0);
        let conn = attach(path, created).map_err(|e| DbError::duckdb(path, e))?;
        migrate(&conn, path)?;
        Ok(Opened {
            conn,
            setup: Some(format!("USE {DATABASE}")),
        })
    })
}

/// Rows per row group that this process appends (DuckDB's default is 122,880). A checkpoint
/// compresses again the whole row group that appends are filling, so during a load in batches
/// the row group's size bounds the work of each checkpoint; small ones let the load checkpoint
/// often (see `LOAD_CHECKPOINT_THRESHOLD` in the load) instead of keeping gigabytes of
/// committed rows in DuckDB's buffers, spilled to the temp folder and compressed at the end.
/// Readers (any DuckDB since 1.4) read row groups of every size.
pub const ROW_GROUP_SIZE: usize = 8192;

/// Opens `path` for writing: a DuckDB instance with no file of its own that attaches `path` and
/// uses it as the default database, the one way to give a file DuckDB's `ROW_GROUP_SIZE`.
fn attach(path: &Path, created: bool) -> duckdb::Result<Connection> {
    let conn = Connection::open_in_memory_with_flags(config()?)?;
    let quoted = sql_path(path);
    let storage = if created {
        format!(", STORAGE_VERSION '{STORAGE_COMPATIBILITY}'")
    } else {
        String::new()
    };
    let temp = sql_path(&temp_folder(path));
    conn.execute_batch(&format!(
        "ATTACH {quoted} AS {DATABASE} (ROW_GROUP_SIZE {ROW_GROUP_SIZE}{storage}); \
         USE {DATABASE}; \
         SET temp_directory = {temp}"
    ))?;
    Ok(conn)
}

/// Detaches the file and attaches it again, when `db` is the only connection of its instance
/// (see [`Db::alone`]); `true` if it did. A `DELETE` that runs out of memory halfway and is
/// rolled back leaves DuckDB (2.0.1) unable to delete the rows it had reached, in that instance:
/// the same `DELETE` tried again fails with "Conflict on tuple deletion", at every limit. Found
/// with retention's words of 50,000 of 100k postings at 12-16 MB on one thread (every time, in
/// Python duckdb and here; now and then on two threads): neither a `CHECKPOINT` nor a pause
/// before the retry cleared it; a new instance did, and so does attaching the file again, which
/// also gives back the buffers the failed attempt held. So a step retried after running out of
/// memory in a `DELETE` attaches the file again first.
pub fn reattach(db: &Db) -> duckdb::Result<bool> {
    let statements = format!(
        "USE memory; DETACH {DATABASE}; \
         ATTACH {} AS {DATABASE} (ROW_GROUP_SIZE {ROW_GROUP_SIZE}); USE {DATABASE}",
        sql_path(db.file())
    );
    db.alone(|conn| conn.execute_batch(&statements))
        .transpose()
        .map(|done| done.is_some())
}

/// [`reattach`], or a warning that the file stays attached as it is (another connection of it is
/// open in this process), before a retry of `stage`.
pub fn reattach_before_retry(db: &Db, stage: &str) -> duckdb::Result<()> {
    if !reattach(db)? {
        tracing::warn!(
            stage,
            "the database is in use elsewhere in this process and is not attached again; the retry may meet DuckDB's \"Conflict on tuple deletion\""
        );
    }
    Ok(())
}

/// [`with_memory_retries`] for work that deletes rows: the file attached again before each
/// retry ([`reattach_before_retry`]; its error wrapped by `wrap`).
pub fn with_memory_retries_reattached<T, E: std::fmt::Display>(
    db: &Db,
    limit: &mut Option<u64>,
    configured: u64,
    stage: &str,
    out_of_memory: impl Fn(&E) -> bool,
    wrap: impl Fn(duckdb::Error) -> E,
    mut work: impl FnMut() -> Result<T, E>,
) -> Result<T, E> {
    // `with_memory_retries` calls `work` again only after it ran out of memory.
    let mut retry = false;
    with_memory_retries(db, limit, configured, stage, out_of_memory, || {
        if retry {
            reattach_before_retry(db, stage).map_err(&wrap)?;
        }
        retry = true;
        work()
    })
}

/// The name a writing connection knows its database by (see [`attach`]).
const DATABASE: &str = "upjobpilot";

/// The folder where DuckDB spills beyond its memory limit: beside the file, as DuckDB does for
/// a file it opens itself (an instance without a file would use `.tmp` in the working folder).
fn temp_folder(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

/// `path` as an SQL string literal.
pub fn sql_path(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "''"))
}

/// [`open`], waiting up to `wait` while another program holds the file: `upjobpilot serve` (and
/// a quick query in the duckdb CLI) holds it for moments, which should not cost a sync its load.
pub fn open_waiting(path: &Path, wait: Duration) -> Result<Db, DbError> {
    let deadline = Instant::now() + wait;
    loop {
        match open(path) {
            Err(DbError::Busy { .. }) if Instant::now() < deadline => {
                std::thread::sleep(BUSY_POLL);
            }
            other => return other,
        }
    }
}

/// How often [`open_waiting`] tries again.
const BUSY_POLL: Duration = Duration::from_millis(25);

/// A reading connection to an existing database, without migrating: from the process's
/// instance of the file if it has one, otherwise from a read-only one, so that readers (`status`,
/// `serve`) never block another program's sync for longer than a query.
pub fn open_read_only(path: &Path) -> Result<Db, DbError> {
    instance::acquire(path, Access::Read, || {
        check_magic(path)?;
        let config = config()
            .and_then(|c| c.access_mode(duckdb::AccessMode::ReadOnly))
            .map_err(|e| DbError::duckdb(path, e))?;
        let conn =
            Connection::open_with_flags(path, config).map_err(|e| DbError::duckdb(path, e))?;
        Ok(Opened { conn, setup: None })
    })
}

/// A reading connection that cannot reach past the database: no file, URL or extension, no
/// `ATTACH` or `COPY`, and no `SET` or `RESET` that would allow them again. For SQL written by
/// someone else (the MCP `query` tool). DuckDB's settings belong to the instance, so this must
/// be an instance of its own: when the process already has the file open, the connection would
/// come from that instance, and this answers [`DbError::BusyHere`] instead.
pub fn open_sealed(path: &Path) -> Result<Db, DbError> {
    let fail = |e| DbError::duckdb(path, e);
    let db = instance::acquire(path, Access::Read, || {
        check_magic(path)?;
        let config = config()
            .and_then(|c| c.access_mode(duckdb::AccessMode::ReadOnly))
            .and_then(|c| c.enable_external_access(false))
            .and_then(|c| c.enable_autoload_extension(false))
            .and_then(|c| c.with("autoinstall_known_extensions", "false"))
            .map_err(fail)?;
        let conn = Connection::open_with_flags(path, config).map_err(fail)?;
        // After the instance is open (and instance-wide): from here no statement changes a
        // setting, this one included.
        conn.execute_batch("SET lock_configuration = true")
            .map_err(fail)?;
        Ok(Opened { conn, setup: None })
    })?;
    let sealed: bool = db
        .query_row(sql::SEALED, [], |row| row.get(0))
        .map_err(fail)?;
    if !sealed {
        return Err(DbError::BusyHere {
            path: path.to_path_buf(),
        });
    }
    Ok(db)
}

/// Caps DuckDB's memory for this connection's database; past it DuckDB spills to a temp folder
/// beside the file.
pub fn set_memory_limit(conn: &Connection, bytes: u64) -> duckdb::Result<()> {
    let mib = (bytes / (1024 * 1024)).max(1);
    conn.execute_batch(&format!("SET memory_limit = '{mib}MiB'"))
}

/// The next memory limit after running out under `limit`: twice it, up to eight times the
/// `configured` one, then none (`None`); sets it on `conn` and returns its label for the warning.
/// The load and the export both escalate this way.
pub fn raise_memory_limit(
    conn: &Connection,
    limit: &mut Option<u64>,
    configured: u64,
) -> duckdb::Result<String> {
    *limit = limit.filter(|l| *l < 8 * configured).map(|l| l * 2);
    match *limit {
        Some(bytes) => {
            set_memory_limit(conn, bytes)?;
            Ok(format!("{}MiB", bytes >> 20))
        }
        None => {
            conn.execute_batch("RESET memory_limit")?;
            Ok("none".to_string())
        }
    }
}

/// Runs `work`, and again each time it runs out of memory (`out_of_memory`): first on one DuckDB
/// thread under the same limit (each thread sorts and hashes its own share, so fewer threads need
/// less: DuckDB's own first advice), then under a higher limit ([`raise_memory_limit`]) while one
/// is set; `stage` names the step in the warning. The thread count is put back afterwards. The
/// scores, signals, alert plan, retention and export escalate this way.
///
/// Measured on the views of a first sync of a million postings (the export of `new_postings`
/// and `fit_score`, DuckDB 2.0.1, 2 cores): both ran out at the default 122 MiB on two threads
/// and went through at 488 MiB in 1.5-2.8 s and 575-582 MB of RSS; on one thread they went
/// through at 122 MiB in 2.5-4.6 s and 208-215 MB.
pub fn with_memory_retries<T, E: std::fmt::Display>(
    conn: &Connection,
    limit: &mut Option<u64>,
    configured: u64,
    stage: &str,
    out_of_memory: impl Fn(&E) -> bool,
    mut work: impl FnMut() -> Result<T, E>,
) -> Result<T, E> {
    // The thread count before the first retry, once it has been tried (1: it already was one).
    let mut threads_before = None;
    let result = loop {
        match work() {
            Err(error) if out_of_memory(&error) => {
                if threads_before.is_none() {
                    match one_thread(conn) {
                        Ok(Some(before)) => {
                            threads_before = Some(before);
                            tracing::warn!(stage, threads = 1, error = %error, memory = %memory_in_use(conn), "out of memory; trying again on one thread");
                            continue;
                        }
                        Ok(None) => threads_before = Some(1),
                        Err(e) => {
                            tracing::warn!(stage, error = %e, "the thread count could not be lowered");
                            break Err(error);
                        }
                    }
                }
                if !raise_or_warn(conn, limit, configured, stage, &error) {
                    break Err(error);
                }
            }
            result => break result,
        }
    };
    if let Some(before) = threads_before.filter(|b| *b > 1)
        && let Err(e) = conn.execute_batch(&format!("SET threads = {before}"))
    {
        tracing::warn!(stage, error = %e, "the thread count could not be put back");
    }
    result
}

/// Sets DuckDB to one thread; returns the count before, or `None` when it was one already.
fn one_thread(conn: &Connection) -> duckdb::Result<Option<i64>> {
    let threads: i64 = conn.query_row("SELECT current_setting('threads')", [], |r| r.get(0))?;
    if threads <= 1 {
        return Ok(None);
    }
    conn.execute_batch("SET threads = 1")?;
    Ok(Some(threads))
}

/// [`raise_memory_limit`] with the warning; `false` when the limit could not be raised (or there
/// is none left to raise).
fn raise_or_warn<E: std::fmt::Display>(
    conn: &Connection,
    limit: &mut Option<u64>,
    configured: u64,
    stage: &str,
    error: &E,
) -> bool {
    if limit.is_none() {
        return false;
    }
    match raise_memory_limit(conn, limit, configured) {
        Ok(next) => {
            tracing::warn!(stage, memory_limit = %next, error = %error, memory = %memory_in_use(conn), "out of memory; trying again with a higher limit (raise storage.memory_limit to avoid this)");
            true
        }
        Err(raise) => {
            tracing::warn!(stage, error = %raise, "the memory limit could not be raised");
            false
        }
    }
}

/// DuckDB's memory by what holds it (`duckdb_memory()`: its buffers by tag, in memory and
/// spilled to the temp folder), largest first, for the warning of a run that ran out.
pub fn memory_in_use(conn: &Connection) -> String {
    // A connection of its own: the one that ran out is in a failed transaction.
    let tags = conn.try_clone().and_then(|other| {
        let mut statement = other.prepare(sql::MEMORY_IN_USE)?;
        statement
            .query_map([], |row| {
                Ok(format!(
                    "{} {}MiB (+{}MiB spilled)",
                    row.get::<_, String>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, i64>(2)?
                ))
            })?
            .collect::<duckdb::Result<Vec<_>>>()
    });
    match tags {
        Ok(tags) if tags.is_empty() => "under 1MiB".to_string(),
        Ok(tags) => tags.join(", "),
        Err(e) => format!("unknown ({e})"),
    }
}

/// Whether DuckDB gave up for want of memory (within its limit). A query says "Out of Memory
/// Error"; the Appender says "failed to allocate data of size" or "could not allocate block of
/// size" (and neither is caught as out of memory unless matched here: it would fail the load
/// instead of retrying it with more).
pub fn is_out_of_memory(error: &duckdb::Error) -> bool {
    let text = error.to_string();
    [
        "Out of Memory Error",
        "failed to allocate data of size",
        "could not allocate block of size",
    ]
    .iter()
    .any(|sign| text.contains(sign))
}

/// Whether DuckDB aborted a transaction because another one of this process's instance changed
/// the same rows or table first (optimistic concurrency): nothing of it was written, and the
/// same change can be tried again.
pub fn is_write_conflict(error: &duckdb::Error) -> bool {
    let text = error.to_string();
    [
        "Transaction conflict",
        "write-write conflict",
        "Conflict on tuple deletion",
        "Conflict on update",
    ]
    .iter()
    .any(|sign| text.contains(sign))
}

/// Checkpoints the database unless another connection of the instance (a dashboard's label
/// save under `serve --watch`) is in a write transaction: DuckDB then refuses, and checkpoints
/// by itself at a later commit or when the instance closes, so that refusal loses nothing.
/// Returns whether it checkpointed.
pub fn checkpoint(conn: &Connection) -> duckdb::Result<bool> {
    match conn.execute_batch("CHECKPOINT") {
        Err(error)
            if error
                .to_string()
                .contains("other write transactions active") =>
        {
            tracing::debug!(stage = "load", error = %error, "checkpoint deferred: another write is in progress");
            Ok(false)
        }
        other => other.map(|()| true),
    }
}

/// The storage format written into a new file: the oldest that DuckDB 1.4 readers (the Python
/// package and CLI still common on laptops) can open, and that has every feature we use.
pub const STORAGE_COMPATIBILITY: &str = "v1.4.0";

fn config() -> duckdb::Result<duckdb::Config> {
    // Never download extensions: the pipeline reaches nothing but Upwork.
    duckdb::Config::default()
        .with("autoinstall_known_extensions", "false")?
        .with("autoload_known_extensions", "false")
}

/// A DuckDB file carries `DUCK` at byte 8; anything else is not ours to open (DuckDB would
/// otherwise try to treat it as a database, or worse, a WAL).
fn check_magic(path: &Path) -> Result<(), DbError> {
    let mut header = [0u8; 12];
    let mut file = std::fs::File::open(path).map_err(|source| DbError::io(path, source))?;
    let len = file
        .read(&mut header)
        .map_err(|source| DbError::io(path, source))?;
    if len == 0 {
        // An empty file (for example from `touch`): DuckDB initialises it.
        return Ok(());
    }
    if len < 12 || &header[8..12] != b"DUCK" {
        return Err(DbError::NotDuckDb {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

fn migrate(conn: &Connection, path: &Path) -> Result<(), DbError> {
    let fail = |e| DbError::duckdb(path, e);
    let tables: Vec<String> = {
        let mut stmt = conn
            .prepare("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE'")
            .map_err(fail)?;
        stmt.query_map([], |row| row.get(0))
            .map_err(fail)?
            .collect::<Result<_, _>>()
            .map_err(fail)?
    };
    let ours = tables.iter().any(|t| t == "schema_version");
    if !ours && !tables.is_empty() {
        return Err(DbError::Foreign {
            path: path.to_path_buf(),
        });
    }
    let current: i32 = if ours {
        conn.query_row(
            "SELECT coalesce(max(version), 0) FROM schema_version",
            [],
            |row| row.get(0),
        )
        .map_err(fail)?
    } else {
        0
    };
    if current > SCHEMA_VERSION {
        return Err(DbError::TooNew {
            path: path.to_path_buf(),
            found: current,
            known: SCHEMA_VERSION,
        });
    }
    if current == SCHEMA_VERSION {
        return Ok(());
    }
    conn.execute_batch("BEGIN TRANSACTION").map_err(fail)?;
    let applied = (|| {
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)",
        )?;
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            conn.execute_batch(sql)?;
            for (_, step) in MIGRATION_STEPS.iter().filter(|(v, _)| v == version) {
                step(conn)?;
            }
            conn.execute(
                "INSERT INTO schema_version VALUES (?, now())",
                duckdb::params![version],
            )?;
        }
        conn.execute_batch("COMMIT")
    })();
    if let Err(error) = applied {
        let _ = conn.execute_batch("ROLLBACK");
        return Err(fail(error));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings `work` ran under at each try of [`with_memory_retries`], running out of
    /// memory `failures` times, from `threads`; and the threads after it.
    fn tries(threads: i64, failures: usize) -> (Vec<(i64, String)>, Option<u64>, i64) {
        let conn = Connection::open_in_memory().expect("open");
        conn.execute_batch(&format!("SET threads = {threads}"))
            .expect("threads");
        let configured = 100 << 20;
        set_memory_limit(&conn, configured).expect("limit");
        let mut limit = Some(configured);
        let setting = |name: &str| -> String {
            conn.query_row(
                &format!("SELECT current_setting('{name}')::VARCHAR"),
                [],
                |r| r.get(0),
            )
            .expect(name)
        };
        let mut seen = Vec::new();
        let result = with_memory_retries(
            &conn,
            &mut limit,
            configured,
            "test",
            is_out_of_memory,
            || {
                seen.push((
                    setting("threads").parse().expect("a number"),
                    setting("memory_limit"),
                ));
                if seen.len() <= failures {
                    Err(duckdb::Error::ToSqlConversionFailure(
                        "Out of Memory Error: injected".into(),
                    ))
                } else {
                    Ok(())
                }
            },
        );
        assert!(result.is_ok());
        let after = setting("threads").parse().expect("a number");
        (seen, limit, after)
    }

    #[test]
    fn running_out_of_memory_tries_one_thread_then_more_memory_and_puts_the_threads_back() {
        let (seen, limit, after) = tries(4, 2);
        assert_eq!(seen.len(), 3);
        assert_eq!((seen[0].0, seen[1].0, seen[2].0), (4, 1, 1));
        assert_eq!(
            seen[0].1, seen[1].1,
            "one thread first, under the same limit"
        );
        assert_ne!(seen[1].1, seen[2].1, "then a higher limit");
        assert_eq!(limit, Some(200 << 20));
        assert_eq!(after, 4, "the thread count is put back");

        // On one thread already, the first retry raises the limit.
        let (seen, limit, after) = tries(1, 1);
        assert_eq!(seen.len(), 2);
        assert_ne!(seen[0].1, seen[1].1);
        assert_eq!(limit, Some(200 << 20));
        assert_eq!(after, 1);
    }

    #[test]
    fn schema_applies_once_and_reopens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.duckdb");
        drop(open(&path).expect("first open"));
        let conn = open(&path).expect("second open");
        let versions: i64 = conn
            .query_row("SELECT count(*) FROM schema_version", [], |r| r.get(0))
            .expect("count");
        assert_eq!(versions, MIGRATIONS.len() as i64);
    }

    /// Issue 19: a second instance of a file in one process shares no lock with the first, and
    /// two instances writing one file corrupt it. Every open here meets the same instance.
    #[test]
    fn a_process_has_one_instance_of_a_file_however_it_is_opened() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("sub")).expect("sub");
        let path = dir.path().join("a.duckdb");
        let writer = open(&path).expect("open for writing");
        writer
            .execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)")
            .expect("write");
        // Another spelling of the same file: still the writer's instance (the attached name).
        let reader = open_read_only(&dir.path().join("sub/../a.duckdb")).expect("open to read");
        let name: String = reader
            .query_row("SELECT current_database()", [], |r| r.get(0))
            .expect("name");
        assert_eq!(name, DATABASE);
        let seen: i64 = reader
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .expect("read");
        assert_eq!(seen, 1, "a reader sees what the writer committed");
        drop(writer);
        assert!(instance::is_open(&path), "open while the reader is");
        drop(reader);
        assert!(!instance::is_open(&path), "closed with its last connection");

        // Alone, a reader opens the file read-only: other programs may read it meanwhile.
        let reader = open_read_only(&path).expect("open to read");
        let name: String = reader
            .query_row("SELECT current_database()", [], |r| r.get(0))
            .expect("name");
        assert_eq!(name, "a");
        drop(reader);
    }

    /// A writer that meets a read-only instance waits for its readers, then opens the file for
    /// writing; it never opens a second instance beside the first.
    #[test]
    fn a_writer_waits_for_the_readers_of_a_read_only_instance() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("b.duckdb");
        drop(open(&path).expect("create"));
        let reader = open_read_only(&path).expect("open to read");
        let released = std::sync::Arc::new(AtomicBool::new(false));
        let writer = std::thread::spawn({
            let path = path.clone();
            let released = released.clone();
            move || {
                let conn = open(&path).expect("the writer opens once the reader is done");
                assert!(
                    released.load(Ordering::SeqCst),
                    "not before the reader let go"
                );
                conn.execute_batch("CREATE TABLE w (x INTEGER)")
                    .expect("write");
            }
        });
        std::thread::sleep(Duration::from_millis(200));
        released.store(true, Ordering::SeqCst);
        drop(reader);
        writer.join().expect("writer thread");
        let tables: i64 = open_read_only(&path)
            .expect("reopen")
            .query_row(
                "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'w'",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(tables, 1);
    }

    #[test]
    fn refuses_a_file_that_is_not_duckdb() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("notes.duckdb");
        std::fs::write(&path, "these are my notes, not a database").expect("write");
        assert!(matches!(open(&path), Err(DbError::NotDuckDb { .. })));
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text, "these are my notes, not a database");
    }

    #[test]
    fn refuses_someone_elses_duckdb_and_a_newer_schema() {
        let dir = tempfile::tempdir().expect("tempdir");
        let foreign = dir.path().join("foreign.duckdb");
        Connection::open(&foreign)
            .and_then(|c| c.execute_batch("CREATE TABLE invoices (id INTEGER)"))
            .expect("foreign db");
        assert!(matches!(open(&foreign), Err(DbError::Foreign { .. })));

        let newer = dir.path().join("newer.duckdb");
        drop(open(&newer).expect("create"));
        Connection::open(&newer)
            .and_then(|c| c.execute_batch("INSERT INTO schema_version VALUES (99, now())"))
            .expect("bump");
        assert!(matches!(
            open(&newer),
            Err(DbError::TooNew { found: 99, .. })
        ));
    }
}
