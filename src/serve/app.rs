//! What every request handler of the dashboard shares, and the one thing it keeps between
//! requests: the filter form's choices, until the database file changes.

use crate::config::Config;
use crate::postings::data;
use duckdb::Connection;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

/// What every request handler shares.
pub struct App {
    pub config: Config,
    pub database: PathBuf,
    /// The per-process token every change must carry.
    pub token: String,
    /// The port, for the `Origin` check.
    pub port: u16,
    /// Every label a posting can have.
    pub labels: Vec<String>,
    /// The form's searches and countries, with the database file as it was when they were read.
    pub choices: Mutex<Option<(FileStamp, Choices)>>,
}

/// The filter form's searches and client countries.
pub type Choices = (Vec<String>, Vec<String>);

/// The database file and its write-ahead log as last seen (modified time and length of each):
/// any write to the database changes one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStamp([Option<(SystemTime, u64)>; 2]);

impl FileStamp {
    fn of(database: &Path) -> FileStamp {
        let stamp = |path: &Path| {
            let meta = std::fs::metadata(path).ok()?;
            Some((meta.modified().ok()?, meta.len()))
        };
        let mut wal = database.as_os_str().to_owned();
        wal.push(".wal");
        FileStamp([stamp(database), stamp(Path::new(&wal))])
    }
}

impl App {
    /// The filter form's choices ([`data::choices`]): read again only when the database file
    /// changed since the last read. They are a scan of every posting's country (a few ms of
    /// each list page at 100k postings) that only a sync can change.
    pub fn choices(&self, conn: &Connection) -> duckdb::Result<Choices> {
        let stamp = FileStamp::of(&self.database);
        let mut cached = self.choices.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((seen, choices)) = cached.as_ref()
            && *seen == stamp
        {
            return Ok(choices.clone());
        }
        let choices = data::choices(conn)?;
        *cached = Some((stamp, choices.clone()));
        Ok(choices)
    }
}
