//! `upjobpilot watch`, black-box: it prints its request budget and refuses one over the daily
//! budget, polls on its interval, and on SIGTERM finishes the poll in progress and exits 0, as
//! systemd stops the service in `contrib/`.

use crate::support::process::{Running, exits_within, line_starting, start, terminate};
use crate::support::{Harness, harness};
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;
use upwork_sandbox::{FaultConfig, FaultKind};

const SEARCHES: &str = r#"
[[search]]
name = "all"
max_age_hours = 1
"#;

/// `upjobpilot watch ARGS` on the harness.
fn watch(h: &Harness, home: &Path, args: &[&str]) -> (Running, mpsc::Receiver<String>) {
    start(h, home, "watch", args)
}

#[test]
fn watch_polls_on_its_interval_and_stops_on_sigterm_between_polls() {
    let h = harness(51, SEARCHES);
    let home = tempfile::tempdir().expect("tempdir");
    let (mut child, lines) = watch(&h, home.path(), &["--interval-secs", "10", "--no-export"]);
    let budget = line_starting(&lines, "watching", Duration::from_secs(30));
    assert!(
        budget.contains("8640 requests a day"),
        "one search every 10 s: {budget}"
    );
    let first = line_starting(&lines, "poll 1:", Duration::from_secs(60));
    assert!(!first.starts_with("poll 1: 0 new"), "{first}");
    h.sandbox.advance(Duration::from_secs(600));
    line_starting(&lines, "poll 2:", Duration::from_secs(30));
    terminate(&child);
    let status = exits_within(&mut child, Duration::from_secs(5));
    assert!(status.success(), "{status:?}");
    assert!(h.count("SELECT count(*) FROM jobs") > 0);
}

#[test]
fn sigterm_during_a_poll_lets_it_finish_then_exits_0() {
    let h = harness(52, SEARCHES);
    h.sandbox.set_faults(FaultConfig {
        seed: 1,
        rate: 1.0,
        kinds: vec![FaultKind::Latency(Duration::from_millis(1500))],
        schedule: Vec::new(),
    });
    let home = tempfile::tempdir().expect("tempdir");
    let (mut child, lines) = watch(&h, home.path(), &["--interval-secs", "600", "--no-export"]);
    line_starting(&lines, "watching", Duration::from_secs(30));
    // The first request is held back 1.5 s: the poll is in progress.
    std::thread::sleep(Duration::from_millis(500));
    terminate(&child);
    let poll = line_starting(&lines, "poll 1:", Duration::from_secs(60));
    let status = exits_within(&mut child, Duration::from_secs(5));
    assert!(status.success(), "{status:?}");
    let stored = h.count("SELECT count(*) FROM jobs");
    assert!(
        poll.starts_with(&format!("poll 1: {stored} new")),
        "the poll finished its load: {poll}, {stored} stored"
    );
}

#[test]
fn an_interval_over_the_daily_budget_is_refused_with_the_shortest_that_fits() {
    let h = harness(53, SEARCHES);
    let home = tempfile::tempdir().expect("tempdir");
    let output = Command::new(assert_cmd::cargo::cargo_bin("upjobpilot"))
        .env_clear()
        .env("HOME", home.path())
        .env("UPJOBPILOT_TOKEN_FILE", h.store.path())
        .args(["watch", "--interval-secs", "10", "--daily-budget", "1000"])
        .arg("--config")
        .arg(h.dir.path().join("pipeline.toml"))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("8640 requests a day"), "{stderr}");
    assert!(stderr.contains("--interval-secs 108"), "{stderr}");
    assert_eq!(h.graphql_requests(), 0, "nothing fetched");
}

/// Without `--interval-secs`, `watch` chooses the shortest interval, 15 s or more, at which its
/// polls (the search and, at worst, the new postings' signals: 2 requests) take at most a quarter
/// of the daily budget, and says so (issue 23: alerts in seconds).
#[test]
fn without_an_interval_watch_chooses_one_from_the_budget_and_prints_it() {
    let h = harness(55, SEARCHES);
    let home = tempfile::tempdir().expect("tempdir");
    for (budget, expected) in [
        (
            None,
            "every 18 s (the default for this budget): about 4800 requests a day",
        ),
        (
            Some("1000"),
            "every 692 s (the default for this budget): about 125 requests a day",
        ),
    ] {
        let mut args = vec!["--no-export"];
        if let Some(budget) = budget {
            args.extend(["--daily-budget", budget]);
        }
        let (mut child, lines) = watch(&h, home.path(), &args);
        let printed = line_starting(&lines, "watching", Duration::from_secs(30));
        assert!(printed.contains(expected), "{printed}");
        line_starting(&lines, "poll 1:", Duration::from_secs(60));
        terminate(&child);
        let status = exits_within(&mut child, Duration::from_secs(10));
        assert!(status.success(), "{status:?}");
    }
}

/// `serve` alone finishes on SIGTERM and on SIGHUP (the terminal closing) with exit 0 and its
/// port closed, rather than dying by the signal (issue 21: one stop signal for every system).
#[test]
fn serve_stops_on_sigterm_and_sighup_with_exit_zero() {
    let h = harness(54, SEARCHES);
    let home = tempfile::tempdir().expect("tempdir");
    for signal in [libc::SIGTERM, libc::SIGHUP] {
        let (mut child, lines) = start(&h, home.path(), "serve", &["--port", "0"]);
        let dashboard = line_starting(&lines, "upjobpilot dashboard:", Duration::from_secs(30));
        let url = dashboard
            .trim_start_matches("upjobpilot dashboard:")
            .trim()
            .to_string();
        reqwest::blocking::get(&url).expect("the dashboard answers");
        let Running(process) = &child;
        // SAFETY: kill(2) on the pid of a child we spawned and have not reaped.
        assert_eq!(
            unsafe { libc::kill(process.id() as libc::pid_t, signal) },
            0
        );
        let status = exits_within(&mut child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(0), "signal {signal}: {status:?}");
        assert!(reqwest::blocking::get(&url).is_err(), "the port is closed");
    }
}

/// `serve --watch`: one program for the dashboard and the syncs. The dashboard answers while
/// the polls run, shows what they stored, and SIGTERM ends both, exit 0, port closed.
#[test]
fn serve_with_watch_answers_while_it_syncs_and_stops_on_sigterm() {
    let h = harness(53, SEARCHES);
    let home = tempfile::tempdir().expect("tempdir");
    let (mut child, lines) = start(
        &h,
        home.path(),
        "serve",
        &["--watch", "--port", "0", "--interval-secs", "10"],
    );
    let dashboard = line_starting(&lines, "upjobpilot dashboard:", Duration::from_secs(30));
    let url = dashboard
        .trim_start_matches("upjobpilot dashboard:")
        .trim()
        .trim_end_matches('/')
        .to_string();
    line_starting(&lines, "poll 1:", Duration::from_secs(60));
    let body: serde_json::Value = reqwest::blocking::Client::new()
        .get(format!("{url}/api/postings"))
        .send()
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.json())
        .expect("the dashboard answers while watching");
    assert!(
        body["page"]["total"].as_i64().is_some_and(|n| n > 0),
        "it shows what the poll stored: {body}"
    );
    terminate(&child);
    let status = exits_within(&mut child, Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
    assert!(
        reqwest::blocking::get(format!("{url}/api/postings")).is_err(),
        "the dashboard stopped with the syncs"
    );
}
