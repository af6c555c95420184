//! The spool: fetched pages on disk, waiting to be loaded.
//!
//! Every page is written whole and durably ([`crate::fs::write_atomic`]: temp file, fsync,
//! rename, fsync of the folder) before the next one is asked for, so a crash or a power cut loses
//! at most the request in flight. Layout:
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
    /// Paging reached its end, but Upwork withheld some postings with GraphQL errors (a partial
    /// answer); the rest is stored and the watermark moves, since asking again meets the same
    /// broken postings.
    Lost,
}

impl SearchStatus {
    /// The word `sync_runs`, `search_state`, the sync summary and the progress bars use.
    pub fn as_str(self) -> &'static str {
        match self {
            SearchStatus::Complete => "ok",
            SearchStatus::Truncated => "truncated",
            SearchStatus::Failed => "failed",
            SearchStatus::Lost => "lost",
        }
    }

    /// Whether paging got where the watermark may move to what it saw.
    pub fn reached_end(self) -> bool {
        matches!(self, SearchStatus::Complete | SearchStatus::Lost)
    }
}

impl std::fmt::Display for SearchStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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
    /// The latest clock of the fetch: ours or the server's `Date`, whichever was later. A
    /// posting dated after it (plus a little skew) is broken, and the load quarantines it.
    #[serde(default)]
    pub server_time: Option<DateTime<Utc>>,
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
    /// The run's status as its own process judged it: ok, partial or failed (only in
    /// `finished.json`). A later load records it as it was, not as "ok".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The run's errors, one line per search (only in `finished.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<String>,
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

/// The file whose presence says Upwork refused a batched document: delete it to try again.
const BATCHING_REFUSED: &str = "batching-refused";

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
        // Only what is ours: a folder named like a run id that holds `run.json`. Anything else
        // in the folder (a misconfigured `spool_dir` pointing at a folder of the user's) is
        // never read, and so never deleted after a load.
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.is_dir()
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(is_run_id)
                    && p.join("run.json").is_file()
            })
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

    /// Whether Upwork refused a batch of first pages before (then every search asks alone).
    pub fn batching_refused(&self) -> bool {
        self.root.join(BATCHING_REFUSED).exists()
    }

    /// Remembers that Upwork refused a batch of first pages, and why.
    pub fn refuse_batching(&self, why: &str) -> Result<(), SpoolError> {
        std::fs::create_dir_all(&self.root).map_err(err(&self.root))?;
        write_atomic(&self.root.join(BATCHING_REFUSED), why.as_bytes())
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
        if let Some(mut outcome) = read_json::<Outcome>(&search_dir.join("outcome.json")) {
            check_pages(&mut outcome, &files);
            outcomes.push(outcome);
        }
        pages.extend(files.into_iter().map(|path| PageFile {
            search: search.clone(),
            path,
        }));
    }
    Ok(PendingRun {
        dir: dir.to_path_buf(),
        record,
        finished,
        pages,
        outcomes,
    })
}

/// An outcome whose pages are not all there and whole (a power cut before they reached the
/// disk) must not move the watermark: the pages that are there are loaded, the search is
/// recorded as failed with a note, and the next sync fetches the gap again. (Refusing the whole
/// folder instead would refuse it again on every later sync.)
fn check_pages(outcome: &mut Outcome, files: &[PathBuf]) {
    let whole = files
        .iter()
        .filter(|f| std::fs::metadata(f).is_ok_and(|m| m.len() > 0))
        .count();
    let expected = outcome.pages as usize;
    if whole == expected && files.len() == expected {
        return;
    }
    tracing::warn!(
        stage = "load",
        search = %outcome.search,
        expected,
        found = whole,
        "spooled pages do not match their outcome; the watermark stays"
    );
    outcome.status = SearchStatus::Failed;
    outcome.watermark = None;
    outcome.note = Some(format!(
        "{whole} of {expected} spooled pages were whole after a crash; the next sync fetches the rest again"
    ));
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

/// A new run id: sortable by start time, unique per process.
pub fn new_run_id(now: DateTime<Utc>) -> String {
    format!(
        "{}-{}",
        now.format("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id()
    )
}

/// Whether `name` has the form of [`new_run_id`]: `20251016T060647.123Z-1234`.
pub fn is_run_id(name: &str) -> bool {
    let Some((time, pid)) = name.split_once('-') else {
        return false;
    };
    let b = time.as_bytes();
    b.len() == 20
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[15] == b'.'
        && b[16..19].iter().all(u8::is_ascii_digit)
        && b[19] == b'Z'
        && !pid.is_empty()
        && pid.bytes().all(|c| c.is_ascii_digit())
}

/// Writes a spool file durably (see [`crate::fs`]): a crash leaves the old file or the new one.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SpoolError> {
    crate::fs::write_atomic(path, bytes).map_err(err(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(run_id: &str) -> RunRecord {
        RunRecord {
            run_id: run_id.into(),
            started_at: Utc::now(),
            finished_at: None,
            pid: 1,
            requests: 0,
            status: None,
            errors: None,
        }
    }

    #[test]
    fn run_ids_have_one_form() {
        assert!(is_run_id(&new_run_id(Utc::now())));
        assert!(is_run_id("20251016T060647.123Z-1234"));
        for other in [
            "",
            "photos",
            "20251016T060647Z-1",
            "20251016T060647.123Z-",
            "20251016T060647.123Z-12a",
            ".tmp-x",
        ] {
            assert!(!is_run_id(other), "{other}");
        }
    }

    /// A `spool_dir` that points at a folder of the user's: only run folders are taken, so a
    /// load never deletes anything else.
    #[test]
    fn only_run_folders_are_pending() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spool = Spool::new(dir.path().to_path_buf());
        std::fs::create_dir_all(dir.path().join("photos/2025")).expect("user folder");
        std::fs::create_dir_all(dir.path().join("20251016T060647.123Z-9")).expect("no run.json");
        let run = spool.begin(&record("20251016T060000.000Z-1")).expect("run");
        run.write_page("rust", 1, b"{}").expect("page");
        let pending = spool.pending().expect("pending");
        assert_eq!(pending.len(), 1);
        spool.remove(&pending).expect("remove");
        assert!(
            dir.path().join("photos/2025").is_dir(),
            "the user's folder stays"
        );
    }

    /// A power cut left an outcome whose pages are not all whole: the outcome no longer moves
    /// the watermark, and the whole pages are still loaded.
    #[test]
    fn an_outcome_with_missing_or_empty_pages_moves_no_watermark() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spool = Spool::new(dir.path().to_path_buf());
        let run = spool.begin(&record("20251016T060000.000Z-1")).expect("run");
        run.write_page("rust", 1, b"{\"data\":null}")
            .expect("page 1");
        run.write_page("rust", 2, b"").expect("page 2, empty");
        run.write_outcome(&Outcome {
            search: "rust".into(),
            status: SearchStatus::Complete,
            watermark: Some(Utc::now()),
            pages: 3,
            total_count: None,
            note: None,
            server_time: None,
        })
        .expect("outcome");
        let pending = spool.pending().expect("pending");
        let outcome = &pending[0].outcomes[0];
        assert_eq!(outcome.status, SearchStatus::Failed);
        assert_eq!(outcome.watermark, None);
        assert!(
            outcome
                .note
                .as_deref()
                .is_some_and(|n| n.contains("1 of 3")),
            "{outcome:?}"
        );
        assert_eq!(
            pending[0].pages.len(),
            2,
            "the pages there are still loaded"
        );
    }
}
