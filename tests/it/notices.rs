//! Health notices end to end: the real binary syncing from the sandbox, `[notify]` delivering to
//! a webhook receiver on 127.0.0.1 or to a command that appends what it reads to a file.
//! Invariants: a condition is sent once when it starts and once when it clears, each occurrence
//! under its own idempotency key (`:resolved` appended for its end); nothing is sent twice but
//! the one message in flight when the process died, with the same key; a notice never changes a
//! sync's exit status.

use crate::alerts::{ALL_POSTINGS as SEARCH, command, skip_backoff};
use crate::support::receiver::{Received, Receiver};
use crate::support::{Harness, harness};
use std::path::Path;
use std::time::Duration;
use upwork_sandbox::{FaultConfig, FaultKind};

/// Runs `sync`; its exit status and stderr.
fn sync(h: &Harness, home: &Path, receiver: &Receiver) -> (Option<i32>, String) {
    let output = command(h, home, receiver, &["sync", "--no-export"])
        .output()
        .expect("sync runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

/// The notices a receiver accepted, as JSON, checking that header and body carry one key.
fn notices(received: &[Received]) -> Vec<serde_json::Value> {
    received
        .iter()
        .filter(|r| r.answered == 200)
        .map(Received::json)
        .filter(|body| body["kind"] == "notice")
        .inspect(|body| assert!(body["idempotency_key"].is_string(), "{body}"))
        .collect()
}

/// The notices a command wrote, one JSON document a line.
fn written(file: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// A `[notify]` command appending each notice it reads to `file`, one a line.
fn to_file(file: &Path, extra: &str) -> String {
    format!(
        "\n[notify]\ncommand = [\"sh\", \"-c\", \"cat >> '{file}'; echo >> '{file}'\"]\nmin_free_mb = 0\n{extra}\n",
        file = file.display()
    )
}

/// `alerts status --json`'s notices.
fn open_now(h: &Harness, home: &Path, receiver: &Receiver) -> Vec<serde_json::Value> {
    let output = command(h, home, receiver, &["alerts", "status", "--json"])
        .output()
        .expect("alerts status");
    assert!(output.status.success(), "{output:?}");
    let status: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    status["notices"].as_array().expect("notices").clone()
}

#[test]
fn a_revoked_sign_in_is_one_notice_and_signing_in_again_one_resolved() {
    let notify = "\n[notify]\nwebhook_env = \"HOOK_URL\"\nmin_free_mb = 0\n";
    let h = harness(61, &format!("{SEARCH}{notify}"));
    let home = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start();
    assert_eq!(sync(&h, home.path(), &receiver).0, Some(0));
    assert!(notices(&receiver.received()).is_empty(), "all is well");

    h.sandbox.revoke_all();
    for _ in 0..3 {
        h.sandbox.advance(Duration::from_secs(60));
        let (status, stderr) = sync(&h, home.path(), &receiver);
        assert_eq!(status, Some(5), "the auth status, notice or not: {stderr}");
    }
    let sent = notices(&receiver.received());
    assert_eq!(sent.len(), 1, "one notice for the whole outage: {sent:?}");
    let open = &sent[0];
    assert_eq!(open["notice"], "sign_in");
    assert_eq!(open["state"], "open");
    assert!(
        open["text"]
            .as_str()
            .expect("text")
            .contains("upjobpilot auth login"),
        "{open}"
    );
    let key = open["idempotency_key"].as_str().expect("key").to_string();
    assert!(key.starts_with("upjobpilot:notice:sign_in:"), "{key}");
    let request = &receiver.received()[0];
    assert_eq!(request.header("idempotency-key"), Some(key.as_str()));
    let listed = open_now(&h, home.path(), &receiver);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["key"], key.as_str());
    assert_eq!(listed[0]["delivered"], true);

    h.sign_in_again();
    for _ in 0..2 {
        h.sandbox.advance(Duration::from_secs(60));
        assert_eq!(sync(&h, home.path(), &receiver).0, Some(0));
    }
    let sent = notices(&receiver.received());
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[1]["notice"], "sign_in");
    assert_eq!(sent[1]["state"], "resolved");
    assert_eq!(
        sent[1]["idempotency_key"],
        format!("{key}:resolved").as_str()
    );
    assert!(open_now(&h, home.path(), &receiver).is_empty());
}

#[test]
fn a_rule_failing_is_one_notice_and_its_recovery_one_resolved() {
    let out = tempfile::tempdir().expect("tempdir");
    let file = out.path().join("notices.jsonl");
    let rule = "\n[[alert]]\nname = \"broken\"\nwebhook_env = \"HOOK_URL\"\ntimeout_secs = 1\n";
    let h = harness(62, &format!("{SEARCH}{rule}{}", to_file(&file, "")));
    let home = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start();
    receiver.echo_path_with(Some(500));
    // Ten failed deliveries in a row make a rule failing; each sync tries once (a 500 is a
    // channel that is down), and the backoff is skipped as the minutes between syncs would.
    for _ in 0..13 {
        h.sandbox.advance(Duration::from_secs(5 * 60));
        let (status, stderr) = sync(&h, home.path(), &receiver);
        assert!(matches!(status, Some(0 | 3)), "{stderr}");
        skip_backoff(&h);
    }
    let sent = written(&file);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["notice"], "rule_failing");
    assert_eq!(sent[0]["subject"], "broken");
    assert_eq!(sent[0]["state"], "open");
    let key = sent[0]["idempotency_key"]
        .as_str()
        .expect("key")
        .to_string();
    assert!(
        key.starts_with("upjobpilot:notice:rule_failing:broken:"),
        "{key}"
    );

    receiver.echo_path_with(None);
    skip_backoff(&h);
    for _ in 0..2 {
        h.sandbox.advance(Duration::from_secs(60));
        sync(&h, home.path(), &receiver);
    }
    let sent = written(&file);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[1]["state"], "resolved");
    assert_eq!(
        sent[1]["idempotency_key"],
        format!("{key}:resolved").as_str()
    );
}

