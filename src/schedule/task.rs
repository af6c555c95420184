//! A Windows Task Scheduler task, registered with `schtasks /Create /TN <name> /XML <file> /F`.
//!
//! The XML is written in UTF-16 with a byte order mark, as `schtasks` expects, and declares so.
//! A sync repeats every interval from midnight, indefinitely; `StartWhenAvailable` runs a start
//! the machine slept through once it wakes, `IgnoreNew` skips a start while a sync still runs, it
//! runs on battery, and a hung sync is stopped after an hour. `watch` starts at logon, without a
//! time limit, and is restarted when it fails. The task runs only while the user is logged on,
//! with the user's own token (no stored password), so it sees the user's environment: the
//! variables are set once with `setx` and never written into the task.

use super::error::ScheduleError;
use super::job::{Job, Kind, Spot, Word, checked_path};
use super::quote::{windows_arg, xml_text, xml_unescape};

/// The task's name for `kind` (in the root folder of the Task Scheduler library).
pub fn name(kind: Kind) -> &'static str {
    match kind {
        Kind::Sync => "upjobpilot-sync",
        Kind::Watch => "upjobpilot-watch",
    }
}

/// The task's XML as text (its declaration says UTF-16: write it with [`utf16`]).
pub fn xml(job: &Job) -> Result<String, ScheduleError> {
    let command = text(&job.program)?;
    let mut arguments = Vec::new();
    for word in job.arguments(&[]) {
        arguments.push(match word {
            Word::Text(text) => windows_arg(&text),
            Word::Spot(spot) => windows_arg(&text(&spot)?),
        });
    }
    let arguments = arguments.join(" ");
    let dir = text(&job.dir)?;
    let (trigger, time_limit, restart) = match job.kind {
        Kind::Sync => (
            format!(
                "    <TimeTrigger>\n\
                 \x20     <Repetition>\n\
                 \x20       <Interval>{}</Interval>\n\
                 \x20       <StopAtDurationEnd>false</StopAtDurationEnd>\n\
                 \x20     </Repetition>\n\
                 \x20     <StartBoundary>2024-01-01T00:00:00</StartBoundary>\n\
                 \x20     <Enabled>true</Enabled>\n\
                 \x20   </TimeTrigger>\n",
                interval(job)
            ),
            "PT1H",
            "",
        ),
        Kind::Watch => (
            "    <LogonTrigger>\n\
             \x20     <Enabled>true</Enabled>\n\
             \x20   </LogonTrigger>\n"
                .to_string(),
            "PT0S",
            "    <RestartOnFailure>\n\
             \x20     <Interval>PT1M</Interval>\n\
             \x20     <Count>3</Count>\n\
             \x20   </RestartOnFailure>\n",
        ),
    };
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n\
         <Task version=\"1.2\" xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\n\
         \x20 <RegistrationInfo>\n\
         \x20   <Description>{summary}. Written by `upjobpilot schedule install`; `upjobpilot schedule remove` removes it.</Description>\n\
         \x20   <URI>\\{name}</URI>\n\
         \x20 </RegistrationInfo>\n\
         \x20 <Triggers>\n\
         {trigger}\
         \x20 </Triggers>\n\
         \x20 <Principals>\n\
         \x20   <Principal id=\"Author\">\n\
         \x20     <LogonType>InteractiveToken</LogonType>\n\
         \x20     <RunLevel>LeastPrivilege</RunLevel>\n\
         \x20   </Principal>\n\
         \x20 </Principals>\n\
         \x20 <Settings>\n\
         \x20   <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>\n\
         \x20   <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>\n\
         \x20   <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>\n\
         \x20   <AllowHardTerminate>true</AllowHardTerminate>\n\
         \x20   <StartWhenAvailable>true</StartWhenAvailable>\n\
         \x20   <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>\n\
         \x20   <IdleSettings>\n\
         \x20     <StopOnIdleEnd>false</StopOnIdleEnd>\n\
         \x20     <RestartOnIdle>false</RestartOnIdle>\n\
         \x20   </IdleSettings>\n\
         \x20   <AllowStartOnDemand>true</AllowStartOnDemand>\n\
         \x20   <Enabled>true</Enabled>\n\
         \x20   <Hidden>false</Hidden>\n\
         \x20   <RunOnlyIfIdle>false</RunOnlyIfIdle>\n\
         \x20   <WakeToRun>false</WakeToRun>\n\
         \x20   <ExecutionTimeLimit>{time_limit}</ExecutionTimeLimit>\n\
         {restart}\
         \x20   <Priority>7</Priority>\n\
         \x20 </Settings>\n\
         \x20 <Actions Context=\"Author\">\n\
         \x20   <Exec>\n\
         \x20     <Command>{command}</Command>\n\
         \x20     <Arguments>{arguments}</Arguments>\n\
         \x20     <WorkingDirectory>{dir}</WorkingDirectory>\n\
         \x20   </Exec>\n\
         \x20 </Actions>\n\
         </Task>\n",
        summary = xml_text(&job.summary()),
        name = name(job.kind),
        command = xml_text(&command),
        arguments = xml_text(&arguments),
        dir = xml_text(&dir),
    ))
}

