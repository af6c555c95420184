//! What can go wrong while writing, installing or reading a schedule, each with the path or the
//! command a person needs to act on it.

use std::path::PathBuf;

/// A schedule that could not be generated, installed, read or removed.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// A path that a format cannot carry (a newline in a crontab line, `%` in a task).
    #[error("{path} {reason}, which {format} cannot hold")]
    Unrepresentable {
        /// The path.
        path: PathBuf,
        /// The file format.
        format: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Neither `$HOME` nor `%USERPROFILE%` is set, so there is no place for the files.
    #[error("neither HOME nor USERPROFILE is set: there is no home folder to put the schedule in")]
    NoHome,
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file could not be removed.
    #[error("cannot remove {path}: {source}")]
    Remove {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A program could not be started.
    #[error("cannot run `{command}`: {source}")]
    Spawn {
        /// The command line.
        command: String,
        /// Why.
        source: std::io::Error,
    },
    /// A program ran and failed.
    #[error("`{command}` failed ({status}): {output}")]
    Failed {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
        /// What it printed on stderr (or stdout), trimmed.
        output: String,
    },
    /// Our crontab block lost its end marker (edited by hand).
    #[error("the crontab has the line `{begin}` but not `{end}` after it")]
    BrokenCrontab {
        /// The begin marker.
        begin: &'static str,
        /// The end marker.
        end: &'static str,
    },
    /// No systemd user session and no `crontab` program: nothing to install into.
    #[error(
        "no systemd user session ({systemd}) and no `crontab` command: there is no scheduler to install into"
    )]
    NoScheduler {
        /// Why `systemctl --user` is not usable.
        systemd: String,
    },
}