#[test]
fn a_search_broken_for_n_runs_is_one_notice() {
    let out = tempfile::tempdir().expect("tempdir");
    let file = out.path().join("notices.jsonl");
    let h = harness(
        63,
        &format!("{SEARCH}{}", to_file(&file, "search_failures = 2")),
    );
    let home = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start();
    assert_eq!(sync(&h, home.path(), &receiver).0, Some(0));
    // Every answer an `errors` array: the search fails, run after run.
    h.sandbox.set_faults(FaultConfig {
        rate: 1.0,
        kinds: vec![FaultKind::GraphqlError { partial: false }],
        ..FaultConfig::none()
    });
    let (status, stderr) = sync(&h, home.path(), &receiver);
    assert_eq!(
        status,
        Some(3),
        "a failed search is a partial sync: {stderr}"
    );
    assert!(written(&file).is_empty(), "one failure is not yet N");
    for _ in 0..3 {
        h.sandbox.advance(Duration::from_secs(60));
        assert_eq!(sync(&h, home.path(), &receiver).0, Some(3));
    }
    let sent = written(&file);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["notice"], "search_failing");
    assert_eq!(sent[0]["subject"], "all");
    assert!(
        sent[0]["title"]
            .as_str()
            .expect("title")
            .contains("2 syncs in a row"),
        "{}",
        sent[0]
    );

    h.sandbox.set_faults(FaultConfig::none());
    h.sandbox.advance(Duration::from_secs(60));
    assert_eq!(sync(&h, home.path(), &receiver).0, Some(0));
    let sent = written(&file);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[1]["state"], "resolved");
    assert_eq!(
        sent[1]["idempotency_key"],
        format!(
            "{}:resolved",
            sent[0]["idempotency_key"].as_str().expect("key")
        )
        .as_str()
    );
}

