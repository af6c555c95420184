//! systemd user units: a oneshot service and the timer that starts it, or one long-running
//! `watch` service. `install` puts them in `~/.config/systemd/user` and enables them with
//! `systemctl --user`.
//!
//! The timer fires on the clock (`OnCalendar`) and `Persistent=true` makes it run once after a
//! shutdown or suspend that skipped a run. The variables come from an `EnvironmentFile=` (mode
//! 0600), never from the units, which systemd lets every user read through `systemctl show`.

use super::error::ScheduleError;
use super::job::{Every, Job, Kind, Spot, Word, checked_path};
use super::quote::{systemd_path, systemd_program, systemd_word};

/// The sync service the timer starts.
pub const SYNC_SERVICE: &str = "upjobpilot-sync.service";
/// The timer.
pub const SYNC_TIMER: &str = "upjobpilot-sync.timer";
/// The `watch` service.
pub const WATCH_SERVICE: &str = "upjobpilot-watch.service";

/// The unit that `systemctl enable` takes for `kind`.
pub fn enabled_unit(kind: Kind) -> &'static str {
    match kind {
        Kind::Sync => SYNC_TIMER,
        Kind::Watch => WATCH_SERVICE,
    }
}

/// The unit files for `job`: file name and content.
pub fn units(job: &Job) -> Result<Vec<(&'static str, String)>, ScheduleError> {
    let dir = path(&job.dir)?;
    let env = match &job.env_file {
        Some(file) => format!("EnvironmentFile=-{}\n", path(file)?),
        None => String::new(),
    };
    let exec = exec_start(job)?;
    let summary = job.summary();
    let written =
        "# Written by `upjobpilot schedule install`; `upjobpilot schedule remove` removes it.";
    Ok(match job.kind {
        Kind::Sync => vec![
            (
                SYNC_SERVICE,
                format!(
                    "# One upjobpilot sync, started by {SYNC_TIMER}. It runs in the config's folder.\n\
                     {written}\n\
                     {head}\
                     # 3 = partial (the next run completes it), 6 = another sync running, 7 = database busy:\n\
                     # none of them is a failure for a scheduler.\n\
                     SuccessExitStatus=3 6 7\n\
                     Nice=10\n",
                    head = service_head(&summary, "oneshot", &dir, &env, &exec),
                ),
            ),
            (
                SYNC_TIMER,
                format!(
                    "# Starts {SYNC_SERVICE} every {every} on the clock; after a shutdown or suspend that\n\
                     # skipped a run, once on the next start (Persistent).\n\
                     {written}\n\
                     [Unit]\n\
                     Description={summary}\n\
                     \n\
                     [Timer]\n\
                     OnCalendar={calendar}\n\
                     RandomizedDelaySec=30s\n\
                     Persistent=true\n\
                     \n\
                     [Install]\n\
                     WantedBy=timers.target\n",
                    every = job.timer_every(),
                    calendar = on_calendar(job.timer_every()),
                ),
            ),
        ],
        Kind::Watch => vec![(
            WATCH_SERVICE,
            format!(
                "# `upjobpilot watch`: one long-running process that syncs {every} and sends the\n\
                 # [[alert]] messages, instead of the timer. It runs in the config's folder.\n\
                 {written}\n\
                 {head}\
                 # SIGTERM lets the poll in progress finish (its requests time out after upwork.timeout_secs,\n\
                 # retried at most upwork.max_retries times; webhooks after their timeout_secs); then it exits 0.\n\
                 KillSignal=SIGTERM\n\
                 TimeoutStopSec=300\n\
                 # A wrong interval (2), config (4) or sign-in (5) needs you: not retried in a loop.\n\
                 Restart=on-failure\n\
                 RestartSec=60\n\
                 RestartPreventExitStatus=2 4 5\n\
                 Nice=10\n\
                 \n\
                 [Install]\n\
                 WantedBy=default.target\n",
                every = job
                    .every
                    .map_or("at its own interval".to_string(), |e| format!("every {e}")),
                head = service_head(&summary, "simple", &dir, &env, &exec),
            ),
        )],
    })
}

/// The `[Unit]` section and the start of `[Service]` that both services share.
fn service_head(summary: &str, kind: &str, dir: &str, env: &str, exec: &str) -> String {
    format!(
        "[Unit]\n\
         Description={summary}\n\
         Wants=network-online.target\n\
         After=network-online.target\n\
         \n\
         [Service]\n\
         Type={kind}\n\
         WorkingDirectory={dir}\n\
         {env}\
         ExecStart={exec}\n"
    )
}

