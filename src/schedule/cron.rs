//! A block in the user's crontab, where there is no systemd user session: one line that `cd`s
//! to the config's folder, sources the 0600 variables file, and runs the command.
//!
//! The block sits between two marker comments, so `install` replaces it (and only it) and
//! `status` and `remove` find it; every other line of the user's table stays as it was. Cron
//! cannot catch up after a suspend: a run the machine slept through is skipped.

use super::error::ScheduleError;
use super::job::{Job, Kind, Spot, Word, checked_path};
use super::quote::{crontab_command, shell_word};

/// The first line of our block.
pub const BEGIN: &str = "# BEGIN upjobpilot schedule";
/// Its last line.
pub const END: &str = "# END upjobpilot schedule";

/// The block for `job`, marker lines included, ending in a newline.
pub fn block(job: &Job) -> Result<String, ScheduleError> {
    let every = job.timer_every();
    let when = match (job.kind, every.as_hours()) {
        (Kind::Watch, _) => "@reboot".to_string(),
        (Kind::Sync, None) if every.as_minutes() == 1 => "* * * * *".into(),
        (Kind::Sync, None) => format!("*/{} * * * *", every.as_minutes()),
        (Kind::Sync, Some(1)) => "0 * * * *".into(),
        (Kind::Sync, Some(24)) => "0 0 * * *".into(),
        (Kind::Sync, Some(hours)) => format!("0 */{hours} * * *"),
    };
    let mut command = format!("cd {}", word(&Word::Spot(job.dir.clone()))?);
    if let Some(file) = &job.env_file {
        command.push_str(&format!(
            " && set -a && . {}",
            word(&Word::Spot(file.clone()))?
        ));
    }
    command.push_str(" && ");
    command.push_str(&word(&Word::Spot(job.program.clone()))?);
    let extra: &[&str] = match job.kind {
        Kind::Sync => &[],
        Kind::Watch => &["--quiet"],
    };
    for arg in job.arguments(extra) {
        command.push(' ');
        command.push_str(&word(&arg)?);
    }
    let note = match job.kind {
        Kind::Sync => {
            "# Cron mails what a run prints: with --quiet, only failures. Exit statuses 3 (partial),\n\
             # 6 (locked) and 7 (database busy) resolve themselves on the next run.\n"
        }
        Kind::Watch => {
            "# Cron starts `watch` at boot and never restarts it: `upjobpilot schedule status` says\n\
             # when it last synced.\n"
        }
    };
    Ok(format!(
        "{BEGIN}: {summary}\n\
         # Written by `upjobpilot schedule install`; `upjobpilot schedule remove` removes this block.\n\
         {note}\
         {when} {command}\n\
         {END}\n",
        summary = job.summary(),
        command = crontab_command(&command),
    ))
}

fn word(word: &Word) -> Result<String, ScheduleError> {
    Ok(match word {
        Word::Text(text) => shell_word(text),
        Word::Spot(Spot::Home(rel)) => format!("\"$HOME/{rel}\""),
        Word::Spot(Spot::Path(p)) => shell_word(checked_path(p, "a crontab line")?),
    })
}

/// A crontab split around our block: the lines before and after it, and the block itself.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// Everything but our block, in order.
    pub others: Vec<String>,
    /// Where our block was (an index into `others`), and its lines.
    pub ours: Option<(usize, Vec<String>)>,
}

