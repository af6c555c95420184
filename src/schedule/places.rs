//! Where each system keeps a user's schedule, and where ours puts its own files (the variables
//! file, launchd's log, the task's XML), from the environment (`HOME`, `XDG_CONFIG_HOME`,
//! `USERPROFILE`, `APPDATA`). Tests build one pointing into a temp folder.

use super::error::ScheduleError;
use super::job::Kind;
use super::{launchd, task};
use std::path::PathBuf;

/// The folders a schedule lives in.
#[derive(Debug, Clone)]
pub struct Places {
    /// The home folder.
    pub home: PathBuf,
    /// `$XDG_CONFIG_HOME` (if absolute), else `~/.config`.
    pub config_home: PathBuf,
    /// `%APPDATA%` on Windows (else `~/AppData/Roaming`).
    pub app_data: PathBuf,
}

impl Places {
    /// From the process environment.
    pub fn from_env() -> Result<Places, ScheduleError> {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let home = var("HOME")
            .or_else(|| var("USERPROFILE"))
            .ok_or(ScheduleError::NoHome)?;
        let config_home = var("XDG_CONFIG_HOME")
            .filter(|p| p.is_absolute())
            .unwrap_or_else(|| home.join(".config"));
        let app_data = var("APPDATA").unwrap_or_else(|| home.join("AppData").join("Roaming"));
        Ok(Places {
            home,
            config_home,
            app_data,
        })
    }

    /// systemd's folder of user units.
    pub fn unit_dir(&self) -> PathBuf {
        self.config_home.join("systemd").join("user")
    }

    /// The 0600 variables file of systemd and cron.
    pub fn env_file(&self) -> PathBuf {
        self.config_home.join("upjobpilot").join("schedule.env")
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
        self.app_data
            .join("upjobpilot")
            .join(format!("{}.xml", task::name(kind)))
    }
}

/// launchd's domain of the user's login session: `gui/<uid>`.
pub fn gui_domain() -> String {
    #[cfg(unix)]
    // SAFETY: getuid(2) cannot fail and touches no memory.
    let uid = unsafe { libc::getuid() };
    #[cfg(not(unix))]
    let uid = 0;
    format!("gui/{uid}")
}
