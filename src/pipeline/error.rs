//! Why a sync failed, said as what happened at the step that failed and what the user can do:
//! before the load's last commit the fetched pages wait in the spool; after it the postings are
//! stored, whatever fails next.

use super::{export, load, spool};
use crate::auth::AuthError;
use crate::db::DbError;
use crate::exit::Exit;
use crate::upwork::UpworkError;
use std::path::PathBuf;

/// Why a sync could not run, or could not finish.
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
    /// Loading failed before its last commit; the pages are still in the spool.
    #[error("{0}; the fetched pages stay in the spool for the next run")]
    Load(#[from] load::LoadError),
    /// A step after the load failed: the postings are stored.
    #[error("{step} failed: {source}; the postings are stored{}", step.next())]
    Stored {
        /// The step.
        step: Stored,
        /// Why.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// `upjobpilot renormalize` failed in a batch.
    #[error(
        "renormalizing the stored postings failed: {0}; the batches done before are kept, and `upjobpilot renormalize` goes on from there"
    )]
    Renormalize(#[source] duckdb::Error),
    /// `upjobpilot export` could not score the postings before writing the views.
    #[error("scoring the stored postings failed: {source}; nothing was exported")]
    Scores {
        /// DuckDB's error.
        source: duckdb::Error,
    },
    /// Exporting failed; the database is up to date. Boxed: with Windows' larger paths it
    /// would make every sync result over 128 bytes.
    #[error("{0}; the postings are stored, only the export files are from an earlier sync")]
    Export(Box<export::ExportError>),
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

/// The steps of a sync after the load's last commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Removing the loaded pages from the spool.
    ClearSpool,
    /// Reading the new watermarks and keeping their copy in the spool.
    Watermarks,
    /// The profile tables and `posting_scores`.
    Scores,
    /// Pruning postings past the retention.
    Retention,
}

impl From<export::ExportError> for SyncError {
    fn from(error: export::ExportError) -> SyncError {
        SyncError::Export(Box::new(error))
    }
}

impl Stored {
    /// Turns an error of this step into the sync's, which says the postings are stored.
    pub fn error<E: Into<Box<dyn std::error::Error + Send + Sync>>>(
        self,
    ) -> impl FnOnce(E) -> SyncError {
        move |source| SyncError::Stored {
            step: self,
            source: source.into(),
        }
    }

    /// What happens next, after "the postings are stored".
    fn next(self) -> &'static str {
        match self {
            Stored::ClearSpool => {
                "; the next sync finds the same pages in the spool and loads them again, harmlessly"
            }
            Stored::Watermarks => {
                "; the next sync asks Upwork again from the watermarks before this one"
            }
            Stored::Scores => {
                "; the dashboard's scores and the alerts wait for the next sync, and nothing was exported"
            }
            Stored::Retention => "; the next sync prunes them, and nothing was exported",
        }
    }
}

impl std::fmt::Display for Stored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stored::ClearSpool => "clearing the loaded pages from the spool",
            Stored::Watermarks => "recording the new watermarks",
            Stored::Scores => "scoring the postings",
            Stored::Retention => "pruning postings past the retention",
        })
    }
}

impl SyncError {
    /// Whether the postings were stored before this error (a step after the load's last
    /// commit failed): what was planned from them, the alerts, can still be delivered.
    pub fn postings_stored(&self) -> bool {
        matches!(self, SyncError::Stored { .. } | SyncError::Export(_))
    }

    /// The exit status for this error.
    pub fn exit(&self) -> Exit {
        match self {
            SyncError::Locked { .. } => Exit::Locked,
            SyncError::Auth(_) => Exit::Auth,
            SyncError::Upwork(UpworkError::Auth(_)) => Exit::Auth,
            SyncError::Db(DbError::Busy { .. } | DbError::BusyHere { .. }) => Exit::Spooled,
            _ => Exit::Failure,
        }
    }
}