/// `OnCalendar=` for `every`: `*:0/10` (minutes), `0/2:00` (hours), `00:00` (a day).
pub fn on_calendar(every: Every) -> String {
    match every.as_hours() {
        None => format!("*:0/{}", every.as_minutes()),
        Some(1) => "*:00".into(),
        Some(24) => "00:00".into(),
        Some(hours) => format!("0/{hours}:00"),
    }
}

fn exec_start(job: &Job) -> Result<String, ScheduleError> {
    let program = match &job.program {
        Spot::Home(rel) => format!("%h/{rel}"),
        Spot::Path(p) => systemd_program(checked_path(p, "a systemd unit")?).ok_or_else(|| {
            ScheduleError::Unrepresentable {
                path: p.clone(),
                format: "a systemd unit's ExecStart= (systemd refuses them in a program's path)",
                reason: "holds a quote or a backslash",
            }
        })?,
    };
    let mut words = vec![program];
    for arg in job.arguments(&["--log-format", "json"]) {
        words.push(word(&arg)?);
    }
    Ok(words.join(" "))
}

fn word(word: &Word) -> Result<String, ScheduleError> {
    Ok(match word {
        Word::Text(text) => systemd_word(text),
        Word::Spot(Spot::Home(rel)) => format!("%h/{rel}"),
        Word::Spot(Spot::Path(p)) => systemd_word(checked_path(p, "a systemd unit")?),
    })
}

fn path(spot: &Spot) -> Result<String, ScheduleError> {
    Ok(match spot {
        Spot::Home(rel) => format!("%h/{rel}"),
        Spot::Path(p) => systemd_path(checked_path(p, "a systemd unit")?),
    })
}

/// The `key=` value of a unit file's first line setting it.
pub fn value<'a>(unit: &'a str, key: &str) -> Option<&'a str> {
    unit.lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::job::Every;
    use std::path::PathBuf;

    fn job(kind: Kind) -> Job {
        Job {
            kind,
            every: Every::minutes(10),
            program: Spot::Path(PathBuf::from("/home/josé/my bin $x/upjobpilot")),
            config: Spot::Path(PathBuf::from(
                "/home/josé/my jobs/100% \"real\"/pipeline.toml",
            )),
            dir: Spot::Path(PathBuf::from("/home/josé/my jobs/100% \"real\"")),
            env_file: Some(Spot::Path(PathBuf::from(
                "/home/josé/.config/upjobpilot/schedule.env",
            ))),
            variables: Vec::new(),
            log: Spot::Home("unused"),
        }
    }

    #[test]
    fn paths_with_spaces_quotes_and_percent_are_quoted_for_systemd() {
        let units = units(&job(Kind::Sync)).expect("units");
        let service = &units[0].1;
        assert_eq!(
            value(service, "ExecStart"),
            Some(
                r#""/home/josé/my bin $x/upjobpilot" --config "/home/josé/my jobs/100%% \"real\"/pipeline.toml" sync --quiet --log-format json"#
            )
        );
        assert_eq!(
            value(service, "WorkingDirectory"),
            Some(r#"/home/josé/my jobs/100%% "real""#)
        );
        assert_eq!(
            value(service, "EnvironmentFile"),
            Some("-/home/josé/.config/upjobpilot/schedule.env")
        );
        assert_eq!(value(&units[1].1, "OnCalendar"), Some("*:0/10"));
        let watch = units_of(Kind::Watch);
        assert!(
            value(&watch, "ExecStart").is_some_and(|e| e.contains(" watch --interval-secs 600 "))
        );
    }

    fn units_of(kind: Kind) -> String {
        units(&job(kind)).expect("units").remove(0).1
    }

    #[test]
    fn a_program_path_systemd_refuses_is_an_error_naming_it() {
        let mut job = job(Kind::Sync);
        job.program = Spot::Path(PathBuf::from("/home/u/it's/upjobpilot"));
        let error = units(&job).expect_err("a quote");
        assert!(
            error
                .to_string()
                .contains("/home/u/it's/upjobpilot holds a quote"),
            "{error}"
        );
    }

    #[test]
    fn a_newline_in_a_path_is_refused() {
        let mut job = job(Kind::Sync);
        job.dir = Spot::Path(PathBuf::from("/home/u/two\nlines"));
        let error = units(&job).expect_err("a newline");
        assert!(error.to_string().contains("control character"), "{error}");
    }

    #[test]
    fn calendars_keep_the_clock() {
        let every = |m| Every::minutes(m).expect("allowed");
        assert_eq!(on_calendar(every(1)), "*:0/1");
        assert_eq!(on_calendar(every(30)), "*:0/30");
        assert_eq!(on_calendar(every(60)), "*:00");
        assert_eq!(on_calendar(every(360)), "0/6:00");
        assert_eq!(on_calendar(every(1440)), "00:00");
    }
}
