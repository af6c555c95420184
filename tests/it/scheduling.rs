//! The scheduling examples in `contrib/`, run as cron and systemd would run them: the crontab
//! line through `sh` with cron's bare environment, the service's `ExecStart` in its
//! `WorkingDirectory`, the units through `systemd-analyze verify` where it is installed, and
//! `SuccessExitStatus` against the exit statuses that resolve on the next run.

use crate::support::harness;
use std::path::Path;
use std::process::Command;
use upjobpilot::exit::Exit;

/// One search over the sandbox's whole history (three days).
const SEARCHES: &str = crate::support::RUST_SEARCH;

fn contrib(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("contrib")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A home folder laid out as the examples expect: the binary in `~/.cargo/bin`, the project
/// (the harness's folder, with its `pipeline.toml`) at `~/jobs`.
fn home_for(project: &Path) -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("tempdir");
    let bin = home.path().join(".cargo/bin");
    std::fs::create_dir_all(&bin).expect("bin");
    std::os::unix::fs::symlink(
        assert_cmd::cargo::cargo_bin("upjobpilot"),
        bin.join("upjobpilot"),
    )
    .expect("link the binary");
    std::os::unix::fs::symlink(project, home.path().join("jobs")).expect("link the project");
    home
}

/// The value of `key=` in a unit file, with `%h` expanded.
fn unit_value(unit: &str, key: &str, home: &Path) -> String {
    unit.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in the unit"))
        .replace("%h", &home.display().to_string())
}

#[test]
fn the_crontab_line_syncs_quietly_with_crons_environment() {
    let h = harness(41, SEARCHES);
    let home = home_for(h.dir.path());
    let text = contrib("crontab");
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .expect("a crontab line");
    let fields: Vec<&str> = line.splitn(6, ' ').collect();
    assert_eq!(fields.len(), 6, "five time fields and a command: {line}");
    assert_eq!(
        &fields[..5],
        ["*/10", "*", "*", "*", "*"],
        "every 10 minutes"
    );
    // cron runs the command with `sh -c` and little more than HOME, SHELL, PATH and LOGNAME.
    let output = Command::new("/bin/sh")
        .arg("-c")
        .arg(fields[5])
        .env_clear()
        .env("HOME", home.path())
        .env("SHELL", "/bin/sh")
        .env("PATH", "/usr/bin:/bin")
        .env("LOGNAME", "cron")
        .env("UPJOBPILOT_TOKEN_FILE", h.store.path())
        .output()
        .expect("sh runs");
    assert!(output.status.success(), "{output:?}");
    assert!(
        output.stdout.is_empty() && output.stderr.is_empty(),
        "cron mails any output, so a good run prints nothing: {output:?}"
    );
    assert_eq!(h.hits("rust"), h.expected("rust"));
}

/// Runs the service's `ExecStart` as systemd would: in `WorkingDirectory`, with `%h` expanded
/// and a bare environment.
fn run_service(unit: &str, home: &Path, token_file: &Path) -> std::process::Output {
    let exec = unit_value(unit, "ExecStart", home);
    let mut words = exec.split_whitespace();
    Command::new(words.next().expect("a program"))
        .args(words)
        .current_dir(unit_value(unit, "WorkingDirectory", home))
        .env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/bin:/bin")
        .env("UPJOBPILOT_TOKEN_FILE", token_file)
        .output()
        .expect("the service's command runs")
}

#[test]
fn the_service_logs_json_and_a_partial_run_counts_as_success() {
    use upwork_sandbox::FaultKind;
    let h = crate::support::harness_with(42, SEARCHES, |config| {
        config.faults.schedule = (2..=30).map(|n| (n, FaultKind::ServerError(503))).collect();
    });
    let home = home_for(h.dir.path());
    let unit = contrib("upjobpilot-sync.service");
    let success: Vec<i32> = unit_value(&unit, "SuccessExitStatus", home.path())
        .split_whitespace()
        .map(|s| s.parse().expect("a number"))
        .collect();

    // The search runs out of retries: partial, which the unit counts as success, and the
    // error reaches the journal as JSON.
    let output = run_service(&unit, home.path(), h.store.path());
    assert_eq!(
        output.status.code(),
        Some(i32::from(Exit::Partial.code())),
        "{output:?}"
    );
    assert!(success.contains(&i32::from(Exit::Partial.code())));
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert!(!stderr.is_empty(), "the failed search is logged");
    for line in stderr.lines() {
        let value: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        assert!(value["level"].is_string(), "{line}");
    }

    // The next run completes it, silently.
    h.sandbox.set_faults(Default::default());
    let output = run_service(&unit, home.path(), h.store.path());
    assert!(output.status.success(), "{output:?}");
    assert!(
        output.stdout.is_empty() && output.stderr.is_empty(),
        "{output:?}"
    );
    assert_eq!(h.hits("rust"), h.expected("rust"));
}

#[test]
fn the_service_counts_exactly_the_statuses_that_resolve_on_the_next_run_as_success() {
    let unit = contrib("upjobpilot-sync.service");
    let mut listed: Vec<u8> = unit_value(&unit, "SuccessExitStatus", Path::new("/"))
        .split_whitespace()
        .map(|s| s.parse().expect("a number"))
        .collect();
    listed.sort_unstable();
    assert_eq!(
        listed,
        [
            Exit::Partial.code(),
            Exit::Locked.code(),
            Exit::Spooled.code()
        ]
    );

    // A run while another holds the lock exits with one of them.
    let h = harness(43, SEARCHES);
    let home = home_for(h.dir.path());
    let _held = upjobpilot::pipeline::lock(&h.db_path(), std::time::Duration::ZERO).expect("lock");
    let output = run_service(&unit, home.path(), h.store.path());
    assert_eq!(
        output.status.code(),
        Some(i32::from(Exit::Locked.code())),
        "{output:?}"
    );
}

/// `systemd-analyze verify --user` on the three units, with a home where `ExecStart` exists. Skipped
/// (with a note on stderr) where systemd-analyze is not installed.
#[test]
fn the_systemd_units_pass_systemd_analyze_verify() {
    let Ok(probe) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("systemd-analyze is not installed: unit verification skipped");
        return;
    };
    assert!(probe.status.success());
    let project = tempfile::tempdir().expect("tempdir");
    let home = home_for(project.path());
    let units = tempfile::tempdir().expect("tempdir");
    let runtime = tempfile::tempdir().expect("tempdir");
    let names = [
        "upjobpilot-sync.service",
        "upjobpilot-sync.timer",
        "upjobpilot-watch.service",
    ];
    for name in names {
        std::fs::write(units.path().join(name), contrib(name)).expect("copy");
    }
    let output = Command::new("systemd-analyze")
        .args(["verify", "--user"])
        .args(names.map(|name| units.path().join(name)))
        .env("HOME", home.path())
        .env("XDG_RUNTIME_DIR", runtime.path())
        .output()
        .expect("systemd-analyze runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    // Unknown keys and bad values are only warnings: none is allowed.
    assert!(
        !stderr.contains("upjobpilot-"),
        "warnings about the units: {stderr}"
    );
}
