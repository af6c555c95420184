//! A launchd agent (macOS): a property list in `~/Library/LaunchAgents`, loaded with
//! `launchctl bootstrap gui/<uid>`.
//!
//! A sync runs on `StartCalendarInterval`, not `StartInterval`: launchd starts a calendar job
//! the machine slept through once on wake (coalescing the missed runs), while a `StartInterval`
//! firing that falls in a sleep is simply lost. `watch` runs at load and is started again when it
//! fails (`KeepAlive` on an unsuccessful exit). launchd cannot read a variables file, so the
//! variables are in the plist's `EnvironmentVariables`, and `install` writes the plist with mode
//! 0600 (launchd only refuses agents that others can write).

use super::error::ScheduleError;
use super::job::{Job, Kind, Spot, Word, checked_path};
use super::quote::{xml_text, xml_unescape};

/// The agent's label (and the plist's name without `.plist`) for `kind`.
pub fn label(kind: Kind) -> &'static str {
    match kind {
        Kind::Sync => "dev.upjobpilot.sync",
        Kind::Watch => "dev.upjobpilot.watch",
    }
}

/// The plist; with `reveal` false the variables' values are placeholders (for `--dry-run`).
pub fn plist(job: &Job, reveal: bool) -> Result<String, ScheduleError> {
    let mut arguments = vec![string(&Word::Spot(job.program.clone()))?];
    for word in job.arguments(&[]) {
        arguments.push(string(&word)?);
    }
    let mut body = String::new();
    let mut key = |name: &str, value: String| {
        body.push_str(&format!("\t<key>{name}</key>\n\t{value}\n"));
    };
    key("Label", format!("<string>{}</string>", label(job.kind)));
    key(
        "ProgramArguments",
        format!(
            "<array>\n{}\t</array>",
            arguments
                .iter()
                .map(|a| format!("\t\t<string>{a}</string>\n"))
                .collect::<String>()
        ),
    );
    key(
        "WorkingDirectory",
        format!("<string>{}</string>", string(&Word::Spot(job.dir.clone()))?),
    );
    if !job.variables.is_empty() {
        let mut dict = String::from("<dict>\n");
        for variable in &job.variables {
            let value = if reveal {
                xml_text(variable.value.expose())
            } else {
                format!("&lt;the value of ${} at install&gt;", variable.name)
            };
            dict.push_str(&format!(
                "\t\t<key>{}</key>\n\t\t<string>{value}</string>\n",
                xml_text(&variable.name)
            ));
        }
        dict.push_str("\t</dict>");
        key("EnvironmentVariables", dict);
    }
    match job.kind {
        Kind::Sync => key("StartCalendarInterval", calendar(job)),
        Kind::Watch => {
            key("RunAtLoad", "<true/>".into());
            key(
                "KeepAlive",
                "<dict>\n\t\t<key>SuccessfulExit</key>\n\t\t<false/>\n\t</dict>".into(),
            );
            // Not every 10 s while a sign-in waits for the user.
            key("ThrottleInterval", "<integer>60</integer>".into());
        }
    }
    let log = string(&Word::Spot(job.log.clone()))?;
    key("StandardOutPath", format!("<string>{log}</string>"));
    key("StandardErrorPath", format!("<string>{log}</string>"));
    key("ProcessType", "<string>Background</string>".into());
    key("Nice", "<integer>10</integer>".into());
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <!-- {summary}. Written by `upjobpilot schedule install`; `upjobpilot schedule remove` removes it. -->\n\
         <plist version=\"1.0\">\n\
         <dict>\n\
         {body}\
         </dict>\n\
         </plist>\n",
        summary = job.summary(),
    ))
}

/// `StartCalendarInterval`: one dictionary per time of day or hour the job runs.
fn calendar(job: &Job) -> String {
    let entry = |fields: &[(&str, u32)]| {
        let mut dict = String::from("\t\t<dict>\n");
        for (name, value) in fields {
            dict.push_str(&format!(
                "\t\t\t<key>{name}</key>\n\t\t\t<integer>{value}</integer>\n"
            ));
        }
        dict.push_str("\t\t</dict>\n");
        dict
    };
    let every = job.timer_every();
    let entries: String = match every.as_hours() {
        None => (0..60)
            .step_by(every.as_minutes() as usize)
            .map(|minute| entry(&[("Minute", minute)]))
            .collect(),
        Some(hours) => (0..24)
            .step_by(hours as usize)
            .map(|hour| entry(&[("Hour", hour), ("Minute", 0)]))
            .collect(),
    };
    format!("<array>\n{entries}\t</array>")
}

fn string(word: &Word) -> Result<String, ScheduleError> {
    Ok(match word {
        Word::Text(text) => xml_text(text),
        // launchd expands neither `~` nor variables: the example names a home folder.
        Word::Spot(Spot::Home(rel)) => format!("/Users/you/{rel}"),
        Word::Spot(Spot::Path(p)) => xml_text(checked_path(p, "a launchd plist")?),
    })
}

/// The `ProgramArguments` of a plist we wrote, unescaped.
pub fn program_arguments(plist: &str) -> Vec<String> {
    let Some((_, rest)) = plist.split_once("<key>ProgramArguments</key>") else {
        return Vec::new();
    };
    let array = rest.split("</array>").next().unwrap_or_default();
    array
        .split("<string>")
        .skip(1)
        .filter_map(|s| s.split_once("</string>").map(|(v, _)| xml_unescape(v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::job::{Every, Variable};
    use crate::secret::Secret;
    use std::path::PathBuf;

    fn job() -> Job {
        Job {
            kind: Kind::Sync,
            every: Every::minutes(15),
            program: Spot::Path(PathBuf::from("/Users/josé/bin/upjobpilot")),
            config: Spot::Path(PathBuf::from("/Users/josé/my jobs/R&D <1>/pipeline.toml")),
            dir: Spot::Path(PathBuf::from("/Users/josé/my jobs/R&D <1>")),
            env_file: None,
            variables: vec![Variable {
                name: "HOOK".into(),
                value: Secret::new("https://hooks.example/a?b=1&c=2"),
            }],
            log: Spot::Path(PathBuf::from(
                "/Users/josé/Library/Logs/upjobpilot/sync.log",
            )),
        }
    }

    #[test]
    fn paths_are_escaped_and_read_back() {
        let plist = plist(&job(), true).expect("plist");
        assert!(
            plist.contains("<string>/Users/josé/my jobs/R&amp;D &lt;1&gt;</string>"),
            "{plist}"
        );
        assert!(
            plist.contains("<string>https://hooks.example/a?b=1&amp;c=2</string>"),
            "{plist}"
        );
        assert_eq!(
            program_arguments(&plist),
            [
                "/Users/josé/bin/upjobpilot",
                "--config",
                "/Users/josé/my jobs/R&D <1>/pipeline.toml",
                "sync",
                "--quiet"
            ]
        );
        assert_eq!(plist.matches("<key>Minute</key>").count(), 4, "{plist}");
    }

    #[test]
    fn a_dry_run_shows_no_value() {
        let plist = plist(&job(), false).expect("plist");
        assert!(!plist.contains("hooks.example"), "{plist}");
        assert!(
            plist.contains("&lt;the value of $HOOK at install&gt;"),
            "{plist}"
        );
    }
}
