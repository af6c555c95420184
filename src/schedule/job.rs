//! What a schedule is, whatever the system: which command, how often, with which files and
//! variables. Every generator (`systemd`, `cron`, `launchd`, `task`) reads a [`Job`]; nothing
//! here knows a file format.

use super::error::ScheduleError;
use crate::secret::Secret;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The schedulers upjobpilot can install into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    /// A systemd user timer or service (Linux with a user session).
    Systemd,
    /// A block in the user's crontab (Unix without a systemd user session).
    Cron,
    /// A launchd agent in `~/Library/LaunchAgents` (macOS).
    Launchd,
    /// A Task Scheduler task registered with `schtasks` (Windows).
    TaskScheduler,
}

impl fmt::Display for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            System::Systemd => "systemd",
            System::Cron => "cron",
            System::Launchd => "launchd",
            System::TaskScheduler => "Task Scheduler",
        })
    }
}

/// What runs: a `sync` on an interval, or one long-running `watch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `upjobpilot sync`, started every interval by the scheduler.
    Sync,
    /// `upjobpilot watch`, started at login (or boot) and restarted when it fails.
    Watch,
}

impl Kind {
    /// `sync` or `watch`: the command, and the second half of every name we give the system.
    pub fn command(self) -> &'static str {
        match self {
            Kind::Sync => "sync",
            Kind::Watch => "watch",
        }
    }
}

/// An interval the scheduler keeps on the clock (:00, :10, ...): minutes that divide an hour, or
/// hours that divide a day. Cron and launchd can express nothing else, and the same times on
/// every system make `schedule status` mean the same everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Every {
    minutes: u32,
}

/// Minutes that divide an hour.
const MINUTES: [u32; 11] = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30];
/// Hours that divide a day.
const HOURS: [u32; 8] = [1, 2, 3, 4, 6, 8, 12, 24];

impl Every {
    /// A `sync` timer's interval when none is given: every 10 minutes.
    pub const DEFAULT_SYNC: Every = Every { minutes: 10 };

    /// Every `minutes` minutes, if that is one of the allowed intervals.
    pub fn minutes(minutes: u32) -> Option<Every> {
        let allowed = MINUTES.contains(&minutes)
            || (minutes.is_multiple_of(60) && HOURS.contains(&(minutes / 60)));
        allowed.then_some(Every { minutes })
    }

    /// The interval in minutes.
    pub fn as_minutes(self) -> u32 {
        self.minutes
    }

    /// The interval in whole hours, when it is one.
    pub fn as_hours(self) -> Option<u32> {
        self.minutes.is_multiple_of(60).then_some(self.minutes / 60)
    }
}

impl fmt::Display for Every {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_hours() {
            Some(hours) => write!(f, "{hours}h"),
            None => write!(f, "{}m", self.minutes),
        }
    }
}

impl FromStr for Every {
    type Err = String;

    /// `10m`, `10min`, `1h`: minutes dividing an hour or hours dividing a day.
    fn from_str(text: &str) -> Result<Every, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let list = |values: &[u32], unit: &str| {
            let all: Vec<String> = values.iter().map(|v| format!("{v}{unit}")).collect();
            all.join(", ")
        };
        let Ok(number) = number.parse::<u32>() else {
            return Err(format!(
                "`{text}` is not an interval: write minutes or hours, such as 10m or 1h"
            ));
        };
        match unit.trim() {
            "m" | "min" | "mins" | "minute" | "minutes" => {
                if let Some(every) = Every::minutes(number) {
                    Ok(every)
                } else if number >= 60 && number.is_multiple_of(60) {
                    Err(format!(
                        "{number} minutes is {} hours, which do not divide a day: use one of {}",
                        number / 60,
                        list(&HOURS, "h")
                    ))
                } else {
                    Err(format!(
                        "{number} minutes do not divide an hour, so the runs could not stay on the clock: use one of {} (or hours)",
                        list(&MINUTES, "m")
                    ))
                }
            }
            "h" | "hour" | "hours" => {
                if HOURS.contains(&number) {
                    Ok(Every {
                        minutes: number * 60,
                    })
                } else {
                    Err(format!(
                        "{number} hours do not divide a day: use one of {}",
                        list(&HOURS, "h")
                    ))
                }
            }
            "s" | "sec" | "secs" | "second" | "seconds" => Err(format!(
                "`{text}`: schedules count in minutes; the shortest is 1m (for faster polling, `upjobpilot watch --interval-secs`)"
            )),
            "" => Err(format!(
                "`{text}` has no unit: write {text}m for minutes or {text}h for hours"
            )),
            other => Err(format!(
                "`{text}`: unknown unit `{other}`; write minutes or hours, such as 10m or 1h"
            )),
        }
    }
}

