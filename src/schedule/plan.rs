//! What `install` and `remove` do, as a list of steps that is either printed (`--dry-run`) or
//! carried out, so a dry run shows exactly what the real run does: every file with its path and
//! full content (secret values as placeholders), every command, the crontab change.

use super::cron;
use super::error::ScheduleError;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// One thing to do.
#[derive(Debug)]
pub enum Step {
    /// Write a file whole (atomically), creating its folder.
    Write {
        /// Where.
        path: PathBuf,
        /// The bytes.
        bytes: Vec<u8>,
        /// What a dry run shows (the content with secret values replaced).
        shown: String,
        /// Mode 0600 (on Unix) for a file with secrets.
        private: bool,
        /// How the file is encoded, when it is not UTF-8.
        encoding: Option<&'static str>,
    },
    /// Create a folder (and its parents).
    CreateDir(PathBuf),
    /// Delete a file if it exists.
    Delete(PathBuf),
    /// Run a command; with `tolerate`, a failure is no error (undoing what may not be there).
    Run {
        /// The program and its arguments.
        argv: Vec<String>,
        /// Whether a failure is expected and fine.
        tolerate: bool,
    },
    /// Replace our block in the user's crontab (`crontab -l`, then `crontab -`), or take it out.
    Crontab(Option<String>),
}

/// The steps, in order, and what to tell the user afterwards.
#[derive(Debug, Default)]
pub struct Plan {
    /// The steps.
    pub steps: Vec<Step>,
    /// Lines printed after the steps (advice, what happens next).
    pub notes: Vec<String>,
}

impl Plan {
    /// What a dry run prints: `==> path <==` before each file (as `head` does), `$ command` for
    /// each command.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for step in &self.steps {
            match step {
                Step::Write {
                    path,
                    shown,
                    private,
                    encoding,
                    ..
                } => {
                    let mut notes = Vec::new();
                    if *private {
                        notes.push("mode 0600");
                    }
                    if let Some(encoding) = encoding {
                        notes.push(encoding);
                    }
                    let notes = if notes.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", notes.join(", "))
                    };
                    out.push_str(&format!("==> {}{notes} <==\n{shown}", path.display()));
                    if !shown.ends_with('\n') {
                        out.push('\n');
                    }
                    out.push('\n');
                }
                Step::CreateDir(path) => out.push_str(&format!("$ mkdir -p {}\n", path.display())),
                Step::Delete(path) => out.push_str(&format!("$ rm -f {}\n", path.display())),
                Step::Run { argv, tolerate } => {
                    let tail = if *tolerate { "   # a failure is fine" } else { "" };
                    out.push_str(&format!("$ {}{tail}\n", argv.join(" ")));
                }
                Step::Crontab(Some(block)) => out.push_str(&format!(
                    "$ crontab -l, then crontab - with this block in place of any earlier one:\n{block}\n"
                )),
                Step::Crontab(None) => out.push_str(&format!(
                    "$ crontab -l, then crontab - without the block from `{}` to `{}`\n",
                    cron::BEGIN,
                    cron::END
                )),
            }
        }
        out
    }

    /// Carries the steps out, stopping at the first failure.
    pub fn execute(&self) -> Result<(), ScheduleError> {
        for step in &self.steps {
            match step {
                Step::Write {
                    path,
                    bytes,
                    private,
                    ..
                } => {
                    let write = |source| ScheduleError::Write {
                        path: path.clone(),
                        source,
                    };
                    std::fs::create_dir_all(crate::fs::parent_dir(path)).map_err(write)?;
                    let mode = if *private { Some(0o600) } else { Some(0o644) };
                    crate::fs::write_atomic_mode(path, bytes, mode).map_err(write)?;
                }
                Step::CreateDir(path) => {
                    std::fs::create_dir_all(path).map_err(|source| ScheduleError::Write {
                        path: path.clone(),
                        source,
                    })?;
                }
                Step::Delete(path) => match std::fs::remove_file(path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(ScheduleError::Remove {
                            path: path.clone(),
                            source: e,
                        });
                    }
                    _ => {}
                },
                Step::Run { argv, tolerate } => {
                    let result = run(argv);
                    if !tolerate {
                        result?;
                    }
                }
                Step::Crontab(block) => {
                    let table = cron::Table::parse(&read_crontab()?.unwrap_or_default())?;
                    write_crontab(&table.with(block.as_deref()))?;
                }
            }
        }
        Ok(())
    }
}

/// Runs `argv`; its output when it exits 0.
pub fn run(argv: &[String]) -> Result<Output, ScheduleError> {
    run_with_input(argv, None)
}

fn run_with_input(argv: &[String], input: Option<&str>) -> Result<Output, ScheduleError> {
    let command = argv.join(" ");
    let (program, args) = argv.split_first().expect("a command has a program");
    let mut child = Command::new(program)
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| ScheduleError::Spawn {
            command: command.clone(),
            source,
        })?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin
            .write_all(text.as_bytes())
            .map_err(|source| ScheduleError::Spawn {
                command: command.clone(),
                source,
            })?;
    }
    let output = child
        .wait_with_output()
        .map_err(|source| ScheduleError::Spawn {
            command: command.clone(),
            source,
        })?;
    if output.status.success() {
        Ok(output)
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
        let text = if stderr.is_empty() {
            String::from_utf8_lossy(&output.stdout).trim().to_string()
        } else {
            stderr
        };
        Err(ScheduleError::Failed {
            command,
            status: output.status.to_string(),
            output: text,
        })
    }
}

/// The user's crontab (`crontab -l`); `None` when there is no `crontab` command. A user without
/// a table yet has an empty one.
pub fn read_crontab() -> Result<Option<String>, ScheduleError> {
    match run(&["crontab".into(), "-l".into()]) {
        Ok(output) => Ok(Some(String::from_utf8_lossy(&output.stdout).into_owned())),
        Err(ScheduleError::Spawn { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            Ok(None)
        }
        // Every cron says so in its own words: "no crontab for <user>".
        Err(ScheduleError::Failed { output, .. })
            if output.to_lowercase().contains("no crontab") =>
        {
            Ok(Some(String::new()))
        }
        Err(e) => Err(e),
    }
}

fn write_crontab(table: &str) -> Result<(), ScheduleError> {
    run_with_input(&["crontab".into(), "-".into()], Some(table)).map(drop)
}
