//! The files delivery keeps beside the database: the delivery lock, the journal of outcomes not
//! yet recorded, and the last delivery's summary for `alerts status`; the health notices
//! ([`super::notices`]) take a lock of the same kind, `upjobpilot.duckdb.notices.lock`.
//!
//! A sync delivers after it has released the pipeline lock, so the next sync (cron, `watch`) is
//! not held up by a slow receiver; two processes must still never send the same message. The
//! delivery lock (`upjobpilot.duckdb.alerts.lock`, the operating system's advisory lock, which
//! dies with its process) lets one process deliver at a time, and a process that finds it taken
//! does not wait: the holder read the messages due before it, and the new ones wait for the next
//! sync.
//!
//! Each outcome is appended to the journal (`upjobpilot.duckdb.alerts.journal`, one JSON line,
//! flushed to disk) as soon as the delivery ends, and the journal is recorded in the database
//! once the deliveries are done, or by the next delivery when the database is then held by
//! another program (the next sync's load, a notebook). So a crash between a delivery and its
//! bookkeeping repeats at most the one message that was in flight. Recording an outcome twice
//! changes nothing (the update is guarded by the attempt count), so the journal is deleted only
//! after the database has it.
//!
//! The summary (`upjobpilot.duckdb.alerts.last.json`) says what the last delivery sent, failed
//! and left for later, and why. All three files are the user's alone (mode 0600).

use crate::platform;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One delivery attempt's outcome, as the journal keeps it until the database has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The rule.
    pub rule: String,
    /// The delivery key.
    pub key: String,
    /// Attempts made before this one (the guard: an outcome applies to that attempt only).
    pub attempts: i64,
    /// When the attempt started.
    pub at: DateTime<Utc>,
    /// Why it failed; `None`: delivered.
    pub error: Option<String>,
}

/// Messages of one rule left for a later sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deferred {
    /// The rule.
    pub rule: String,
    /// Messages not attempted.
    pub messages: usize,
    /// Why.
    pub reason: String,
}

/// What the last delivery did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastDelivery {
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// Messages delivered.
    pub sent: usize,
    /// Messages that failed.
    pub failed: usize,
    /// Per rule, the messages left for later.
    pub deferred: Vec<Deferred>,
}

/// `database` with `suffix` appended to its file name.
pub(super) fn beside(database: &Path, suffix: &str) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Opens (creating, owner-only) a file of ours, never through a symlink planted at its path.
fn open(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    platform::owner_only(platform::no_follow(options)).open(path)
}

/// The delivery lock, held while a process delivers.
#[derive(Debug)]
pub struct DeliveryLock {
    _file: File,
}

impl DeliveryLock {
    /// The lock's file beside `database`.
    pub fn path(database: &Path) -> PathBuf {
        beside(database, ".alerts.lock")
    }

    /// Takes the lock beside `database`, or `None` at once when another process holds it.
    pub fn try_take(database: &Path) -> io::Result<Option<DeliveryLock>> {
        Self::try_take_at(&Self::path(database))
    }

    /// The lock of the health notices beside `database` (`upjobpilot.duckdb.notices.lock`),
    /// waiting up to `wait` for another process that holds it; `None` if it still does.
    pub fn take_notices(database: &Path, wait: Duration) -> io::Result<Option<DeliveryLock>> {
        let path = beside(database, ".notices.lock");
        let deadline = Instant::now() + wait;
        loop {
            match Self::try_take_at(&path)? {
                Some(lock) => return Ok(Some(lock)),
                None if Instant::now() >= deadline => return Ok(None),
                None => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    fn try_take_at(path: &Path) -> io::Result<Option<DeliveryLock>> {
        let mut file = open(
            path,
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false),
        )?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
        // The holder, for a person looking at the file.
        file.set_len(0)?;
        file.rewind()?;
        write!(
            file,
            "pid {} since {}",
            std::process::id(),
            Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
        )?;
        Ok(Some(DeliveryLock { _file: file }))
    }
}

/// The journal of outcomes not yet recorded in the database.
#[derive(Debug, Clone)]
pub struct Journal {
    path: PathBuf,
}

impl Journal {
    /// The journal beside `database`.
    pub fn beside(database: &Path) -> Journal {
        Journal {
            path: beside(database, ".alerts.journal"),
        }
    }

    /// Its path, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `outcome` and flushes it to disk.
    pub fn append(&self, outcome: &Outcome) -> io::Result<()> {
        let mut line = serde_json::to_vec(outcome).map_err(io::Error::other)?;
        line.push(b'\n');
        let mut file = open(&self.path, OpenOptions::new().append(true).create(true))?;
        file.write_all(&line)?;
        file.sync_data()
    }

    /// Every outcome in the journal (none when there is no journal). A line that does not parse
    /// is the last one, cut by a crash while it was written: its delivery is repeated.
    pub fn read(&self) -> io::Result<Vec<Outcome>> {
        let file = match open(&self.path, OpenOptions::new().read(true)) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut outcomes = Vec::new();
        for line in io::BufReader::new(file).lines() {
            if let Ok(outcome) = serde_json::from_str(&line?) {
                outcomes.push(outcome);
            }
        }
        Ok(outcomes)
    }

    /// Deletes the journal, once the database has recorded it.
    pub fn remove(&self) -> io::Result<()> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => crate::fs::sync_dir(crate::fs::parent_dir(&self.path)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Where the summary of the last delivery beside `database` is kept.
fn last_path(database: &Path) -> PathBuf {
    beside(database, ".alerts.last.json")
}

/// Replaces the summary of the last delivery.
pub fn write_last(database: &Path, last: &LastDelivery) -> io::Result<()> {
    let bytes = serde_json::to_vec_pretty(last).map_err(io::Error::other)?;
    crate::fs::write_atomic_mode(&last_path(database), &bytes, Some(0o600))
}

/// The summary of the last delivery, if one was written and can be read.
pub fn read_last(database: &Path) -> Option<LastDelivery> {
    let bytes = std::fs::read(last_path(database)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_journal_keeps_whole_lines_and_skips_a_torn_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::beside(&dir.path().join("a.duckdb"));
        assert_eq!(journal.read().expect("no journal"), Vec::new());
        let outcome = Outcome {
            rule: "r".into(),
            key: "upjobpilot:r:1".into(),
            attempts: 2,
            at: Utc::now(),
            error: Some("webhook to example.com answered HTTP 500: no".into()),
        };
        journal.append(&outcome).expect("append");
        // A crash in the middle of the next line.
        std::fs::OpenOptions::new()
            .append(true)
            .open(journal.path())
            .and_then(|mut f| f.write_all(b"{\"rule\":\"r\",\"ke"))
            .expect("torn line");
        assert_eq!(journal.read().expect("read"), vec![outcome]);
        journal.remove().expect("remove");
        journal.remove().expect("removing twice is fine");
        assert!(!journal.path().exists());
    }

    #[test]
    fn a_second_delivery_lock_is_refused_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("a.duckdb");
        let held = DeliveryLock::try_take(&database).expect("lock");
        assert!(held.is_some());
        assert!(DeliveryLock::try_take(&database).expect("try").is_none());
        drop(held);
        assert!(DeliveryLock::try_take(&database).expect("again").is_some());
    }
}