/// A path in a generated file: a real one, or one under the user's home folder that each format
/// writes its own way (`%h` for systemd, `$HOME` for cron, `%USERPROFILE%` for Task Scheduler).
/// The second is for the examples in `contrib/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spot {
    /// An absolute path.
    Path(PathBuf),
    /// A path relative to the home folder, with `/` between its parts (a constant of ours,
    /// with no character that needs quoting).
    Home(&'static str),
}

/// `path` as text for `format`: refused when it is not Unicode or holds a control character
/// (a newline would end a unit line or a crontab line; no format here can carry one).
pub fn checked_path<'a>(path: &'a Path, format: &'static str) -> Result<&'a str, ScheduleError> {
    let unrepresentable = |reason| ScheduleError::Unrepresentable {
        path: path.to_path_buf(),
        format,
        reason,
    };
    let text = path
        .to_str()
        .ok_or_else(|| unrepresentable("is not valid Unicode"))?;
    if text.chars().any(char::is_control) {
        return Err(unrepresentable(
            "holds a control character (a newline, a tab)",
        ));
    }
    Ok(text)
}

/// `path` without the `\\?\` prefix that canonicalizing gives on Windows (`\\?\UNC\` becomes
/// `\\`): Task Scheduler and people read the plain form.
pub fn plain_path(path: PathBuf) -> PathBuf {
    let Some(text) = path.to_str() else {
        return path;
    };
    if let Some(rest) = text.strip_prefix(r"\\?\UNC\") {
        PathBuf::from(format!(r"\\{rest}"))
    } else if let Some(rest) = text.strip_prefix(r"\\?\") {
        PathBuf::from(rest)
    } else {
        path
    }
}

/// A word of the scheduled command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Word {
    /// A fixed word (`sync`, `--quiet`).
    Text(String),
    /// A path.
    Spot(Spot),
}

/// A variable the scheduled command needs, with its value read at install.
#[derive(Debug, Clone)]
pub struct Variable {
    /// Its name (checked to be a portable variable name).
    pub name: String,
    /// Its value (webhook URLs carry tokens; treated as secret whatever it is).
    pub value: Secret,
}

/// Everything a generator needs to write one system's schedule.
#[derive(Debug, Clone)]
pub struct Job {
    /// Sync on an interval, or watch.
    pub kind: Kind,
    /// The interval: a `sync`'s always; a `watch`'s `--interval-secs` when given (`None`:
    /// `watch` chooses its own from the budget, 15 s for up to 50 searches).
    pub every: Option<Every>,
    /// The upjobpilot binary.
    pub program: Spot,
    /// The config file, passed as `--config`.
    pub config: Spot,
    /// The folder the command runs in: the config's.
    pub dir: Spot,
    /// The 0600 file of variables that systemd and cron read (`None`: nothing to pass).
    pub env_file: Option<Spot>,
    /// The variables themselves (launchd writes them into its 0600 plist).
    pub variables: Vec<Variable>,
    /// The log file of a launchd agent.
    pub log: Spot,
}

impl Job {
    /// The arguments after the program: `--config <file> sync --quiet` or
    /// `--config <file> watch --interval-secs N`, then `extra`.
    pub fn arguments(&self, extra: &[&str]) -> Vec<Word> {
        let mut words = vec![
            Word::Text("--config".into()),
            Word::Spot(self.config.clone()),
            Word::Text(self.kind.command().into()),
        ];
        match self.kind {
            Kind::Sync => words.push(Word::Text("--quiet".into())),
            Kind::Watch => {
                if let Some(every) = self.every {
                    words.push(Word::Text("--interval-secs".into()));
                    words.push(Word::Text((every.as_minutes() * 60).to_string()));
                }
            }
        }
        words.extend(extra.iter().map(|w| Word::Text((*w).into())));
        words
    }