#[test]
fn the_budget_and_the_disk_are_reported_once_each() {
    let out = tempfile::tempdir().expect("tempdir");
    let file = out.path().join("notices.jsonl");
    // A budget of one request, and a petabyte that must stay free: both start at once.
    let notify = to_file(&file, "daily_budget = 1\nbudget_percent = 100")
        .replace("min_free_mb = 0", "min_free_mb = 1000000000");
    let h = harness(64, &format!("{SEARCH}{notify}"));
    let home = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start();
    for _ in 0..3 {
        h.sandbox.advance(Duration::from_secs(60));
        assert_eq!(sync(&h, home.path(), &receiver).0, Some(0));
    }
    let mut sent: Vec<String> = written(&file)
        .iter()
        .map(|n| format!("{} {} {}", n["notice"], n["subject"], n["state"]))
        .collect();
    sent.sort();
    assert_eq!(
        sent,
        vec![
            "\"budget\" \"\" \"open\"".to_string(),
            "\"disk_space\" \"database\" \"open\"".to_string()
        ],
        "the database and the spool share a disk: one notice for it"
    );
}

#[test]
fn a_refresh_token_near_its_end_is_reported_until_a_refresh_renews_it() {
    let out = tempfile::tempdir().expect("tempdir");
    let file = out.path().join("notices.jsonl");
    let h = harness(66, &format!("{SEARCH}{}", to_file(&file, "")));
    let home = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start();
    // Issued 13 days ago, its access token still good: this sync does not renew it.
    h.sign_in_issued_at(chrono::Utc::now() - chrono::Duration::days(13));
    assert_eq!(sync(&h, home.path(), &receiver).0, Some(0));
    let sent = written(&file);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["notice"], "refresh_expiring");
    assert!(
        sent[0]["text"]
            .as_str()
            .expect("text")
            .contains("upjobpilot sync")
    );
    h.sandbox.advance(Duration::from_secs(60));
    assert_eq!(sync(&h, home.path(), &receiver).0, Some(0));
    assert_eq!(written(&file).len(), 1, "sent once");
    h.sign_in_again();
    assert_eq!(sync(&h, home.path(), &receiver).0, Some(0));
    let sent = written(&file);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[1]["state"], "resolved");
}

#[test]
fn a_kill_between_sending_a_notice_and_its_bookkeeping_resends_it_with_the_same_key() {
    let out = tempfile::tempdir().expect("tempdir");
    let (file, marker) = (out.path().join("notices.jsonl"), out.path().join("killed"));
    // The command delivers, then (the first time only) kills upjobpilot with SIGKILL before it
    // can record the delivery: its parent is upjobpilot, since commands run without a shell.
    let notify = format!(
        "\n[notify]\ncommand = [\"sh\", \"-c\", \"cat >> '{file}'; echo >> '{file}'; if [ ! -e '{marker}' ]; then touch '{marker}'; kill -9 $PPID; fi\"]\nmin_free_mb = 1000000000\n",
        file = file.display(),
        marker = marker.display()
    );
    let h = harness(65, &format!("{SEARCH}{notify}"));
    let home = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start();
    assert_eq!(
        sync(&h, home.path(), &receiver).0,
        None,
        "killed by a signal"
    );
    assert!(marker.exists());
    assert_eq!(written(&file).len(), 1);
    for _ in 0..3 {
        h.sandbox.advance(Duration::from_secs(60));
        assert_eq!(sync(&h, home.path(), &receiver).0, Some(0));
    }
    let sent = written(&file);
    assert_eq!(
        sent.len(),
        2,
        "the one message in flight, once more: {sent:?}"
    );
    assert_eq!(sent[0]["notice"], "disk_space");
    assert_eq!(
        sent[0]["idempotency_key"], sent[1]["idempotency_key"],
        "the repeat carries the same key"
    );
    assert_eq!(sent[0]["opened_at"], sent[1]["opened_at"]);
}
