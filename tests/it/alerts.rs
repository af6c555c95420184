//! Alerts end to end: the real binary syncing from the sandbox's moving market and delivering to
//! a webhook receiver on 127.0.0.1 (the webhook URL reaches the binary through its environment
//! only, as it would in a user's crontab), with faults on both sides. Invariants: every matching
//! new posting reaches the receiver under exactly one idempotency key, nothing else does, a rule's
//! first sync sends one digest, a failing rule is reported without changing the exit status, the
//! URL's secret parts never reach the log, and each format's payload has what its API requires.

use crate::support::receiver::{Faults, Received, Receiver};
use crate::support::{Harness, harness};
use assert_cmd::Command;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;
use upjobpilot::alerts::payload::{self, Message, Posting};
use upjobpilot::config::WebhookFormat;
use upwork_sandbox::{FaultConfig, FaultKind};

/// The secret parts of the webhook URL, which must never be logged.
const SECRET_PATH: &str = "SECRETPATH9f3a";
const SECRET_QUERY: &str = "SECRETQUERY77b1";

/// The binary on the harness's config and tokens, with nothing of the developer's environment
/// but PATH, and the webhook URL in `HOOK_URL`.
fn upjobpilot(h: &Harness, home: &Path, receiver: &Receiver, args: &[&str]) -> Command {
    Command::from_std(command(h, home, receiver, args))
}

/// [`upjobpilot`] as a process to start and wait for.
pub(crate) fn command(
    h: &Harness,
    home: &Path,
    receiver: &Receiver,
    args: &[&str],
) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_upjobpilot"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("UPJOBPILOT_DATA_DIR", home.join("data"))
        .env("UPJOBPILOT_TOKEN_FILE", h.store.path())
        .env(
            "HOOK_URL",
            format!("{}/hook/{SECRET_PATH}?token={SECRET_QUERY}", receiver.url()),
        )
        .args(args)
        .arg("--config")
        .arg(h.dir.path().join("pipeline.toml"));
    cmd
}

/// Runs `sync`; its stderr. Partial syncs (status 3) are expected under faults; anything else
/// but success fails the test.
fn sync(h: &Harness, home: &Path, receiver: &Receiver) -> String {
    let output = upjobpilot(h, home, receiver, &["sync", "--no-export"])
        .output()
        .expect("sync runs");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(
        matches!(output.status.code(), Some(0 | 3)),
        "sync: {:?}\n{stderr}",
        output.status
    );
    assert!(
        !stderr.contains(SECRET_PATH) && !stderr.contains(SECRET_QUERY),
        "the webhook URL reached the log:\n{stderr}"
    );
    stderr
}

fn ids(h: &Harness, sql: &str) -> BTreeSet<String> {
    h.column(sql)
}

/// Per posting id, the idempotency keys of the accepted JSON requests of `rule` that carried it.
fn keys_per_posting(received: &[Received], rule: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for request in received {
        let body = request.json();
        if body["rule"] != rule {
            continue;
        }
        let key = body["idempotency_key"].as_str().expect("key").to_string();
        assert_eq!(
            request.header("idempotency-key"),
            Some(key.as_str()),
            "the header and the field carry the same key"
        );
        for posting in body["postings"].as_array().expect("postings") {
            let id = posting["id"].as_str().expect("id").to_string();
            out.entry(id).or_default().insert(key.clone());
        }
    }
    out
}

/// Lets every backoff pass, as the minutes between two scheduled syncs do.
pub(crate) fn skip_backoff(h: &Harness) {
    h.db()
        .execute_batch("UPDATE alerts_sent SET next_attempt_at = NULL WHERE status = 'failed'")
        .expect("skip backoff");
}

pub(crate) const ALL_POSTINGS: &str = r#"
[[search]]
name = "all"
max_age_hours = 2
page_size = 100
"#;

