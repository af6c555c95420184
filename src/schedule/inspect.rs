//! What is installed now, read back from the files and the scheduler (for `schedule status`,
//! `status`, `doctor`, and for `install` and `remove` to know what to replace), and what the
//! scheduler says of the last run.

use super::error::ScheduleError;
use super::job::{Every, Kind, System, parse_every};
use super::places::Places;
use super::plan::{read_crontab, run};
use super::{cron, launchd, systemd, task};
use std::path::Path;

/// One installed schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The scheduler.
    pub system: System,
    /// Sync or watch.
    pub kind: Kind,
    /// The interval, read from the description we wrote.
    pub every: Option<Every>,
    /// The command line as the scheduler has it.
    pub command: String,
    /// Where it is defined: a file, the crontab, a task name.
    pub definition: String,
}

impl Installed {
    /// `systemd timer upjobpilot-sync.timer, every 10m`, for one line of `status`.
    pub fn describe(&self) -> String {
        let what = match (self.system, self.kind) {
            (System::Systemd, Kind::Sync) => "systemd timer",
            (System::Systemd, Kind::Watch) => "systemd service (watch)",
            (System::Cron, Kind::Sync) => "crontab line",
            (System::Cron, Kind::Watch) => "crontab @reboot line (watch)",
            (System::Launchd, Kind::Sync) => "launchd agent",
            (System::Launchd, Kind::Watch) => "launchd agent (watch)",
            (System::TaskScheduler, Kind::Sync) => "Task Scheduler task",
            (System::TaskScheduler, Kind::Watch) => "Task Scheduler task (watch)",
        };
        let every = self
            .every
            .map(|e| format!(", every {e}"))
            .unwrap_or_default();
        format!("{what} {}{every}", self.definition)
    }
}

const KINDS: [Kind; 2] = [Kind::Sync, Kind::Watch];

/// What is installed for the user of `places`, looking where `native` (and, for systemd, cron)
/// keeps schedules.
pub fn installed(native: System, places: &Places) -> Result<Vec<Installed>, ScheduleError> {
    let mut found = Vec::new();
    match native {
        System::Systemd | System::Cron => {
            for kind in KINDS {
                let path = places.unit_dir().join(systemd::enabled_unit(kind));
                let service = match kind {
                    Kind::Sync => places.unit_dir().join(systemd::SYNC_SERVICE),
                    Kind::Watch => path.clone(),
                };
                if path.exists() {
                    let text = read(&service).unwrap_or_default();
                    found.push(Installed {
                        system: System::Systemd,
                        kind,
                        every: systemd::value(&text, "Description").and_then(parse_every),
                        command: systemd::value(&text, "ExecStart")
                            .unwrap_or("?")
                            .to_string(),
                        definition: path.display().to_string(),
                    });
                }
            }
            if let Some(text) = read_crontab()? {
                let table = cron::Table::parse(&text)?;
                if let Some(line) = table.job_line() {
                    let summary = table.summary().unwrap_or_default();
                    found.push(Installed {
                        system: System::Cron,
                        kind: if line.starts_with("@reboot") {
                            Kind::Watch
                        } else {
                            Kind::Sync
                        },
                        every: parse_every(summary),
                        command: line.to_string(),
                        definition: "(`crontab -l`)".into(),
                    });
                }
            }
        }
        System::Launchd => {
            for kind in KINDS {
                let path = places.plist(kind);
                if let Some(text) = read(&path) {
                    found.push(Installed {
                        system: System::Launchd,
                        kind,
                        every: parse_every(&text),
                        command: launchd::program_arguments(&text)
                            .iter()
                            .map(|a| super::quote::shell_word(a))
                            .collect::<Vec<_>>()
                            .join(" "),
                        definition: path.display().to_string(),
                    });
                }
            }
        }
        System::TaskScheduler => {
            for kind in KINDS {
                let name = task::name(kind);
                let query = run(&schtasks(&["/Query", "/TN", name, "/XML"]));
                // A task that is not there is a failed query: nothing installed. A query that
                // answers no task (Wine's schtasks prints nothing) is not one either.
                let xml = query.ok().map(|output| task::decode(&output.stdout));
                if let Some(xml) = xml.filter(|xml| xml.contains("<Task")) {
                    let command = format!(
                        "{} {}",
                        super::quote::windows_arg(
                            &task::element(&xml, "Command").unwrap_or_default()
                        ),
                        task::element(&xml, "Arguments").unwrap_or_default()
                    );
                    found.push(Installed {
                        system: System::TaskScheduler,
                        kind,
                        every: task::element(&xml, "Description")
                            .as_deref()
                            .and_then(parse_every),
                        command,
                        definition: name.into(),
                    });
                }
            }
        }
    }
    Ok(found)
}

/// What the scheduler says of the last run (and the next), where it keeps a record; cron keeps
/// none.
pub fn scheduler_says(item: &Installed) -> Option<String> {
    let stdout = |argv: Vec<String>| run(&argv).ok().map(|o| task::decode(&o.stdout));
    match item.system {
        System::Systemd => {
            let unit = systemd::enabled_unit(item.kind);
            let properties = match item.kind {
                Kind::Sync => "LastTriggerUSec,NextElapseUSecRealtime,ActiveState",
                Kind::Watch => "ActiveState,ExecMainStartTimestamp,NRestarts",
            };
            let text = stdout(
                ["systemctl", "--user", "show", unit, "-p", properties]
                    .map(String::from)
                    .to_vec(),
            )?;
            Some(join_lines(&text, |l| !l.trim().is_empty()))
        }
        System::Cron => None,
        System::Launchd => {
            let target = format!(
                "{}/{}",
                super::places::gui_domain(),
                launchd::label(item.kind)
            );
            let text = stdout(vec!["launchctl".into(), "print".into(), target])?;
            Some(join_lines(&text, |l| {
                let l = l.trim();
                l.starts_with("state =")
                    || l.starts_with("runs =")
                    || l.starts_with("last exit code =")
            }))
        }
        System::TaskScheduler => {
            let text = stdout(schtasks(&[
                "/Query",
                "/TN",
                task::name(item.kind),
                "/FO",
                "LIST",
                "/V",
            ]))?;
            Some(join_lines(&text, |l| {
                l.starts_with("Last Run Time:")
                    || l.starts_with("Last Result:")
                    || l.starts_with("Next Run Time:")
                    || l.starts_with("Status:")
            }))
        }
    }
}

fn join_lines(text: &str, keep: impl Fn(&str) -> bool) -> String {
    text.lines()
        .filter(|l| keep(l))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("; ")
}

fn schtasks(args: &[&str]) -> Vec<String> {
    std::iter::once("schtasks")
        .chain(args.iter().copied())
        .map(String::from)
        .collect()
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// Whether `systemctl --user` reaches a user manager; the reason when it does not.
pub fn systemd_session() -> Result<(), String> {
    match run(&["systemctl", "--user", "show-environment"].map(String::from)) {
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}
