//! `upjobpilot schedule`: the files and commands that make the system run upjobpilot on an
//! interval (a systemd user timer, a crontab block, a launchd agent, a Task Scheduler task), and
//! reading back what is installed.
//!
//! Everything here but the commands [`native`]'s scheduler runs is the same on every system, so all
//! four formats are generated and tested on any of them (the tests write all of them on Linux).
//! A [`Job`] says what runs; `systemd`, `cron`, `launchd` and `task` turn it into their format
//! (escaping with `quote`); `install` makes a [`Plan`] of files to write and commands to run,
//! which `--dry-run` prints and `install` carries out; `inspect` reads back what is installed.
//! `commands::schedule` (above) resolves the paths and variables; nothing here reads the config.

mod cron;
mod env_file;
mod error;
mod inspect;
mod install;
mod job;
mod launchd;
mod places;
mod plan;
mod quote;
mod systemd;
mod task;

use crate::platform;
pub use error::ScheduleError;
pub use inspect::{Installed, installed, scheduler_says, systemd_session};
pub use install::{install, remove};
pub use job::{Every, Job, Kind, Spot, System, Variable, is_variable_name, plain_path};
pub use places::Places;
pub use plan::{Plan, Step, read_crontab};

/// The scheduler of the system this binary runs on: launchd on macOS, Task Scheduler on
/// Windows, systemd on Linux and elsewhere (`install` falls back to cron where `systemctl
/// --user` has no session).
pub fn native() -> System {
    match platform::system() {
        platform::System::MacOs => System::Launchd,
        platform::System::Windows => System::TaskScheduler,
        platform::System::Linux => System::Systemd,
    }
}

/// The files `install` writes for `job` on `system`, by the name they have in `contrib/`, for
/// `schedule show` and the examples: units, the crontab block, the plist, the task's XML (in
/// UTF-16, as `schtasks` reads it). The variables file is not among them.
pub fn files(system: System, job: &Job) -> Result<Vec<(String, Vec<u8>)>, ScheduleError> {
    Ok(match system {
        System::Systemd => systemd::units(job)?
            .into_iter()
            .map(|(name, text)| (name.to_string(), text.into_bytes()))
            .collect(),
        System::Cron => vec![("crontab".into(), cron::block(job)?.into_bytes())],
        System::Launchd => vec![(
            format!("{}.plist", launchd::label(job.kind)),
            launchd::plist(job, false)?.into_bytes(),
        )],
        System::TaskScheduler => vec![(
            format!("{}.xml", task::name(job.kind)),
            task::utf16(&task::xml(job)?),
        )],
    })
}

/// The file names [`files`] gives for every system and kind: what `schedule show` accepts,
/// with the system and kind each belongs to.
pub fn file_names() -> Vec<(&'static str, System, Option<Kind>)> {
    vec![
        (systemd::SYNC_SERVICE, System::Systemd, Some(Kind::Sync)),
        (systemd::SYNC_TIMER, System::Systemd, Some(Kind::Sync)),
        (systemd::WATCH_SERVICE, System::Systemd, Some(Kind::Watch)),
        ("crontab", System::Cron, None),
        (
            "dev.upjobpilot.sync.plist",
            System::Launchd,
            Some(Kind::Sync),
        ),
        (
            "dev.upjobpilot.watch.plist",
            System::Launchd,
            Some(Kind::Watch),
        ),
        (
            "upjobpilot-sync.xml",
            System::TaskScheduler,
            Some(Kind::Sync),
        ),
        (
            "upjobpilot-watch.xml",
            System::TaskScheduler,
            Some(Kind::Watch),
        ),
    ]
}

/// Text for a terminal from a file of [`files`]: the task's UTF-16 decoded, others as they are.
pub fn decode(bytes: &[u8]) -> String {
    task::decode(bytes)
}
