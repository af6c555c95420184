//! The file of variables that the scheduled command needs (webhook URLs, the client secret, the
//! `UPJOBPILOT_*` folders), read by systemd's `EnvironmentFile=` and sourced by the cron line.
//!
//! One format serves both: `NAME='value'` lines, which systemd parses with the shell's quoting
//! rules and `sh` runs as assignments (the cron line sources it under `set -a`, so they are
//! exported). `install` writes it with mode 0600: the values are secrets.

use super::job::Variable;
use super::quote::shell_word;

/// The file's content; with `reveal` false every value is a placeholder (for `--dry-run`).
pub fn render(variables: &[Variable], reveal: bool) -> String {
    let mut text = String::from(
        "# The environment of the scheduled upjobpilot: systemd's EnvironmentFile= and the crontab line\n\
         # read it. Written by `upjobpilot schedule install` (mode 0600) from its own environment.\n",
    );
    for variable in variables {
        let value = if reveal {
            shell_word(variable.value.expose())
        } else {
            format!("<the value of ${} at install>", variable.name)
        };
        text.push_str(&format!("{}={value}\n", variable.name));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    #[cfg_attr(windows, ignore = "runs sh, which Windows lacks")]
    fn values_come_back_whole_from_sh() {
        let value = "https://hooks.example/T0/B1?x=1&y='2' $HOME 100% \"q\"";
        let variables = [Variable {
            name: "HOOK".into(),
            value: Secret::new(value),
        }];
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("schedule.env");
        std::fs::write(&file, render(&variables, true)).expect("write");
        let output = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg("set -a && . \"$0\" && sh -c 'printf %s \"$HOOK\"'")
            .arg(&file)
            .env_clear()
            .output()
            .expect("sh runs");
        assert_eq!(String::from_utf8_lossy(&output.stdout), value, "{output:?}");
    }

    #[test]
    fn a_dry_run_shows_no_value() {
        let variables = [Variable {
            name: "HOOK".into(),
            value: Secret::new("https://secret.example/token"),
        }];
        let text = render(&variables, false);
        assert!(!text.contains("secret.example"), "{text}");
        assert!(
            text.contains("HOOK=<the value of $HOOK at install>"),
            "{text}"
        );
    }
}