#[test]
fn matching_new_postings_arrive_once_each_through_faults_on_both_sides() {
    let rules = r#"
[[alert]]
name = "hourly"
job_type = "hourly"
webhook_env = "HOOK_URL"
timeout_secs = 1
max_per_hour = 3600

[[alert]]
name = "good-fit"
searches = ["all"]
min_fit_score = 30
webhook_env = "HOOK_URL"
digest = true
max_postings = 5
timeout_secs = 1
max_per_hour = 3600
"#;
    let h = harness(41, &format!("{ALL_POSTINGS}{rules}"));
    let home = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start();

    // The first sync: each rule's flood guard sends one digest.
    sync(&h, home.path(), &receiver);
    let first = ids(&h, "SELECT id FROM jobs");
    assert!(
        first.len() > 20,
        "a first sync of two hours: {}",
        first.len()
    );
    let flood = receiver.accepted();
    assert_eq!(flood.len(), 2, "one digest per rule: {flood:?}");

    h.sandbox.set_faults(FaultConfig {
        seed: 41,
        rate: 0.3,
        kinds: vec![
            FaultKind::ServerError(500),
            FaultKind::ServerError(503),
            FaultKind::Latency(Duration::from_millis(2500)),
            FaultKind::DropConnection,
            FaultKind::TooManyRequests { retry_after: None },
        ],
        schedule: Vec::new(),
    });
    receiver.set_faults(Faults {
        rate: 0.3,
        delay: Duration::from_millis(1500),
        seed: 41,
    });
    let mut failed_seen = false;
    for _ in 0..10 {
        h.sandbox.advance(Duration::from_secs(15 * 60));
        sync(&h, home.path(), &receiver);
        // Backoff: a failed delivery waits, it is not retried by a sync straight after.
        let waiting = h.count(
            "SELECT count(*) FROM alerts_sent WHERE status = 'failed' AND (next_attempt_at IS NULL OR next_attempt_at <= sent_at OR next_attempt_at <= queued_at)",
        );
        assert_eq!(waiting, 0, "every failed delivery has a later next attempt");
        failed_seen |= h.count("SELECT count(*) FROM alerts_sent WHERE status = 'failed'") > 0;
        skip_backoff(&h);
    }
    assert!(
        failed_seen,
        "the receiver's faults made some deliveries fail"
    );

    h.sandbox.set_faults(FaultConfig::none());
    receiver.set_faults(Faults::none());
    for _ in 0..3 {
        skip_backoff(&h);
        sync(&h, home.path(), &receiver);
    }
    assert_eq!(
        h.count("SELECT count(*) FROM alerts_sent WHERE status IN ('pending', 'failed')"),
        0,
        "everything delivered once the faults stop"
    );

    let received = receiver.accepted();
    let new = |sql: &str| -> BTreeSet<String> {
        ids(&h, sql)
            .into_iter()
            .filter(|id| !first.contains(id))
            .collect()
    };
    // "hourly": one message per posting, each under one key, exactly the new hourly postings.
    let hourly = keys_per_posting(&received, "hourly");
    let expected = new("SELECT id FROM jobs WHERE job_type = 'HOURLY'");
    assert!(expected.len() > 10, "{}", expected.len());
    let delivered: BTreeSet<String> = hourly
        .keys()
        .filter(|id| !first.contains(*id))
        .cloned()
        .collect();
    assert_eq!(delivered, expected, "exactly the matching new postings");
    for (id, keys) in &hourly {
        assert_eq!(keys.len(), 1, "{id} arrived under several keys: {keys:?}");
    }
    // "good-fit": one digest per sync of the best 5; with the rest recorded as suppressed,
    // every match is accounted for once; the scores are those of the fit_score view.
    upjobpilot(&h, home.path(), &receiver, &["export"])
        .assert()
        .success();
    let expected = new("SELECT id FROM fit_score WHERE fit_score >= 30");
    let recorded = new("SELECT job_id FROM alerts_sent WHERE rule = 'good-fit'");
    assert_eq!(recorded, expected, "the rule's matches are the view's");
    let good = keys_per_posting(&received, "good-fit");
    let sent = new("SELECT job_id FROM alerts_sent WHERE rule = 'good-fit' AND status = 'sent'");
    let delivered: BTreeSet<String> = good
        .keys()
        .filter(|id| !first.contains(*id))
        .cloned()
        .collect();
    assert_eq!(delivered, sent);
    for (id, keys) in &good {
        assert_eq!(keys.len(), 1, "{id} arrived in several digests: {keys:?}");
    }
    for request in received.iter().filter(|r| r.json()["rule"] == "good-fit") {
        assert!(
            request.json()["postings"]
                .as_array()
                .expect("postings")
                .len()
                <= 5
        );
    }
}

#[test]
fn the_first_sync_of_a_rule_sends_one_digest_of_the_best_and_the_hourly_cap_holds() {
    let searches = r#"
[[search]]
name = "all"
max_age_hours = 8
page_size = 100
"#;
    let rules = r#"
[[alert]]
name = "everything"
webhook_env = "HOOK_URL"
max_postings = 7
max_per_hour = 3
"#;
    let h = harness(42, &format!("{searches}{rules}"));
    let home = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start();
    sync(&h, home.path(), &receiver);
    let stored = h.count("SELECT count(*) FROM jobs");
    assert!(stored >= 300, "a first sync of eight hours: {stored}");
    let received = receiver.accepted();
    assert_eq!(received.len(), 1, "one message, not {stored}");
    let body = received[0].json();
    assert_eq!(body["digest"], true);
    let postings = body["postings"].as_array().expect("postings");
    assert_eq!(postings.len(), 7);
    let scores: Vec<f64> = postings
        .iter()
        .map(|p| p["fit_score"].as_f64().expect("score"))
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
    let best = h.count("SELECT max(fit_score)::BIGINT FROM alerts_sent");
    assert_eq!(scores[0].round() as i64, best, "the best of all matches");
    assert_eq!(
        h.count("SELECT count(*) FROM alerts_sent WHERE status = 'suppressed'"),
        stored - 7
    );

    // Then one message per new posting, up to the hourly cap of 3; past it, one digest.
    h.sandbox.advance(Duration::from_secs(60));
    let before = h.count("SELECT count(*) FROM jobs");
    sync(&h, home.path(), &receiver);
    let new = h.count("SELECT count(*) FROM jobs") - before;
    let messages = receiver.accepted().len() - 1;
    if new <= 2 {
        assert_eq!(messages as i64, new);
    } else {
        assert_eq!(messages, 1, "{new} new postings over the cap: one digest");
    }
    h.sandbox.advance(Duration::from_secs(30 * 60));
    sync(&h, home.path(), &receiver);
    let total = receiver.accepted().len();
    assert!(
        total <= 4,
        "at most 3 messages within the hour: {total} in all"
    );
    assert!(
        h.count("SELECT count(*) FROM alerts_sent WHERE last_error LIKE 'hourly cap%'") > 0,
        "the cap recorded what it held back"
    );
}