impl Table {
    /// Splits `text` (what `crontab -l` printed).
    pub fn parse(text: &str) -> Result<Table, ScheduleError> {
        let mut table = Table::default();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if line.starts_with(BEGIN) {
                let mut block = vec![line.to_string()];
                loop {
                    match lines.next() {
                        Some(line) => {
                            block.push(line.to_string());
                            if line == END {
                                break;
                            }
                        }
                        None => {
                            return Err(ScheduleError::BrokenCrontab {
                                begin: BEGIN,
                                end: END,
                            });
                        }
                    }
                }
                table.ours = Some((table.others.len(), block));
            } else {
                table.others.push(line.to_string());
            }
        }
        Ok(table)
    }

    /// The table with `block` in place of ours (at the end if there was none), or without ours
    /// when `block` is `None`.
    pub fn with(&self, block: Option<&str>) -> String {
        let at = self.ours.as_ref().map_or(self.others.len(), |(at, _)| *at);
        let mut lines: Vec<&str> = self.others.iter().map(String::as_str).collect();
        let new: Vec<&str> = block.map(|b| b.lines().collect()).unwrap_or_default();
        lines.splice(at..at, new);
        let mut text = lines.join("\n");
        if !text.is_empty() {
            // Cron ignores a last line without a newline.
            text.push('\n');
        }
        text
    }

    /// Our job's line (the block's one line that is not a comment).
    pub fn job_line(&self) -> Option<&str> {
        let (_, block) = self.ours.as_ref()?;
        block
            .iter()
            .map(String::as_str)
            .find(|l| !l.starts_with('#') && !l.trim().is_empty())
    }

    /// The block's first line (it carries the summary).
    pub fn summary(&self) -> Option<&str> {
        self.ours
            .as_ref()
            .and_then(|(_, block)| block.first())
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::job::Every;
    use std::path::PathBuf;

    fn job() -> Job {
        Job {
            kind: Kind::Sync,
            every: Every::minutes(10),
            program: Spot::Path(PathBuf::from("/home/josé/bin/upjobpilot")),
            config: Spot::Path(PathBuf::from("/home/josé/my jobs/it's 100%/pipeline.toml")),
            dir: Spot::Path(PathBuf::from("/home/josé/my jobs/it's 100%")),
            env_file: Some(Spot::Path(PathBuf::from(
                "/home/josé/.config/upjobpilot/schedule.env",
            ))),
            variables: Vec::new(),
            log: Spot::Home("unused"),
        }
    }

    #[test]
    fn the_line_quotes_for_sh_and_escapes_percent_for_cron() {
        let block = block(&job()).expect("block");
        let table = Table::parse(&block).expect("parses");
        assert_eq!(
            table.job_line(),
            Some(
                r"*/10 * * * * cd '/home/josé/my jobs/it'\''s 100\%' && set -a && . '/home/josé/.config/upjobpilot/schedule.env' && '/home/josé/bin/upjobpilot' --config '/home/josé/my jobs/it'\''s 100\%/pipeline.toml' sync --quiet"
            )
        );
        assert!(block.starts_with(BEGIN) && block.ends_with(&format!("{END}\n")));
    }

    #[test]
    #[cfg_attr(windows, ignore = "runs sh, which Windows lacks")]
    fn what_cron_runs_is_the_path_itself() {
        let dir = tempfile::tempdir().expect("tempdir");
        let odd = dir.path().join("my jobs").join("it's 100% $x");
        std::fs::create_dir_all(&odd).expect("mkdir");
        let mut job = job();
        job.dir = Spot::Path(odd.clone());
        job.env_file = None;
        job.program = Spot::Path(PathBuf::from("/bin/pwd"));
        let block = block(&job).expect("block");
        let line = Table::parse(&block)
            .expect("parses")
            .job_line()
            .expect("line")
            .to_string();
        // What cron does with the command: `\%` becomes `%`, then `sh -c`.
        let command = line
            .splitn(6, ' ')
            .nth(5)
            .expect("command")
            .replace(r"\%", "%");
        let command = command.split(" --config").next().expect("program");
        let output = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(command)
            .output()
            .expect("sh runs");
        assert_eq!(
            String::from_utf8_lossy(&output.stdout).trim_end(),
            odd.to_str().expect("utf-8"),
            "{output:?}"
        );
    }

    #[test]
    fn install_replaces_only_our_block_and_remove_takes_it_out() {
        let theirs = "MAILTO=me@example.com\n0 3 * * * backup --all\n";
        let first = block(&job()).expect("block");
        let installed = Table::parse(theirs).expect("parse").with(Some(&first));
        assert!(installed.starts_with(theirs), "{installed}");

        let mut later = job();
        later.every = Every::minutes(60);
        let second = block(&later).expect("block");
        let with_more = format!("{installed}# mine\n");
        let replaced = Table::parse(&with_more).expect("parse").with(Some(&second));
        assert_eq!(replaced, format!("{theirs}{second}# mine\n"));

        let removed = Table::parse(&replaced).expect("parse").with(None);
        assert_eq!(removed, format!("{theirs}# mine\n"));
        assert_eq!(Table::parse("").expect("empty").with(None), "");
    }

    #[test]
    fn a_block_without_its_end_is_not_guessed_at() {
        let text =
            format!("{BEGIN}: upjobpilot sync every 10m\n*/10 * * * * x\n0 3 * * * backup\n");
        assert!(matches!(
            Table::parse(&text),
            Err(ScheduleError::BrokenCrontab { .. })
        ));
    }

    #[test]
    fn hours_and_watch_lines() {
        let mut job = job();
        job.every = Every::minutes(120);
        let line = |job: &Job| {
            Table::parse(&block(job).expect("block"))
                .expect("parse")
                .job_line()
                .expect("line")
                .to_string()
        };
        assert!(line(&job).starts_with("0 */2 * * * cd "));
        job.kind = Kind::Watch;
        let watch = line(&job);
        assert!(watch.starts_with("@reboot cd "), "{watch}");
        assert!(
            watch.ends_with(" watch --interval-secs 7200 --quiet"),
            "{watch}"
        );
        // Without --every, `watch` chooses its own interval from the budget.
        job.every = None;
        let watch = line(&job);
        assert!(watch.ends_with(" watch --quiet"), "{watch}");
        assert!(
            block(&job)
                .expect("block")
                .contains("upjobpilot watch, syncing at its own interval"),
            "the summary says so"
        );
    }
}
