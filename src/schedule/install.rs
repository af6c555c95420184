//! The plans of `schedule install` and `schedule remove` for each system, from a [`Job`], the
//! [`Places`] and what is installed now ([`Installed`]).
//!
//! Installing replaces: the other kind (`watch` for a sync, a sync for `watch`) and, on Linux, a
//! crontab block left from a time without a systemd session (or units left from a time with
//! one) are taken out first, so exactly one schedule runs.

use super::error::ScheduleError;
use super::inspect::Installed;
use super::job::{Job, Kind, System};
use super::places::Places;
use super::plan::{Plan, Step};
use super::{cron, env_file, launchd, systemd, task};

fn systemctl(args: &[&str]) -> Vec<String> {
    std::iter::once("systemctl")
        .chain(std::iter::once("--user"))
        .chain(args.iter().copied())
        .map(String::from)
        .collect()
}

fn text_file(path: std::path::PathBuf, text: String, private: bool) -> Step {
    Step::Write {
        path,
        bytes: text.clone().into_bytes(),
        shown: text,
        private,
        encoding: None,
    }
}

/// The variables file's step: written when there is something to pass, else deleted.
fn env_step(job: &Job, places: &Places) -> Step {
    if job.variables.is_empty() {
        Step::Delete(places.env_file())
    } else {
        Step::Write {
            path: places.env_file(),
            bytes: env_file::render(&job.variables, true).into_bytes(),
            shown: env_file::render(&job.variables, false),
            private: true,
            encoding: None,
        }
    }
}

/// The plan that installs `job` into `system`, replacing `installed`.
pub fn install(
    system: System,
    job: &Job,
    places: &Places,
    installed: &[Installed],
) -> Result<Plan, ScheduleError> {
    let mut plan = remove(
        &installed
            .iter()
            .filter(|i| i.system != system || i.kind != job.kind)
            .cloned()
            .collect::<Vec<_>>(),
        places,
        false,
    );
    match system {
        System::Systemd => {
            plan.steps.push(env_step(job, places));
            for (name, text) in systemd::units(job)? {
                plan.steps
                    .push(text_file(places.unit_dir().join(name), text, false));
            }
            let unit = systemd::enabled_unit(job.kind);
            plan.steps.push(Step::Run {
                argv: systemctl(&["daemon-reload"]),
                tolerate: false,
            });
            plan.steps.push(Step::Run {
                argv: systemctl(&["enable", unit]),
                tolerate: false,
            });
            // `restart`, not `enable --now`: a re-install's new settings take effect now.
            plan.steps.push(Step::Run {
                argv: systemctl(&["restart", unit]),
                tolerate: false,
            });
        }
        System::Cron => {
            plan.steps.push(env_step(job, places));
            plan.steps.push(Step::Crontab(Some(cron::block(job)?)));
            if job.kind == Kind::Watch {
                plan.notes.push(
                    "cron starts `upjobpilot watch` at the next boot; to start it now: `nohup upjobpilot watch --quiet &` in the config's folder".into(),
                );
            }
        }
        System::Launchd => {
            let path = places.plist(job.kind);
            plan.steps.push(Step::CreateDir(
                crate::fs::parent_dir(&places.log(job.kind)).to_path_buf(),
            ));
            plan.steps.push(Step::Write {
                path: path.clone(),
                bytes: launchd::plist(job, true)?.into_bytes(),
                shown: launchd::plist(job, false)?,
                private: true,
                encoding: None,
            });
            let domain = super::places::gui_domain();
            plan.steps.push(Step::Run {
                argv: vec![
                    "launchctl".into(),
                    "bootout".into(),
                    format!("{domain}/{}", launchd::label(job.kind)),
                ],
                tolerate: true,
            });
            plan.steps.push(Step::Run {
                argv: vec![
                    "launchctl".into(),
                    "bootstrap".into(),
                    domain,
                    path.display().to_string(),
                ],
                tolerate: false,
            });
        }
        System::TaskScheduler => {
            let path = places.task_xml(job.kind);
            let xml = task::xml(job)?;
            plan.steps.push(Step::Write {
                path: path.clone(),
                bytes: task::utf16(&xml),
                shown: xml,
                private: false,
                encoding: Some("UTF-16LE with a byte order mark"),
            });
            plan.steps.push(Step::Run {
                argv: vec![
                    "schtasks".into(),
                    "/Create".into(),
                    "/TN".into(),
                    task::name(job.kind).into(),
                    "/XML".into(),
                    path.display().to_string(),
                    "/F".into(),
                ],
                tolerate: false,
            });
            for variable in &job.variables {
                plan.notes.push(format!(
                    "the task sees your user environment, not this shell's: if {name} is not set for your user yet, run `setx {name} \"<its value>\"` once (Windows keeps it in your profile), then sign out and in",
                    name = variable.name
                ));
            }
        }
    }
    Ok(plan)
}

/// The plan that takes out everything in `installed`; `env` also deletes the variables file.
pub fn remove(installed: &[Installed], places: &Places, env: bool) -> Plan {
    let mut plan = Plan::default();
    for item in installed {
        match item.system {
            System::Systemd => {
                plan.steps.push(Step::Run {
                    argv: systemctl(&["disable", "--now", systemd::enabled_unit(item.kind)]),
                    tolerate: true,
                });
                let names: &[&str] = match item.kind {
                    Kind::Sync => &[systemd::SYNC_TIMER, systemd::SYNC_SERVICE],
                    Kind::Watch => &[systemd::WATCH_SERVICE],
                };
                for name in names {
                    plan.steps.push(Step::Delete(places.unit_dir().join(name)));
                }
                plan.steps.push(Step::Run {
                    argv: systemctl(&["daemon-reload"]),
                    tolerate: true,
                });
            }
            System::Cron => plan.steps.push(Step::Crontab(None)),
            System::Launchd => {
                plan.steps.push(Step::Run {
                    argv: vec![
                        "launchctl".into(),
                        "bootout".into(),
                        format!(
                            "{}/{}",
                            super::places::gui_domain(),
                            launchd::label(item.kind)
                        ),
                    ],
                    tolerate: true,
                });
                plan.steps.push(Step::Delete(places.plist(item.kind)));
            }
            System::TaskScheduler => {
                plan.steps.push(Step::Run {
                    argv: vec![
                        "schtasks".into(),
                        "/Delete".into(),
                        "/TN".into(),
                        task::name(item.kind).into(),
                        "/F".into(),
                    ],
                    tolerate: false,
                });
                plan.steps.push(Step::Delete(places.task_xml(item.kind)));
            }
        }
    }
    if env && places.env_file().exists() {
        plan.steps.push(Step::Delete(places.env_file()));
    }
    plan
}