#[test]
fn a_rule_that_keeps_failing_is_reported_and_the_sync_still_succeeds() {
    let rules = r#"
[[alert]]
name = "broken"
webhook_env = "HOOK_URL"
timeout_secs = 1
"#;
    let h = harness(43, &format!("{ALL_POSTINGS}{rules}"));
    let home = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start();
    receiver.set_faults(Faults {
        rate: 1.0,
        delay: Duration::from_millis(1500),
        seed: 3,
    });
    let mut stderr = String::new();
    for _ in 0..12 {
        h.sandbox.advance(Duration::from_secs(5 * 60));
        stderr = sync(&h, home.path(), &receiver);
        skip_backoff(&h);
        if stderr.contains("alert rule is failing") {
            break;
        }
    }
    // A request answered late is logged by the receiver when it answers, after the sync gave up.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while receiver.received().len() < 10 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(receiver.received().len() >= 10);
    assert!(stderr.contains("alert rule is failing"), "{stderr}");
    let status = upjobpilot(&h, home.path(), &receiver, &["alerts", "status", "--json"])
        .output()
        .expect("alerts status");
    assert!(status.status.success());
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).expect("json");
    let rules = &status["rules"];
    assert_eq!(rules[0]["rule"], "broken");
    assert_eq!(rules[0]["failing"], true);
    assert!(rules[0]["consecutive_failures"].as_i64().expect("count") >= 10);
    assert_eq!(rules[0]["sent"], 0);
    let status = upjobpilot(&h, home.path(), &receiver, &["status", "--json"])
        .output()
        .expect("status");
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).expect("json");
    assert_eq!(status["alerts"][0]["failing"], true);
    let doctor = upjobpilot(&h, home.path(), &receiver, &["doctor"])
        .output()
        .expect("doctor");
    let text = String::from_utf8_lossy(&doctor.stdout);
    assert!(text.contains("alert \"broken\" is failing"), "{text}");
    assert!(
        !text.contains(SECRET_PATH) && !text.contains(SECRET_QUERY),
        "{text}"
    );

    // Once the receiver is back, the waiting postings go out and the rule recovers.
    receiver.set_faults(Faults::none());
    skip_backoff(&h);
    sync(&h, home.path(), &receiver);
    let status = upjobpilot(&h, home.path(), &receiver, &["alerts", "status", "--json"])
        .output()
        .expect("alerts status");
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).expect("json");
    let rules = &status["rules"];
    assert_eq!(rules[0]["failing"], false);
    assert_eq!(rules[0]["waiting"], 0);
}

/// An export that fails every sync (here the `queries/` folder is gone) fails the sync, but the
/// alerts planned from the postings it stored still go out: found measuring alert latency with
/// `watch`'s default export on, where no alert ever arrived.
#[test]
fn alerts_go_out_when_the_export_fails() {
    let rules = r#"
[[alert]]
name = "all"
webhook_env = "HOOK_URL"
format = "json"
"#;
    let h = harness(44, &format!("{ALL_POSTINGS}{rules}"));
    let home = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start();
    let queries = h.dir.path().join("queries");
    let _ = std::fs::remove_dir_all(&queries);
    let output = upjobpilot(&h, home.path(), &receiver, &["sync"])
        .output()
        .expect("sync runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the postings are stored"), "{stderr}");
    assert!(h.count("SELECT count(*) FROM jobs") > 0);
    assert_eq!(receiver.received().len(), 1, "the first sync's digest");
    h.sandbox.advance(Duration::from_secs(10 * 60));
    let output = upjobpilot(&h, home.path(), &receiver, &["sync"])
        .output()
        .expect("sync runs");
    assert_eq!(output.status.code(), Some(1));
    let new = ids(
        &h,
        "SELECT job_id FROM alerts_sent WHERE rule = 'all' AND status = 'sent'",
    );
    let delivered: BTreeSet<String> = keys_per_posting(&receiver.received(), "all")
        .into_keys()
        .collect();
    assert!(
        delivered.len() > 1,
        "the second sync's postings went out too"
    );
    assert_eq!(delivered, new, "every sent posting arrived");
}

#[test]
fn a_command_gets_the_postings_on_stdin_and_its_stderr_is_logged() {
    let out = tempfile::tempdir().expect("tempdir");
    let file = out.path().join("alerts.jsonl");
    let rules = format!(
        r#"
[[alert]]
name = "script"
command = ["sh", "-c", "cat >> '{}'; echo >> '{}'; echo note-from-the-script >&2"]

[[alert]]
name = "slow"
command = ["sleep", "30"]
timeout_secs = 1
"#,
        file.display(),
        file.display()
    );
    let h = harness(44, &format!("{ALL_POSTINGS}{rules}"));
    let home = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start();
    let stderr = sync(&h, home.path(), &receiver);
    assert!(stderr.contains("note-from-the-script"), "{stderr}");
    let text = std::fs::read_to_string(&file).expect("the command ran");
    let body: serde_json::Value = serde_json::from_str(text.trim()).expect("one JSON document");
    assert_eq!(body["version"], payload::JSON_VERSION);
    assert_eq!(body["rule"], "script");
    assert!(!body["postings"].as_array().expect("postings").is_empty());
    let slow: (String, String) = h
        .db()
        .query_row(
            "SELECT status, last_error FROM alerts_sent WHERE rule = 'slow' AND status <> 'suppressed' LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("slow row");
    assert_eq!(slow.0, "failed");
    assert!(slow.1.contains("killed after 1 s"), "{slow:?}");
}

#[test]
fn alerts_test_sends_a_sample_and_names_the_rules_when_the_name_is_wrong() {
    let rules = r#"
[[alert]]
name = "to-slack"
webhook_env = "HOOK_URL"
format = "slack"
"#;
    let h = harness(45, &format!("{ALL_POSTINGS}{rules}"));
    let home = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start();
    upjobpilot(&h, home.path(), &receiver, &["alerts", "test", "to-slack"])
        .assert()
        .success();
    let received = receiver.accepted();
    assert_eq!(received.len(), 1);
    assert!(received[0].path.contains(SECRET_PATH));
    assert!(received[0].header("idempotency-key").is_some());
    assert_slack(&received[0].json());
    let wrong = upjobpilot(&h, home.path(), &receiver, &["alerts", "test", "nope"])
        .output()
        .expect("runs");
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("to-slack"));
    assert!(!h.db_path().exists(), "a test alert touches no database");
}

