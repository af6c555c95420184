//! The spool: fetched pages on disk, waiting to be loaded.
//!
//! Every page is written whole (temp file + rename) before the next one is asked for, so a crash
//! loses at most the request in flight. Layout:
//!
//! ```text
//! spool/
//!   state.json                 watermarks as of the last load (used when the database is busy)
//!   <run id>/run.json          when the run started, which process
//!   <run id>/<search>/000001.json ...   response bodies, verbatim
//!   <run id>/<search>/outcome.json      how the search ended (absent if the run died)
//!   <run id>/finished.json     the run's end (absent if the run died)
//! ```
//!
//! Loading takes every run folder, oldest first, in one transaction, and deletes them only after
//! the commit, so a page is never lost and loading one twice changes nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How a search's fetch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchStatus {
    /// Paging reached the watermark, the horizon or the end.
    Complete,
    /// Stopped early (`max_pages`); the watermark stays.
    Truncated,
    /// An error ended it; the watermark stays.
    Failed,
}

/// `outcome.json`: how one search's fetch ended.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outcome {
    /// The search.
    pub search: String,
    /// How it ended.
    pub status: SearchStatus,
    /// The watermark to store if the load succeeds.
    pub watermark: Option<DateTime<Utc>>,
    /// Pages written.
    pub pages: u32,
    /// Upwork's total count on the first page.
    pub total_count: Option<i64>,
    /// What a person should know (truncation, the error).
    pub note: Option<String>,
}

/// `run.json` and `finished.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    /// The run id.
    pub run_id: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When fetching ended (only in `finished.json`).
    pub finished_at: Option<DateTime<Utc>>,
    /// The process.
    pub pid: u32,
    /// Requests sent (only in `finished.json`).
    pub requests: u64,
}

/// A spooled page.
#[derive(Debug, Clone)]
pub struct PageFile {
    /// The search it belongs to.
    pub search: String,
    /// The file.
    pub path: PathBuf,
}

/// A run folder found in the spool.
#[derive(Debug, Clone)]
pub struct PendingRun {
    /// Its folder.
    pub dir: PathBuf,
    /// `run.json`, if readable.
    pub record: Option<RunRecord>,
    /// `finished.json`, if the run got that far.
    pub finished: Option<RunRecord>,
    /// The pages, per search in file order.
    pub pages: Vec<PageFile>,
    /// The outcomes written.
    pub outcomes: Vec<Outcome>,
}

impl PendingRun {
    /// The run id (the folder name).
    pub fn run_id(&self) -> String {
        self.dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// The spool folder.
#[derive(Debug, Clone)]
pub struct Spool {
    root: PathBuf,
}

/// A spool error: always names the file.
#[derive(Debug, thiserror::Error)]
#[error("spool {path}: {source}")]
pub struct SpoolError {
    /// The file or folder.
    pub path: PathBuf,
    /// Why.
    pub source: std::io::Error,
}

fn err(path: &Path) -> impl FnOnce(std::io::Error) -> SpoolError + '_ {
    move |source| SpoolError {
        path: path.to_path_buf(),
        source,
    }
}

impl Spool {
    /// The spool at `root` (created on first write).
    pub fn new(root: PathBuf) -> Spool {
        Spool { root }
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Starts a run folder.
    pub fn begin(&self, record: &RunRecord) -> Result<RunSpool, SpoolError> {
        let dir = self.root.join(&record.run_id);
        std::fs::create_dir_all(&dir).map_err(err(&dir))?;
        write_atomic(&dir.join("run.json"), &to_json(record))?;
        Ok(RunSpool { dir })
    }

    /// Every run folder waiting to be loaded, oldest first.
    pub fn pending(&self) -> Result<Vec<PendingRun>, SpoolError> {
        let mut runs = Vec::new();
        let entries = match std::fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(runs),
            Err(e) => return Err(err(&self.root)(e)),
        };
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.is_dir() && !is_hidden(p))
            .collect();
        dirs.sort();
        for dir in dirs {
            runs.push(read_run(&dir)?);
        }
        Ok(runs)
    }

    /// Deletes loaded run folders.
    pub fn remove(&self, runs: &[PendingRun]) -> Result<(), SpoolError> {
        for run in runs {
            match std::fs::remove_dir_all(&run.dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(err(&run.dir)(e)),
            }
        }
        Ok(())
    }

    /// Watermarks as of the last load.
    pub fn state(&self) -> BTreeMap<String, DateTime<Utc>> {
        std::fs::read(self.root.join("state.json"))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Saves the watermarks as of a load.
    pub fn save_state(&self, state: &BTreeMap<String, DateTime<Utc>>) -> Result<(), SpoolError> {
        std::fs::create_dir_all(&self.root).map_err(err(&self.root))?;
        write_atomic(&self.root.join("state.json"), &to_json(state))
    }
}

/// The folder of the run in progress.
#[derive(Debug, Clone)]
pub struct RunSpool {
    dir: PathBuf,
}

impl RunSpool {
    /// Writes page `number` (1-based) of `search`.
    pub fn write_page(
        &self,
        search: &str,
        number: u32,
        body: &[u8],
    ) -> Result<PathBuf, SpoolError> {
        let dir = self.dir.join(search);
        std::fs::create_dir_all(&dir).map_err(err(&dir))?;
        let path = dir.join(format!("{number:06}.json"));
        write_atomic(&path, body)?;
        Ok(path)
    }

    /// Records how a search ended.
    pub fn write_outcome(&self, outcome: &Outcome) -> Result<(), SpoolError> {
        let dir = self.dir.join(&outcome.search);
        std::fs::create_dir_all(&dir).map_err(err(&dir))?;
        write_atomic(&dir.join("outcome.json"), &to_json(outcome))
    }

    /// Records the end of fetching.
    pub fn finish(&self, record: &RunRecord) -> Result<(), SpoolError> {
        write_atomic(&self.dir.join("finished.json"), &to_json(record))
    }
}

fn read_run(dir: &Path) -> Result<PendingRun, SpoolError> {
    let record = read_json(&dir.join("run.json"));
    let finished = read_json(&dir.join("finished.json"));
    let mut pages = Vec::new();
    let mut outcomes = Vec::new();
    let mut searches: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(err(dir))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    searches.sort();
    for search_dir in searches {
        let search = search_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&search_dir)
            .map_err(err(&search_dir))?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.len() == 11 && n.ends_with(".json") && n.as_bytes()[0].is_ascii_digit()
                })
            })
            .collect();
        files.sort();
        pages.extend(files.into_iter().map(|path| PageFile {
            search: search.clone(),
            path,
        }));
        if let Some(outcome) = read_json::<Outcome>(&search_dir.join("outcome.json")) {
            outcomes.push(outcome);
        }
    }
    Ok(PendingRun {
        dir: dir.to_path_buf(),
        record,
        finished,
        pages,
        outcomes,
    })
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<T> {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing plain structs of strings, numbers and times cannot fail.
    serde_json::to_vec_pretty(value).unwrap_or_default()
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

/// Writes `bytes` to `path` through a temp file in the same folder and a rename, so readers see
/// the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SpoolError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(err(dir))?;
    tmp.write_all(bytes).map_err(err(path))?;
    tmp.persist(path).map_err(|e| SpoolError {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}
