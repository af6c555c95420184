//! A command that failed: its exit status, the error, and the next step if there is one.
//!
//! Every command returns `Result<Exit, Failure>`. The stages have their own typed errors; the
//! `From` impls here are the one place that decides which exit status and which hint each of them
//! earns, so `?` in a command is all it takes. `main` prints the error chain and the hint, then
//! exits with the status.

use crate::auth::AuthError;
use crate::config::ConfigError;
use crate::db::DbError;
use crate::exit::Exit;
use crate::pipeline::SyncError;
use crate::pipeline::export::ExportError;
use crate::schedule::ScheduleError;
use crate::upwork::UpworkError;

/// A command that failed.
#[derive(Debug)]
pub struct Failure {
    /// The exit status.
    pub exit: Exit,
    /// What failed.
    pub error: anyhow::Error,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Failure {
    /// A failure with `exit` status and no hint.
    pub fn new(exit: Exit, error: impl Into<anyhow::Error>) -> Failure {
        Failure {
            exit,
            error: error.into(),
            hint: None,
        }
    }

    /// A failure from a message, with `exit` status.
    pub fn msg(exit: Exit, message: impl std::fmt::Display) -> Failure {
        Failure::new(exit, anyhow::anyhow!("{message}"))
    }

    /// An exit status 1 failure (I/O, an unexpected answer).
    pub fn other(error: impl Into<anyhow::Error>) -> Failure {
        Failure::new(Exit::Failure, error)
    }

    /// Adds the next step.
    pub fn hint(mut self, hint: impl Into<String>) -> Failure {
        self.hint = Some(hint.into());
        self
    }
}

impl From<ConfigError> for Failure {
    fn from(error: ConfigError) -> Failure {
        let missing = matches!(&error, ConfigError::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound);
        let failure = Failure::new(Exit::Config, error);
        if missing {
            failure.hint("run `upjobpilot init` to write one, or pass --config")
        } else {
            failure
        }
    }
}

impl From<AuthError> for Failure {
    fn from(error: AuthError) -> Failure {
        let hint = error.hint();
        Failure {
            exit: Exit::Auth,
            error: error.into(),
            hint,
        }
    }
}

impl From<DbError> for Failure {
    fn from(error: DbError) -> Failure {
        SyncError::from(error).into()
    }
}

impl From<ExportError> for Failure {
    fn from(error: ExportError) -> Failure {
        SyncError::from(error).into()
    }
}

impl From<UpworkError> for Failure {
    fn from(error: UpworkError) -> Failure {
        match error {
            UpworkError::Auth(auth) => auth.into(),
            other => Failure::other(other).hint("check the network and `upwork.graphql_url`"),
        }
    }
}

impl From<SyncError> for Failure {
    fn from(error: SyncError) -> Failure {
        let exit = error.exit();
        let hint = match &error {
            SyncError::Db(db) => db.hint(),
            SyncError::Auth(auth) | SyncError::Upwork(UpworkError::Auth(auth)) => auth.hint(),
            SyncError::Locked { .. } => {
                Some("wait for it to finish, or pass --wait-secs to wait".into())
            }
            _ => None,
        };
        Failure {
            exit,
            error: error.into(),
            hint,
        }
    }
}

impl From<ScheduleError> for Failure {
    fn from(error: ScheduleError) -> Failure {
        let hint = match &error {
            ScheduleError::Unrepresentable { .. } => {
                Some("move the config (or the binary) to a folder whose path has no such character")
            }
            ScheduleError::NoHome => Some("set HOME (USERPROFILE on Windows) to your home folder"),
            ScheduleError::BrokenCrontab { .. } => Some(
                "run `crontab -e` and delete the upjobpilot lines, then `upjobpilot schedule install` again",
            ),
            ScheduleError::NoScheduler { .. } => Some(
                "add the line above with `crontab -e` (after installing cron), or log in to a session with systemd",
            ),
            _ => None,
        };
        let failure = Failure::other(error);
        match hint {
            Some(hint) => failure.hint(hint),
            None => failure,
        }
    }
}