/// A posting whose text carries every format's markup, and mentions.
fn nasty(i: usize) -> Posting {
    Posting {
        id: format!("10000000000000000{i:02}"),
        title: Some(format!(
            "<b>Rust</b> & *bold* _it_ `code` [x](y) |pipe| @everyone <@123> #{i} {}",
            "long ".repeat(200)
        )),
        url: format!("https://www.upwork.com/jobs/~0{i}?from=a|b>c"),
        job_type: "FIXED".into(),
        currency: Some("USD".into()),
        fixed_budget: Some(1500.0),
        hourly_min: None,
        hourly_max: None,
        skills: vec!["rust".into()],
        published_at: Some(chrono::Utc::now()),
        client_country: Some("<Canada>".into()),
        payment_verified: Some(true),
        fit_score: Some(70.0),
        activity: None,
    }
}

fn message(n: usize) -> Message {
    Message {
        rule: "r".into(),
        key: "upjobpilot:r:1".into(),
        digest: n > 1,
        postings: (0..n).map(nasty).collect(),
    }
}

/// Slack: `text` (the notification fallback) and at most 50 blocks; a header is plain_text of
/// at most 150 characters, a section's mrkdwn at most 3000, with `<` and `>` only in links.
fn assert_slack(body: &serde_json::Value) {
    assert!(body["text"].as_str().is_some_and(|t| !t.is_empty()));
    let blocks = body["blocks"].as_array().expect("blocks");
    assert!(!blocks.is_empty() && blocks.len() <= 50);
    for block in blocks {
        match block["type"].as_str() {
            Some("header") => {
                assert_eq!(block["text"]["type"], "plain_text");
                assert!(
                    block["text"]["text"]
                        .as_str()
                        .expect("text")
                        .chars()
                        .count()
                        <= 150
                );
            }
            Some("section") => {
                assert_eq!(block["text"]["type"], "mrkdwn");
                let text = block["text"]["text"].as_str().expect("text");
                assert!(text.chars().count() <= 3000);
                let outside_links: String = text
                    .split('<')
                    .skip(1)
                    .map(|part| part.split_once('>').map_or(part, |(_, rest)| rest))
                    .collect();
                assert!(
                    !outside_links.contains('<') && !outside_links.contains('>'),
                    "{text}"
                );
                assert!(!text.contains("<@"), "no mention: {text}");
            }
            other => panic!("unexpected block {other:?}"),
        }
    }
}

#[test]
fn payloads_have_the_fields_each_api_requires_and_escape_its_markup() {
    let now = chrono::Utc::now();
    for n in [1, 10, 20] {
        let message = message(n);
        let body = |format| {
            let body = payload::render(format, &message, Some("-100123"), now);
            assert_eq!(body.content_type, "application/json");
            serde_json::from_slice::<serde_json::Value>(&body.bytes).expect("json")
        };

        let json = body(WebhookFormat::Json);
        assert_eq!(json["version"], payload::JSON_VERSION);
        assert_eq!(json["idempotency_key"], "upjobpilot:r:1");
        assert_eq!(json["postings"].as_array().expect("postings").len(), n);
        assert_eq!(json["postings"][0]["title"], nasty(0).title.expect("title"));

        let slack = body(WebhookFormat::Slack);
        assert_slack(&slack);
        // The URL's `|` and `>` would end the link `<url|title>` early.
        let section = slack["blocks"][1]["text"]["text"]
            .as_str()
            .expect("section");
        assert!(
            section.starts_with("*<https://www.upwork.com/jobs/~00?from=a%7Cb%3Ec|"),
            "{section}"
        );

        let discord = body(WebhookFormat::Discord);
        let embeds = discord["embeds"].as_array().expect("embeds");
        assert!(!embeds.is_empty() && embeds.len() <= 10);
        let mut total = 0;
        for embed in embeds {
            let title = embed["title"].as_str().expect("title");
            let description = embed["description"].as_str().expect("description");
            assert!(title.chars().count() <= 256 && description.chars().count() <= 4096);
            total += title.chars().count() + description.chars().count();
            assert!(embed["url"].as_str().expect("url").starts_with("https://"));
            assert!(
                !title.contains("**") && title.contains("\\*bold\\*"),
                "{title}"
            );
            assert!(!title.contains("@everyone"), "{title}");
        }
        assert!(total <= 6000, "{total}");
        assert_eq!(discord["allowed_mentions"]["parse"], serde_json::json!([]));
        assert!(
            discord["content"]
                .as_str()
                .expect("content")
                .chars()
                .count()
                <= 2000
        );

        let telegram = body(WebhookFormat::Telegram);
        assert_eq!(telegram["chat_id"], "-100123");
        assert_eq!(telegram["parse_mode"], "HTML");
        let text = telegram["text"].as_str().expect("text");
        assert!(!text.is_empty() && text.chars().count() <= 4096);
        let tags: Vec<&str> = text
            .split('<')
            .skip(1)
            .map(|t| t.split(['>', ' ']).next().expect("tag"))
            .collect();
        assert!(
            tags.iter().all(|t| ["b", "/b", "a", "/a"].contains(t)),
            "only the tags we wrote: {tags:?}"
        );
        assert!(text.contains("&lt;b&gt;Rust&lt;/b&gt; &amp;"), "{text}");

        let ntfy = payload::render(WebhookFormat::Ntfy, &message, None, now);
        assert!(ntfy.content_type.starts_with("text/plain"));
        assert!(ntfy.bytes.len() <= 4096);
        assert!(std::str::from_utf8(&ntfy.bytes).is_ok());
        for (name, value) in &ntfy.headers {
            assert!(value.is_ascii() && !value.contains('\n'), "{name}: {value}");
        }
    }
}

