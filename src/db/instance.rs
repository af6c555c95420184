//! One DuckDB instance per database file per process, every connection cloned from it.
//!
//! DuckDB's file locks are POSIX locks, and those belong to the process: two DuckDB instances of
//! one file in one process never exclude each other, both write and checkpoint the file, and
//! closing either drops the locks of both. That is how `serve --watch` corrupted databases (a
//! dashboard request's instance beside the sync's). So every part of the process that touches a
//! file (the load, the export, alerts, the dashboard, status) gets a [`Db`] from here: a
//! connection of the one instance this process has of that file, opened on first use. Within
//! the process, readers and writers then follow DuckDB's own concurrency control (MVCC; writers'
//! transactions commit one at a time).
//!
//! The instance is closed as soon as no [`Db`] of it is left, so that other programs (a cron
//! `sync`, the duckdb CLI, DBeaver) can take the file between uses, and it is closed before
//! any other instance of the file can be opened: the registry's lock is held while an instance
//! opens or closes. An instance opened for readers is read-only (it lets other programs read the
//! file too); a writer that arrives while one is open waits for its readers to finish, and
//! readers that arrive meanwhile wait behind the writer, then share its instance.

use super::error::DbError;
use duckdb::Connection;
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// What a connection is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Queries only: an instance opened for it is read-only.
    Read,
    /// Writes: the instance must be opened read-write.
    Write,
}

/// A freshly opened instance of a file.
pub struct Opened {
    /// Its first connection, kept as long as the instance is open.
    pub conn: Connection,
    /// The statement each new connection runs first (`USE …` where the file is attached under
    /// a name).
    pub setup: Option<String>,
}

/// How long a request here waits for another part of the process: a writer for the readers of
/// a read-only instance to finish, a reader for a waiting writer to open its instance. Both wait
/// only for queries in flight, so this is a bound for bugs, not a wait anyone should see.
const IN_PROCESS_WAIT: Duration = Duration::from_secs(10);

/// A connection to a database file, from this process's one instance of it. Derefs to
/// [`duckdb::Connection`]; the instance closes when the last one is dropped.
pub struct Db {
    /// Always `Some` until dropped (taken first in `drop`, before the instance may close).
    conn: Option<Connection>,
    key: PathBuf,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("file", &self.key).finish()
    }
}

impl Deref for Db {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("a Db has its connection until dropped")
    }
}

impl DerefMut for Db {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn
            .as_mut()
            .expect("a Db has its connection until dropped")
    }
}

impl Db {
    /// The file, as its instance knows it (the path resolved).
    pub fn file(&self) -> &Path {
        &self.key
    }

    /// Runs `work` on this connection while it is the only one of a writable instance, with
    /// the registry locked so none is handed out meanwhile; `None` when another part of the
    /// process holds a connection of the file (a dashboard request beside a `serve --watch`
    /// poll), or the instance is read-only.
    pub fn alone<T>(&self, work: impl FnOnce(&Connection) -> T) -> Option<T> {
        let registry = lock();
        let instance = registry.open.get(&self.key)?;
        (instance.writable && instance.users == 1).then(|| work(self))
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        drop(self.conn.take());
        let mut registry = lock();
        let last = registry.open.get_mut(&self.key).is_some_and(|instance| {
            instance.users -= 1;
            instance.users == 0
        });
        if last {
            // Closed under the lock (DuckDB checkpoints a writer's log here): no other instance
            // of the file can open before this one has let it go.
            drop(registry.open.remove(&self.key));
        }
        drop(registry);
        CHANGED.notify_all();
    }
}

struct Instance {
    base: Connection,
    writable: bool,
    setup: Option<String>,
    /// [`Db`]s handed out and not dropped.
    users: usize,
}

#[derive(Default)]
struct Registry {
    open: HashMap<PathBuf, Instance>,
    /// Writers waiting for a read-only instance to close, by file.
    writers_waiting: HashMap<PathBuf, usize>,
}

static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(Mutex::default);
/// Signalled whenever an instance closes or a waiting writer gives up.
static CHANGED: Condvar = Condvar::new();

fn lock() -> MutexGuard<'static, Registry> {
    // A panic elsewhere while holding it leaves the counts as they were: still usable.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One name per file, however the path was written: the same file reached through `./a.duckdb`
/// and an absolute path, or through a symlinked folder, must meet the same instance.
fn key(path: &Path) -> PathBuf {
    if let Ok(real) = path.canonicalize() {
        return real;
    }
    // Not created yet: its folder exists (or is about to) and names it.
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    match (absolute.parent(), absolute.file_name()) {
        (Some(parent), Some(name)) => parent
            .canonicalize()
            .map_or_else(|_| absolute.clone(), |p| p.join(name)),
        _ => absolute,
    }
}

/// A connection to `path` for `access`: cloned from the open instance where it allows that,
/// otherwise from a new instance that `open` opens (called at most once, with the registry
/// locked, so no two instances of a file ever exist in this process).
pub fn acquire(
    path: &Path,
    access: Access,
    open: impl FnOnce() -> Result<Opened, DbError>,
) -> Result<Db, DbError> {
    let key = key(path);
    let deadline = Instant::now() + IN_PROCESS_WAIT;
    let mut open = Some(open);
    let mut registry = lock();
    let mut waiting = false;
    let result = loop {
        let writers = registry.writers_waiting.get(&key).copied().unwrap_or(0);
        match registry.open.get_mut(&key) {
            Some(instance) if instance.writable || (access == Access::Read && writers == 0) => {
                break connect(instance, &key, path);
            }
            None if access == Access::Write || writers == 0 => {
                let Some(open) = open.take() else {
                    unreachable!("an instance is opened once per call")
                };
                break open().and_then(|opened| {
                    let mut instance = Instance {
                        base: opened.conn,
                        writable: access == Access::Write,
                        setup: opened.setup,
                        users: 0,
                    };
                    // Registered only with its first user, or it would never close.
                    let db = connect(&mut instance, &key, path)?;
                    registry.open.insert(key.clone(), instance);
                    Ok(db)
                });
            }
            // A read-only instance and a writer: this writer waits for it to close; a reader
            // waits for the writer waiting before it.
            _ => {}
        }
        if access == Access::Write && !waiting {
            *registry.writers_waiting.entry(key.clone()).or_default() += 1;
            waiting = true;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break Err(DbError::BusyHere {
                path: path.to_path_buf(),
            });
        }
        registry = CHANGED
            .wait_timeout(registry, left)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    };
    if waiting {
        if let Some(count) = registry.writers_waiting.get_mut(&key) {
            *count -= 1;
            if *count == 0 {
                registry.writers_waiting.remove(&key);
            }
        }
        drop(registry);
        CHANGED.notify_all();
    }
    result
}

/// A new connection of `instance`, counted as one of its users.
fn connect(instance: &mut Instance, key: &Path, path: &Path) -> Result<Db, DbError> {
    let fail = |e| DbError::duckdb(path, e);
    let conn = instance.base.try_clone().map_err(fail)?;
    if let Some(setup) = &instance.setup {
        conn.execute_batch(setup).map_err(fail)?;
    }
    instance.users += 1;
    Ok(Db {
        conn: Some(conn),
        key: key.to_path_buf(),
    })
}

/// Whether this process has an instance of `path` open now.
#[cfg(test)]
pub fn is_open(path: &Path) -> bool {
    lock().open.contains_key(&key(path))
}
