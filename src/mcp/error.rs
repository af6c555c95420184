//! A tool's failure, as the assistant reads it: one line of text in a result marked `isError`
//! (never a protocol error, which clients show as "internal error").

use crate::db::DbError;

/// What the assistant reads when a call fails.
pub const UPDATING: &str =
    "the database is updating (a sync is loading new postings): try again in a few seconds";

/// Why a call failed, in words the assistant can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ToolError(pub String);

impl ToolError {
    /// A bad argument, named.
    pub fn argument(name: &str, problem: impl std::fmt::Display) -> ToolError {
        ToolError(format!("argument `{name}`: {problem}"))
    }

    /// The database could not be opened.
    pub fn db(error: DbError) -> ToolError {
        match error {
            DbError::Busy { .. } | DbError::BusyHere { .. } => ToolError(UPDATING.into()),
            DbError::Io { path, source } if source.kind() == std::io::ErrorKind::NotFound => {
                ToolError(format!(
                    "no database at {} yet: the user has to run `upjobpilot sync` first",
                    path.display()
                ))
            }
            other => ToolError(other.to_string()),
        }
    }

    /// A query failed.
    pub fn query(error: duckdb::Error) -> ToolError {
        if crate::db::is_write_conflict(&error) {
            return ToolError(UPDATING.into());
        }
        tracing::warn!(stage = "mcp", error = %error, "query failed");
        ToolError(format!("database query failed: {error}"))
    }
}