#[test]
fn a_kill_between_delivery_and_bookkeeping_causes_one_duplicate_with_the_same_key() {
    let out = tempfile::tempdir().expect("tempdir");
    let (file, marker) = (out.path().join("out.jsonl"), out.path().join("killed"));
    // The command delivers, then (the first time only) kills upjobpilot with SIGKILL before it
    // can record the delivery: its parent is upjobpilot, since commands run without a shell.
    let rules = format!(
        r#"
[[alert]]
name = "killer"
command = ["sh", "-c", "cat >> '{file}'; echo >> '{file}'; if [ ! -e '{marker}' ]; then touch '{marker}'; kill -9 $PPID; fi"]
"#,
        file = file.display(),
        marker = marker.display()
    );
    let h = harness(46, &format!("{ALL_POSTINGS}{rules}"));
    let home = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start();
    let killed = upjobpilot(&h, home.path(), &receiver, &["sync", "--no-export"])
        .output()
        .expect("runs");
    assert_eq!(killed.status.code(), None, "killed by a signal: {killed:?}");
    assert!(marker.exists());
    let keys = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let body: serde_json::Value = serde_json::from_str(l).expect("json");
                body["idempotency_key"].as_str().expect("key").to_string()
            })
            .collect()
    };
    assert_eq!(
        keys(&std::fs::read_to_string(&file).expect("read")).len(),
        1
    );

    for _ in 0..2 {
        h.sandbox.advance(Duration::from_secs(60));
        sync(&h, home.path(), &receiver);
    }
    let sent = keys(&std::fs::read_to_string(&file).expect("read"));
    assert_eq!(sent[0], sent[1], "the one duplicate carries the same key");
    let distinct: BTreeSet<&String> = sent.iter().collect();
    assert_eq!(
        distinct.len(),
        sent.len() - 1,
        "exactly one duplicate: {sent:?}"
    );
    assert_eq!(
        h.count("SELECT count(*) FROM alerts_sent WHERE status IN ('pending', 'failed')"),
        0
    );
}

#[test]
fn webhooks_follow_redirects_only_within_the_same_host() {
    let rules = r#"
[[alert]]
name = "hook"
webhook_env = "HOOK_URL"
timeout_secs = 2
"#;
    let h = harness(47, &format!("{ALL_POSTINGS}{rules}"));
    let home = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start();
    let elsewhere = Receiver::start();
    // Another host: `localhost` is not `127.0.0.1`, though both reach this machine.
    let port = elsewhere
        .url()
        .rsplit(':')
        .next()
        .expect("port")
        .to_string();
    receiver.redirect_to(Some(format!("http://localhost:{port}/stolen")));
    let refused = upjobpilot(&h, home.path(), &receiver, &["alerts", "test", "hook"])
        .output()
        .expect("runs");
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("redirect"), "{stderr}");
    assert!(
        !stderr.contains(SECRET_PATH) && !stderr.contains(SECRET_QUERY),
        "{stderr}"
    );
    assert!(
        elsewhere.received().is_empty(),
        "nothing reached the other host"
    );

    // The same host: followed.
    receiver.redirect_to(Some(format!("{}/moved", receiver.url())));
    upjobpilot(&h, home.path(), &receiver, &["alerts", "test", "hook"])
        .assert()
        .success();
    let moved = receiver.accepted();
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].path, "/moved");
    assert_eq!(moved[0].json()["rule"], "hook");
}

/// Whether `text` holds any part of the webhook URL's secret, in any case.
fn leaks(text: &str) -> bool {
    let text = text.to_lowercase();
    [SECRET_PATH, SECRET_QUERY]
        .iter()
        .any(|secret| text.contains(&secret.to_lowercase()))
}

#[test]
fn a_command_gets_only_the_environment_the_readme_lists() {
    let out = tempfile::tempdir().expect("tempdir");
    let file = out.path().join("env.txt");
    let rules = format!(
        r#"
[[alert]]
name = "env"
command = ["sh", "-c", "env > '{}'"]
"#,
        file.display()
    );
    let h = harness(48, &format!("{ALL_POSTINGS}{rules}"));
    let home = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start();
    upjobpilot(&h, home.path(), &receiver, &["sync", "--no-export"])
        .env("UPWORK_CLIENT_SECRET", "CLIENTSECRET5d2e")
        .env("OTHER_TOOL_TOKEN", "OTHERTOKEN81c4")
        .env("LC_TIME", "C")
        .env("TZ", "UTC")
        .assert()
        .success();
    let text = std::fs::read_to_string(&file).expect("the command ran");
    for secret in [
        "CLIENTSECRET5d2e",
        "OTHERTOKEN81c4",
        SECRET_PATH,
        SECRET_QUERY,
    ] {
        assert!(
            !text.contains(secret),
            "{secret} reached the command:\n{text}"
        );
    }
    let names: BTreeSet<&str> = text
        .lines()
        .filter_map(|line| line.split_once('=').map(|(name, _)| name))
        .collect();
    for name in [
        "PATH",
        "HOME",
        "TZ",
        "LC_TIME",
        "UPJOBPILOT_ALERT_RULE",
        "UPJOBPILOT_IDEMPOTENCY_KEY",
    ] {
        assert!(names.contains(name), "{name} is passed on: {names:?}");
    }
    // What the shell sets itself besides.
    let shell = ["PWD", "OLDPWD", "SHLVL", "_"];
    let unexpected: Vec<&&str> = names
        .iter()
        .filter(|name| {
            !upjobpilot::alerts::channel::passes_to_command(name)
                && !["UPJOBPILOT_ALERT_RULE", "UPJOBPILOT_IDEMPOTENCY_KEY"].contains(*name)
                && !shell.contains(*name)
        })
        .collect();
    assert!(unexpected.is_empty(), "not documented: {unexpected:?}");
}

