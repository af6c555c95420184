//! Where each system keeps a user's schedule, and where ours puts its own files (the variables
//! file, launchd's log, the task's XML), under the folders [`crate::platform`] names.

use super::error::ScheduleError;
use super::job::Kind;
use super::{launchd, task};
use crate::platform;
use std::path::PathBuf;

/// The folders a schedule lives in.
#[derive(Debug, Clone)]
pub struct Places {
    /// The home folder.
    pub home: PathBuf,
    /// The user's configuration folder ([`platform::config_dir`]): `$XDG_CONFIG_HOME` or
    /// `~/.config` on Linux, `%APPDATA%` on Windows.
    pub config: PathBuf,
}

impl Places {
    /// The folders the system names for this user.
    pub fn from_env() -> Result<Places, ScheduleError> {
        Ok(Places {
            home: platform::home_dir().ok_or(ScheduleError::NoHome)?,
            config: platform::config_dir().ok_or(ScheduleError::NoHome)?,
        })
    }

    /// systemd's folder of user units.
    pub fn unit_dir(&self) -> PathBuf {
        self.config.join("systemd").join("user")
    }

    /// The 0600 variables file of systemd and cron.
    pub fn env_file(&self) -> PathBuf {
        self.config.join("upjobpilot").join("schedule.env")
    }

    /// The launchd agent's plist.
    pub fn plist(&self, kind: Kind) -> PathBuf {
        self.home
            .join("Library")
            .join("LaunchAgents")
            .join(format!("{}.plist", launchd::label(kind)))
    }

    /// The launchd agent's log file.
    pub fn log(&self, kind: Kind) -> PathBuf {
        self.home
            .join("Library")
            .join("Logs")
            .join("upjobpilot")
            .join(format!("{}.log", kind.command()))
    }

    /// The task's XML as registered (kept to read, `schtasks` has its own copy).
    pub fn task_xml(&self, kind: Kind) -> PathBuf {
        self.config
            .join("upjobpilot")
            .join(format!("{}.xml", task::name(kind)))
    }
}

/// launchd's domain of the user's login session: `gui/<uid>`.
pub fn gui_domain() -> String {
    format!("gui/{}", platform::user_id().unwrap_or(0))
}