    /// `upjobpilot sync every 10m` or `upjobpilot watch, syncing every 2m` (or `at its own
    /// interval`): the description
    /// every generated file carries, which `schedule status` reads back ([`parse_every`]).
    pub fn summary(&self) -> String {
        match (self.kind, self.every) {
            (Kind::Sync, _) => format!("upjobpilot sync every {}", self.timer_every()),
            (Kind::Watch, Some(every)) => format!("upjobpilot watch, syncing every {every}"),
            (Kind::Watch, None) => "upjobpilot watch, syncing at its own interval".into(),
        }
    }

    /// The interval of a `sync` timer (always set for one; 10 minutes otherwise).
    pub fn timer_every(&self) -> Every {
        self.every.unwrap_or(Every::DEFAULT_SYNC)
    }
}

/// The interval in a [`Job::summary`] found in `text`.
pub fn parse_every(text: &str) -> Option<Every> {
    let (_, rest) = text.split_once("every ")?;
    let word: String = rest.chars().take_while(|c| c.is_alphanumeric()).collect();
    word.parse().ok()
}

/// Whether `name` can be an environment variable on every system (letters, digits, `_`, not
/// starting with a digit): the env file and the plist could not carry anything else safely.
pub fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_on_the_clock_parse_and_print_back() {
        for (text, minutes, shown) in [
            ("1m", 1, "1m"),
            ("10m", 10, "10m"),
            ("15min", 15, "15m"),
            ("30 minutes", 30, "30m"),
            ("60m", 60, "1h"),
            ("1h", 60, "1h"),
            ("6h", 360, "6h"),
            ("24h", 1440, "24h"),
        ] {
            let every: Every = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(every.as_minutes(), minutes, "{text}");
            assert_eq!(every.to_string(), shown);
            assert_eq!(shown.parse::<Every>(), Ok(every));
        }
    }

    #[test]
    fn garbage_and_off_clock_intervals_are_refused_with_what_to_write() {
        for (text, says) in [
            ("90s", "shortest is 1m"),
            ("0m", "do not divide an hour"),
            ("7m", "use one of 1m, 2m"),
            ("90m", "do not divide an hour"),
            ("300m", "is 5 hours, which do not divide a day"),
            ("5h", "do not divide a day"),
            ("10", "no unit"),
            ("ten minutes", "not an interval"),
            ("10d", "unknown unit `d`"),
            ("", "not an interval"),
            ("99999999999m", "not an interval"),
        ] {
            let error = text.parse::<Every>().expect_err(text);
            assert!(error.contains(says), "{text}: {error}");
        }
    }

    #[test]
    fn the_summary_gives_back_its_interval() {
        let every = Every::minutes(20).expect("20m");
        let job = Job {
            kind: Kind::Watch,
            every: Some(every),
            program: Spot::Home("bin/upjobpilot"),
            config: Spot::Home("jobs/pipeline.toml"),
            dir: Spot::Home("jobs"),
            env_file: None,
            variables: Vec::new(),
            log: Spot::Home("log"),
        };
        assert_eq!(parse_every(&job.summary()), Some(every));
        assert_eq!(
            parse_every("Description=upjobpilot sync every 2h"),
            Some(Every::minutes(120).expect("2h"))
        );
        assert_eq!(parse_every("nothing here"), None);
    }

    #[test]
    fn canonical_windows_paths_lose_their_prefix() {
        let plain = |s: &str| plain_path(PathBuf::from(s)).display().to_string();
        assert_eq!(
            plain(r"\\?\C:\Users\José Müller\jobs"),
            r"C:\Users\José Müller\jobs"
        );
        assert_eq!(plain(r"\\?\UNC\server\share\jobs"), r"\\server\share\jobs");
        assert_eq!(plain("/home/josé/my jobs"), "/home/josé/my jobs");
    }

    #[test]
    fn variable_names_are_portable_ones() {
        assert!(is_variable_name("SLACK_WEBHOOK_URL"));
        assert!(is_variable_name("_x1"));
        for bad in ["", "1X", "A-B", "A B", "A=B", "É"] {
            assert!(!is_variable_name(bad), "{bad:?}");
        }
    }
}
