//! The exit statuses of `upjobpilot`, one enum, documented in the README.
//!
//! Schedulers act on these: a cron wrapper can retry on `Locked` and `Spooled`, alert on `Auth`,
//! and treat `Partial` as "progress was made, the next run completes it".

use std::process::ExitCode;

/// Every exit status the binary uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything asked for was done.
    Ok = 0,
    /// An error that is none of the below (I/O, database, unexpected API answer).
    Failure = 1,
    /// The command line was wrong (clap's own status).
    Usage = 2,
    /// A sync stored what it could, but some search did not finish (retry budget, server cap,
    /// `max_pages`); the next run completes it.
    Partial = 3,
    /// `pipeline.toml` (or an environment override) is invalid; nothing was written.
    Config = 4,
    /// Not signed in, or the sign-in is no longer valid: run `upjobpilot auth login`.
    Auth = 5,
    /// Another `upjobpilot sync` holds the pipeline lock.
    Locked = 6,
    /// Pages were fetched and kept in the spool, but the database was held by another process;
    /// the next sync loads them.
    Spooled = 7,
}

impl Exit {
    /// The numeric status.
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}