/// The repetition interval: `PT10M`, `PT2H`, `P1D`.
fn interval(job: &Job) -> String {
    let every = job.timer_every();
    match every.as_hours() {
        None => format!("PT{}M", every.as_minutes()),
        Some(24) => "P1D".into(),
        Some(hours) => format!("PT{hours}H"),
    }
}

/// A path as Task Scheduler reads it. It expands `%NAME%` in the command, the arguments and the
/// folder, with no way to escape a `%`, so a path holding one is refused.
fn text(spot: &Spot) -> Result<String, ScheduleError> {
    match spot {
        Spot::Home(rel) => Ok(format!("%USERPROFILE%\\{}", rel.replace('/', "\\"))),
        Spot::Path(p) => {
            let text = checked_path(p, "a Task Scheduler task")?;
            if text.contains('%') {
                return Err(ScheduleError::Unrepresentable {
                    path: p.clone(),
                    format: "a Task Scheduler task (it expands %NAME% and has no escape)",
                    reason: "holds a `%`",
                });
            }
            Ok(text.to_string())
        }
    }
}

/// `text` in UTF-16 little-endian with a byte order mark: the file `schtasks /XML` reads.
pub fn utf16(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    bytes
}

/// Text that may be UTF-16 (with a byte order mark) or UTF-8, as `schtasks /Query /XML` prints.
pub fn decode(bytes: &[u8]) -> String {
    match bytes {
        [0xFF, 0xFE, rest @ ..] => {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// The text of the first `<element>` in `xml`, unescaped.
pub fn element(xml: &str, element: &str) -> Option<String> {
    let (_, rest) = xml.split_once(&format!("<{element}>"))?;
    let (value, _) = rest.split_once(&format!("</{element}>"))?;
    Some(xml_unescape(value))
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
            program: Spot::Path(PathBuf::from(r"C:\Program Files\upjobpilot\upjobpilot.exe")),
            config: Spot::Path(PathBuf::from(
                r"C:\Users\José Müller\Documents\R&D jobs\pipeline.toml",
            )),
            dir: Spot::Path(PathBuf::from(r"C:\Users\José Müller\Documents\R&D jobs\")),
            env_file: None,
            variables: Vec::new(),
            log: Spot::Home("unused"),
        }
    }

    #[test]
    fn paths_are_quoted_for_the_command_line_and_escaped_for_xml() {
        let xml = xml(&job()).expect("xml");
        assert_eq!(
            element(&xml, "Arguments").as_deref(),
            Some(
                r#"--config "C:\Users\José Müller\Documents\R&D jobs\pipeline.toml" sync --quiet"#
            )
        );
        assert!(xml.contains(r"<Arguments>--config &quot;C:\Users\José Müller\Documents\R&amp;D jobs\pipeline.toml&quot; sync --quiet</Arguments>"), "{xml}");
        assert_eq!(
            element(&xml, "Command").as_deref(),
            Some(r"C:\Program Files\upjobpilot\upjobpilot.exe")
        );
        assert_eq!(
            element(&xml, "WorkingDirectory").as_deref(),
            Some(r"C:\Users\José Müller\Documents\R&D jobs\")
        );
        assert_eq!(element(&xml, "Interval").as_deref(), Some("PT10M"));
        assert_eq!(
            element(&xml, "LogonType").as_deref(),
            Some("InteractiveToken")
        );
    }

    #[test]
    fn a_percent_in_a_path_is_refused() {
        let mut job = job();
        job.dir = Spot::Path(PathBuf::from(r"C:\jobs\%TEMP%"));
        let error = xml(&job).expect_err("a percent");
        assert!(error.to_string().contains("holds a `%`"), "{error}");
    }

    #[test]
    fn the_file_is_utf16_with_a_bom_and_decodes_back() {
        let xml = xml(&job()).expect("xml");
        let bytes = utf16(&xml);
        assert_eq!(&bytes[..4], &[0xFF, 0xFE, b'<', 0]);
        assert_eq!(decode(&bytes), xml);
        assert_eq!(decode(xml.as_bytes()), xml);
    }

    #[test]
    fn watch_starts_at_logon_without_a_time_limit() {
        let mut job = job();
        job.kind = Kind::Watch;
        let xml = xml(&job).expect("xml");
        assert!(
            xml.contains("<LogonTrigger>") && !xml.contains("<TimeTrigger>"),
            "{xml}"
        );
        assert_eq!(element(&xml, "ExecutionTimeLimit").as_deref(), Some("PT0S"));
        assert!(
            element(&xml, "Arguments").is_some_and(|a| a.ends_with("watch --interval-secs 600"))
        );
    }
}
