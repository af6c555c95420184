//! The pipeline lock: one sync (or export) at a time per database.
//!
//! A file beside the database (`upjobpilot.duckdb.lock`) locked with the operating system's
//! advisory lock from the fetch to the export, so a second run started by cron while the first
//! still pages waits a bounded time, then gives up with the "locked" status naming the holder
//! (whose pid and start time are written into the file). Alert deliveries come after it is
//! released, under a lock of their own (`crate::alerts::files`), so a slow receiver does not lock
//! out the next sync. The lock dies with the process: a killed sync never leaves a stale lock
//! behind.

use super::error::SyncError;
use chrono::Utc;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The pipeline lock: held from a sync's fetch to its export.
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
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    // A symlink planted at the lock's path must not make us truncate and write whatever it
    // points at.
    let mut file = crate::platform::no_follow(&mut options)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_waits_then_names_the_holder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("a.duckdb");
        let _held = lock(&database, Duration::ZERO).expect("first");
        match lock(&database, Duration::from_millis(150)) {
            Err(SyncError::Locked { holder, .. }) => {
                assert!(holder.starts_with("pid "), "{holder}")
            }
            Err(other) => panic!("expected Locked, got {other}"),
            Ok(_) => panic!("expected Locked, got the lock"),
        }
    }

    /// A symlink planted where the lock file goes is not followed: the file it points at is
    /// neither truncated nor written.
    #[cfg(unix)]
    #[test]
    fn a_symlinked_lock_file_is_not_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let precious = dir.path().join("precious.txt");
        std::fs::write(&precious, "keep me").expect("write");
        let database = dir.path().join("a.duckdb");
        std::os::unix::fs::symlink(&precious, lock_path(&database)).expect("symlink");
        assert!(lock(&database, Duration::ZERO).is_err());
        assert_eq!(std::fs::read_to_string(&precious).expect("read"), "keep me");
    }
}