/// Whether the process `pid` has ended (a zombie has: it only waits to be reaped).
#[cfg(target_os = "linux")]
fn ended(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_command_past_its_timeout_is_killed_with_the_processes_it_started() {
    let out = tempfile::tempdir().expect("tempdir");
    let (waiting, background) = (out.path().join("waiting"), out.path().join("background"));
    // "waiting" outlives its timeout with a grandchild; "background" exits at once but leaves
    // a grandchild holding its stderr.
    let rules = format!(
        r#"
[[alert]]
name = "waiting"
command = ["sh", "-c", "sleep 30 & echo $! > '{}'; wait"]
timeout_secs = 1

[[alert]]
name = "background"
command = ["sh", "-c", "sleep 30 & echo $! > '{}'"]
timeout_secs = 1
"#,
        waiting.display(),
        background.display()
    );
    let h = harness(49, &format!("{ALL_POSTINGS}{rules}"));
    let home = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start();
    let started = std::time::Instant::now();
    sync(&h, home.path(), &receiver);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the sync waited for a grandchild: {:?}",
        started.elapsed()
    );
    for file in [&waiting, &background] {
        let pid = std::fs::read_to_string(file).expect("the command ran");
        let pid = pid.trim();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !ended(pid) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(ended(pid), "{} left process {pid} running", file.display());
    }
    let outcome = |rule: &str| -> (String, Option<String>) {
        h.db()
            .query_row(
                "SELECT status, last_error FROM alerts_sent WHERE rule = ? AND status <> 'suppressed'",
                [rule],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect(rule)
    };
    let (status, error) = outcome("waiting");
    assert_eq!(status, "failed");
    assert!(error.is_some_and(|e| e.contains("killed after 1 s")));
    assert_eq!(
        outcome("background").0,
        "sent",
        "its own exit status counts"
    );
}

#[test]
fn an_error_body_that_echoes_the_webhook_url_is_recorded_redacted() {
    let rules = r#"
[[alert]]
name = "echoed"
webhook_env = "HOOK_URL"
timeout_secs = 2
"#;
    let h = harness(50, &format!("{ALL_POSTINGS}{rules}"));
    let home = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start();
    receiver.echo_path_with(Some(404));
    let stderr = sync(&h, home.path(), &receiver);
    assert!(!leaks(&stderr), "{stderr}");
    assert_eq!(receiver.received().len(), 1);
    assert!(
        leaks(&receiver.received()[0].path),
        "the receiver did get the secret URL"
    );

    let (row, rule): (String, String) = h
        .db()
        .query_row(
            "SELECT a.last_error, r.last_error FROM alerts_sent a JOIN alert_rules r USING (rule) WHERE a.status = 'failed'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("a failed delivery");
    for error in [&row, &rule] {
        assert!(
            error.contains("HTTP 404") && error.contains("[redacted]"),
            "{error}"
        );
        assert!(!leaks(error), "{error}");
    }
    // `status --json` is what the dashboard's /api/runs serves.
    for args in [&["alerts", "status", "--json"][..], &["status", "--json"]] {
        let output = upjobpilot(&h, home.path(), &receiver, args)
            .output()
            .expect("runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("[redacted]"), "{args:?}: {stdout}");
        assert!(!leaks(&stdout), "{args:?}: {stdout}");
    }
    let test = upjobpilot(&h, home.path(), &receiver, &["alerts", "test", "echoed"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&test.stderr);
    assert_eq!(test.status.code(), Some(1));
    assert!(stderr.contains("HTTP 404") && !leaks(&stderr), "{stderr}");
}

/// A rule `held` whose command records each delivery in `file`, then holds it until `release`
/// exists; `extra` adds keys to the rule.
fn held_rule(file: &std::path::Path, release: &std::path::Path, extra: &str) -> String {
    format!(
        r#"
[[alert]]
name = "held"
command = ["sh", "-c", "cat >> '{file}'; echo >> '{file}'; while [ ! -e '{release}' ]; do sleep 0.05; done"]
timeout_secs = 20
{extra}"#,
        file = file.display(),
        release = release.display()
    )
}

/// The idempotency keys of the deliveries `held_rule` recorded in `file`, in order.
fn sent_keys(file: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let body: serde_json::Value = serde_json::from_str(l).expect("json");
            body["idempotency_key"].as_str().expect("key").to_string()
        })
        .collect()
}

#[test]
fn a_sync_runs_while_another_delivers_and_no_message_is_sent_twice() {
    let out = tempfile::tempdir().expect("tempdir");
    let (file, release) = (out.path().join("sent.jsonl"), out.path().join("release"));
    let rules = held_rule(&file, &release, "max_per_hour = 3600\n");
    let h = harness(51, &format!("{ALL_POSTINGS}{rules}"));
    let home = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start();
    let keys = || sent_keys(&file);
    let mut first = command(&h, home.path(), &receiver, &["sync", "--no-export"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("first sync");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while keys().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(keys().len(), 1, "the first sync is delivering its digest");

    // While the first sync delivers, a second one loads (not locked out) and sends nothing: the
    // digest in flight is still pending in the database, and its new messages wait.
    h.sandbox.advance(Duration::from_secs(30 * 60));
    let new = h.count("SELECT count(*) FROM jobs");
    sync(&h, home.path(), &receiver);
    assert!(
        h.count("SELECT count(*) FROM jobs") > new,
        "the second sync loaded"
    );
    assert_eq!(
        keys().len(),
        1,
        "nothing sent twice, nothing sent beside the first"
    );

    std::fs::write(&release, b"").expect("release");
    assert!(first.wait().expect("first sync ends").success());
    sync(&h, home.path(), &receiver);
    let sent = keys();
    let distinct: BTreeSet<&String> = sent.iter().collect();
    assert_eq!(distinct.len(), sent.len(), "each message once: {sent:?}");
    assert!(
        sent.len() > 1,
        "the second sync's messages went out with the third"
    );
    assert_eq!(
        h.count("SELECT count(*) FROM alerts_sent WHERE status IN ('pending', 'failed')"),
        0
    );
}

#[test]
fn a_delivery_stops_at_its_budget_and_leaves_a_channel_that_is_down() {
    let rules = r#"
[[alert]]
name = "dead"
command = ["sleep", "30"]
timeout_secs = 1
max_per_hour = 3600

[[alert]]
name = "slow"
command = ["sh", "-c", "cat > /dev/null; sleep 0.3"]
timeout_secs = 1
max_per_hour = 3600
"#;
    let h = harness(52, &format!("{ALL_POSTINGS}{rules}"));
    let home = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start();
    sync(&h, home.path(), &receiver);
    // Eight messages due per rule, as after an outage of the receiver.
    h.db()
        .execute_batch(
            "UPDATE alerts_sent SET status = 'pending', digest = false, delivery_key = 'upjobpilot:' || rule || ':' || job_id
             WHERE job_id IN (SELECT job_id FROM alerts_sent WHERE status = 'suppressed' GROUP BY job_id HAVING count(*) = 2 ORDER BY job_id LIMIT 8)",
        )
        .expect("messages due");
    let due = |rule: &str| {
        h.count(&format!(
            "SELECT count(*) FROM alerts_sent WHERE rule = '{rule}' AND status = 'pending' AND next_attempt_at IS NULL"
        ))
    };
    assert_eq!((due("dead"), due("slow")), (8, 8));

    let budget = Duration::from_secs(3);
    let started = std::time::Instant::now();
    let report =
        upjobpilot::alerts::deliver_due(&h.config, budget, Duration::ZERO).expect("delivers");
    let elapsed = started.elapsed();
    assert!(
        elapsed < budget + Duration::from_millis(1500),
        "{elapsed:?}"
    );
    // "dead" was tried once; its channel down, its other messages wait. "slow" went out in
    // turn with it until the next delivery's timeout no longer fitted in the budget.
    assert_eq!(report.failed, 1, "{report:?}");
    assert!((1..8).contains(&report.sent), "{report:?}");
    assert_eq!(report.deferred, 7 + (8 - report.sent), "{report:?}");
    assert_eq!(due("dead"), 7, "still due, not attempted");
    assert_eq!(due("slow"), 8 - report.sent as i64);

    let status = upjobpilot(&h, home.path(), &receiver, &["alerts", "status", "--json"])
        .output()
        .expect("alerts status");
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).expect("json");
    let rule = |name: &str| {
        status["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .find(|r| r["rule"] == name)
            .cloned()
            .expect(name)
    };
    assert_eq!(rule("dead")["deferred"], 7);
    let reason = rule("dead")["deferred_reason"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        reason.contains("channel failed") && reason.contains("killed after 1 s"),
        "{reason}"
    );
    assert_eq!(rule("slow")["deferred"], 8 - report.sent);
    let reason = rule("slow")["deferred_reason"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(reason.contains("budget of 3 s"), "{reason}");
    let table = upjobpilot(&h, home.path(), &receiver, &["alerts", "status"])
        .output()
        .expect("alerts status");
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("DEFERRED") && table.contains("budget of 3 s"),
        "{table}"
    );
    // `status --json`, which the dashboard's /api/runs serves, says the same.
    let status = upjobpilot(&h, home.path(), &receiver, &["status", "--json"])
        .output()
        .expect("status");
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).expect("json");
    let dead = status["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .find(|r| r["rule"] == "dead")
        .cloned()
        .expect("dead");
    assert_eq!(dead["deferred"], 7);
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "needs the pause points of src/test_hooks.rs, compiled out of release builds"
)]
fn outcomes_wait_in_the_journal_while_another_program_holds_the_database() {
    let out = tempfile::tempdir().expect("tempdir");
    let (file, release, paused) = (
        out.path().join("sent.jsonl"),
        out.path().join("release"),
        out.path().join("paused"),
    );
    let rules = held_rule(&file, &release, "");
    let h = harness(53, &format!("{ALL_POSTINGS}{rules}"));
    let home = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start();
    let keys = || sent_keys(&file);
    let wait_for = |done: &dyn Fn() -> bool| {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while !done() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(done(), "timed out");
    };
    let quiet = |mut cmd: std::process::Command| {
        cmd.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("starts")
    };
    // The first sync delivers its digest and is held there.
    let mut first = quiet(command(
        &h,
        home.path(),
        &receiver,
        &["sync", "--no-export"],
    ));
    wait_for(&|| keys().len() == 1);
    // A second sync takes the database and keeps it (stopped after its load).
    let mut holder = command(&h, home.path(), &receiver, &["sync", "--no-export"]);
    holder
        .env("UPJOBPILOT_PAUSE_AT", "load-done:1")
        .env("UPJOBPILOT_PAUSE_FILE", &paused);
    let mut holder = quiet(holder);
    wait_for(&|| paused.exists());
    // The first sync's delivery ends while the database is held: its outcome stays in the journal.
    std::fs::write(&release, b"").expect("release");
    assert!(first.wait().expect("first sync ends").success());
    let mut journal = h.db_path().into_os_string();
    journal.push(".alerts.journal");
    let journal = std::path::PathBuf::from(journal);
    let text = std::fs::read_to_string(&journal).expect("a journal");
    assert!(text.contains(&keys()[0]), "{text}");
    holder.kill().expect("kill");
    holder.wait().expect("reaped");
    assert!(
        h.count("SELECT count(*) FROM alerts_sent WHERE status = 'pending' AND digest") > 0,
        "not recorded in the database yet"
    );

    // The next sync records the journal before it reads what is due: nothing is sent twice.
    sync(&h, home.path(), &receiver);
    let sent = keys();
    let distinct: BTreeSet<&String> = sent.iter().collect();
    assert_eq!(distinct.len(), sent.len(), "each message once: {sent:?}");
    assert!(!journal.exists());
    assert_eq!(
        h.count("SELECT count(*) FROM alerts_sent WHERE status IN ('pending', 'failed')"),
        0
    );
    assert_eq!(
        h.count("SELECT count(*) FROM alert_rules WHERE last_sent_at IS NOT NULL AND consecutive_failures = 0"),
        1
    );
}

/// A sync stores a posting published before its retention cutoff already pruned: its
/// description, raw JSON and index words are never written, and its title is kept only in the
/// alert queue, where the rules still match it. Retention is made to fail, so what is checked is
/// the load's doing, not retention's.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "needs src/test_hooks.rs, compiled out of release builds"
)]
fn postings_past_the_retention_are_stored_pruned_and_alert_rules_still_match_their_titles() {
    let rules = r#"
[[alert]]
name = "rust"
webhook_env = "HOOK_URL"
format = "json"
title_required = ["rust"]
"#;
    let h = harness(45, &format!("{}{rules}", crate::support::RUST_SEARCH));
    let home = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start();
    let output = upjobpilot(&h, home.path(), &receiver, &["sync", "--no-export"])
        .env("UPJOBPILOT_FAIL_AT", "retention")
        .output()
        .expect("sync runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("pruning postings past the retention failed"),
        "{stderr}"
    );

    // Five minutes either side of the cutoff (24 hours before the sync) for the clock's moves.
    let past = "published_at::TIMESTAMP < now()::TIMESTAMP - INTERVAL 1445 MINUTE";
    let recent = "published_at::TIMESTAMP > now()::TIMESTAMP - INTERVAL 1435 MINUTE";
    assert!(h.count(&format!("SELECT count(*) FROM jobs WHERE {past}")) > 10);
    assert!(h.count(&format!("SELECT count(*) FROM jobs WHERE {recent}")) > 10);
    assert_eq!(
        h.count(&format!(
            "SELECT count(*) FROM jobs WHERE {past} AND (title IS NOT NULL OR description IS NOT NULL OR raw IS NOT NULL OR pruned_at IS NULL)"
        )),
        0,
        "a posting past the cutoff is stored pruned"
    );
    assert_eq!(
        h.count(&format!(
            "SELECT count(*) FROM jobs WHERE {recent} AND (title IS NULL OR description IS NULL OR raw IS NULL OR pruned_at IS NOT NULL)"
        )),
        0,
        "a recent posting is stored whole"
    );
    assert_eq!(
        crate::support::text_index_errors(&h.db()),
        0,
        "the index holds the words of the stored text, no more"
    );

    // The rule matched every stored posting whose title (as the sandbox has it) holds "rust",
    // the pruned ones included.
    let stored = ids(&h, "SELECT id FROM jobs");
    let pruned = ids(&h, "SELECT id FROM jobs WHERE pruned_at IS NOT NULL");
    let expected: BTreeSet<String> = h.sandbox.with_market(|market| {
        stored
            .iter()
            .filter(|id| {
                market.get(id).is_some_and(|p| {
                    p.title
                        .to_lowercase()
                        .split(|c: char| !c.is_alphanumeric() && c != '+' && c != '#')
                        .any(|word| word == "rust")
                })
            })
            .cloned()
            .collect()
    });
    assert!(
        expected.intersection(&pruned).count() > 0,
        "some matches are stored pruned"
    );
    assert_eq!(
        ids(&h, "SELECT job_id FROM alerts_sent WHERE rule = 'rust'"),
        expected
    );
    assert_eq!(h.count("SELECT count(*) FROM alerts_queue"), 0);

    // The next sync goes through, its retention included.
    let output = upjobpilot(&h, home.path(), &receiver, &["sync", "--no-export"])
        .output()
        .expect("sync runs");
    assert!(output.status.success(), "{output:?}");
}
