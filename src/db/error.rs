//! Why the database could not be used, with a next step for the person reading it.

use std::path::{Path, PathBuf};

/// Why the database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Another process (a sync, the duckdb CLI, a notebook) has the file open.
    #[error("database {path} is in use by another process")]
    Busy {
        /// The file.
        path: PathBuf,
        /// DuckDB's message, which names the process where it can.
        detail: String,
    },
    /// Another part of this process kept the file open for reading longer than a writer here
    /// waits (see [`super::instance`]).
    #[error("database {path} is still being read by another part of this process")]
    BusyHere {
        /// The file.
        path: PathBuf,
    },
    /// The file exists but is not a DuckDB database.
    #[error("{path} is not a DuckDB database; refusing to touch it")]
    NotDuckDb {
        /// The file.
        path: PathBuf,
    },
    /// A DuckDB database, but with tables that are not upjobpilot's.
    #[error("{path} is a DuckDB database that upjobpilot did not create; refusing to change it")]
    Foreign {
        /// The file.
        path: PathBuf,
    },
    /// Written by a newer upjobpilot.
    #[error(
        "database {path} has schema version {found}, newer than this upjobpilot knows ({known})"
    )]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: i32,
        /// Ours.
        known: i32,
    },
    /// Anything else DuckDB reported.
    #[error("database {path}: {source}")]
    DuckDb {
        /// The file.
        path: PathBuf,
        /// DuckDB's error.
        source: duckdb::Error,
    },
    /// The file or its folder could not be read or created.
    #[error("database {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl DbError {
    /// A next step for the person reading the error.
    pub fn hint(&self) -> Option<String> {
        match self {
            DbError::Busy { detail, .. } => Some(format!(
                "close the other program (duckdb CLI, notebook, DBeaver) or open the file read-only there; {detail}"
            )),
            DbError::NotDuckDb { .. } | DbError::Foreign { .. } => {
                Some("point `storage.database` (or UPJOBPILOT_DATABASE) at a new file".into())
            }
            DbError::TooNew { .. } => Some("upgrade upjobpilot".into()),
            _ => None,
        }
    }

    /// An I/O error on the database file: [`DbError::Busy`] when another program holds it
    /// (on Windows, DuckDB's lock is a file opened without sharing).
    pub(crate) fn io(path: &Path, source: std::io::Error) -> DbError {
        if crate::platform::is_sharing_violation(&source) {
            DbError::Busy {
                path: path.to_path_buf(),
                detail: source.to_string(),
            }
        } else {
            DbError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }

    pub(crate) fn duckdb(path: &Path, source: duckdb::Error) -> DbError {
        let text = source.to_string();
        // On Windows DuckDB locks its file by opening it without sharing, so another program's
        // hold is a failed open, in the system's language: asked of the system instead.
        let open_elsewhere =
            || text.contains("Cannot open file") && crate::platform::is_open_elsewhere(path);
        if text.contains("Could not set lock")
            || text.contains("Conflicting lock")
            || open_elsewhere()
        {
            DbError::Busy {
                path: path.to_path_buf(),
                detail: text,
            }
        } else {
            DbError::DuckDb {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}
