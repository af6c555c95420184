//! Competition signals against the sandbox and a real DuckDB file: a sync stores the activity of
//! its `top` best new postings and of no other; a saved posting is refreshed on later syncs until
//! it closes, and a sync with nothing new and no refresh due asks nothing; a key without the
//! bid-statistics permission gets the other figures, one `doctor` finding and an untouched sync
//! status; the requests the sandbox logged are those `status` predicted; the alert payload and
//! the dashboard show the figures.

use crate::support::process::command;
use crate::support::{Harness, RUST_SEARCH, harness, harness_with};
use std::collections::BTreeSet;
use std::time::Duration;
use upjobpilot::exit::Exit;
use upwork_sandbox::Scope;

/// The searches and `[signals]` (and anything else) of a harness.
fn with(extra: &str) -> String {
    format!("{RUST_SEARCH}\n{extra}")
}

/// The signals requests the sandbox logged, each with the ids it asked for.
fn activity_requests(h: &Harness) -> Vec<(Vec<String>, String)> {
    h.sandbox
        .requests()
        .into_iter()
        .filter(|r| r.operation.as_deref() == Some("JobActivity"))
        .map(|r| {
            let ids = r
                .variables
                .as_ref()
                .and_then(|v| v.as_object())
                .map(|v| {
                    v.values()
                        .filter_map(|id| id.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            (ids, r.query.unwrap_or_default())
        })
        .collect()
}

fn strings(h: &Harness, sql: &str) -> Vec<String> {
    h.column(sql)
}

/// Moves a posting's snapshots 10 minutes into the past, as if they were fetched then (the
/// refresh interval is in minutes of real time; the test does not wait).
fn age_snapshots(h: &Harness, id: &str) {
    h.db()
        .execute(
            "UPDATE job_activity SET fetched_at = (fetched_at::TIMESTAMP - INTERVAL 10 MINUTE)::TIMESTAMPTZ WHERE job_id = ?",
            [id],
        )
        .expect("age the snapshots");
}

fn snapshots(h: &Harness, id: &str) -> i64 {
    h.db()
        .query_row(
            "SELECT count(*) FROM job_activity WHERE job_id = ?",
            [id],
            |r| r.get(0),
        )
        .expect("count")
}

#[test]
fn a_sync_stores_the_activity_of_its_best_new_postings_only_in_the_requests_status_predicted() {
    let h = harness(231, &with("[signals]\ntop = 30\n"));
    let report = h.sync();
    let new = report.load.as_ref().expect("loaded").new_postings;
    assert!(new > 30, "the test needs more new postings than top: {new}");
    let expected: BTreeSet<String> = strings(
        &h,
        "SELECT s.job_id FROM posting_scores s JOIN jobs j ON j.id = s.job_id
         ORDER BY s.fit_score DESC, j.published_at DESC, s.job_id LIMIT 30",
    )
    .into_iter()
    .collect();
    let stored: BTreeSet<String> = strings(&h, "SELECT job_id FROM job_activity")
        .into_iter()
        .collect();
    assert_eq!(stored, expected, "the 30 best by fit score, and no other");
    assert_eq!(h.count("SELECT count(*) FROM job_activity"), 30);

    // Each snapshot says what the sandbox's market says (its clock did not move meanwhile).
    let conn = h.db();
    let mut stmt = conn
        .prepare(
            "SELECT job_id, status, invites_sent, interviewing, hired, offered FROM job_activity",
        )
        .expect("prepare");
    let rows: Vec<(String, String, i64, i64, i64, i64)> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    for (id, status, invites, interviewing, hired, offered) in rows {
        let truth = h
            .sandbox
            .with_market(|m| m.job_activity(&id))
            .expect("the posting is on the market");
        assert_eq!(status, "ACTIVE", "{id}");
        assert_eq!(
            (invites, interviewing, hired, offered),
            (
                i64::from(truth.invites_sent),
                i64::from(truth.invited_to_interview),
                i64::from(truth.hired),
                i64::from(truth.offered)
            ),
            "{id}"
        );
    }

    // The requests the sandbox logged are those `status` predicted for a sync with new postings.
    let status = upjobpilot::pipeline::status::read(&h.config, &h.db_path()).expect("status");
    let cost = status.signals.expect("the signals' cost");
    let requests = activity_requests(&h);
    assert_eq!(cost.per_sync_with_new, 2, "30 postings, 25 a request");
    assert_eq!(requests.len() as u64, cost.per_sync_with_new);
    let asked: BTreeSet<String> = requests.into_iter().flat_map(|(ids, _)| ids).collect();
    assert_eq!(asked, expected);
    assert_eq!(
        report.signals.as_ref().map(|s| (s.stored, s.requests)),
        Some((30, 2))
    );
    // The run's record counts them with the searches', and `status` says what they cost.
    assert_eq!(
        h.count("SELECT sum(requests) FROM sync_runs") as u64,
        h.graphql_requests()
    );
    // Another process reads the file: this one lets go of it first.
    drop(stmt);
    drop(conn);
    let home = tempfile::tempdir().expect("home");
    let output = command(&h, home.path())
        .args(["status", "--config"])
        .arg(h.dir.path().join("pipeline.toml"))
        .output()
        .expect("status runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "the best 30 new postings of a sync cost 2 requests when it stores new postings"
        ),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_saved_posting_is_refreshed_until_it_closes_and_an_idle_sync_asks_nothing_more() {
    let h = harness(232, &with("[signals]\ntop = 1\nsaved_refresh_mins = 5\n"));
    h.sync();
    let top = strings(&h, "SELECT job_id FROM job_activity");
    assert_eq!(top.len(), 1);
    let saved = strings(
        &h,
        "SELECT id FROM jobs WHERE id NOT IN (SELECT job_id FROM job_activity) ORDER BY id LIMIT 1",
    )
    .remove(0);
    h.db()
        .execute(
            "INSERT INTO labels SELECT id, url, 'saved', NULL, now() FROM jobs WHERE id = ?",
            [&saved],
        )
        .expect("label");
    let asked = |h: &Harness| activity_requests(h).len();
    let before = asked(&h);

    // Nothing new on the market: the saved posting, never asked yet, costs one request.
    let report = h.sync();
    assert_eq!(report.load.as_ref().map(|l| l.new_postings), Some(0));
    assert_eq!(asked(&h), before + 1);
    assert_eq!(snapshots(&h, &saved), 1);

    // Idle, and the refresh not due: no signals request at all.
    h.sync();
    assert_eq!(asked(&h), before + 1, "an idle sync asked for signals");

    // Due again: refreshed.
    age_snapshots(&h, &saved);
    h.sync();
    assert_eq!(asked(&h), before + 2);
    assert_eq!(snapshots(&h, &saved), 2);

    // Closed on Upwork: stored as closed once, then never asked again.
    assert!(h.sandbox.with_market(|m| m.close_id(&saved)));
    age_snapshots(&h, &saved);
    h.sync();
    assert_eq!(asked(&h), before + 3);
    let latest = strings(
        &h,
        &format!("SELECT arg_max(status, fetched_at) FROM job_activity WHERE job_id = '{saved}'"),
    );
    assert_eq!(latest, ["CLOSED"]);
    age_snapshots(&h, &saved);
    h.sync();
    assert_eq!(asked(&h), before + 3, "a closed posting was asked again");
    assert_eq!(snapshots(&h, &saved), 3);
    // The top posting of the first sync is not saved: it was never asked again.
    assert_eq!(snapshots(&h, &top[0]), 1);
}

#[test]
fn a_key_without_bid_statistics_gets_the_other_figures_one_doctor_finding_and_an_ok_sync() {
    let h = harness_with(233, &with("[signals]\ntop = 3\n"), |config| {
        config.clients[0].scopes = vec![Scope::JobPostingsRead, Scope::CommonRead];
    });
    let report = h.sync();
    assert_eq!(report.exit(), Exit::Ok);
    assert_eq!(
        strings(&h, "SELECT status FROM sync_runs"),
        ["ok"],
        "the sync's status is untouched"
    );
    assert_eq!(
        h.count("SELECT count(*) FROM job_activity WHERE interviewing IS NOT NULL AND invites_sent IS NOT NULL AND bid_avg IS NULL"),
        3,
        "{:?} {:?}",
        strings(&h, "SELECT status || coalesce(interviewing::VARCHAR, '-') FROM job_activity"),
        activity_requests(&h)
    );
    assert_eq!(
        strings(&h, "SELECT what FROM signals_refusals"),
        ["applicationsBidStats"]
    );
    let with_bids = |h: &Harness| {
        activity_requests(h)
            .iter()
            .filter(|(_, query)| query.contains("applicationsBidStats"))
            .count()
    };
    assert_eq!(with_bids(&h), 1);
    assert_eq!(
        activity_requests(&h).len(),
        2,
        "refused once, then asked without"
    );

    // The next sync with new postings does not ask for the refused field again.
    h.sandbox.advance(Duration::from_secs(3600));
    let report = h.sync();
    let new = report.load.as_ref().map_or(0, |l| l.new_postings);
    assert!(new > 0);
    assert_eq!(with_bids(&h), 1);
    assert_eq!(
        h.count("SELECT count(*) FROM job_activity WHERE bid_avg IS NULL"),
        3 + new.min(3)
    );

    let home = tempfile::tempdir().expect("home");
    let output = command(&h, home.path())
        .args(["doctor", "--config"])
        .arg(h.dir.path().join("pipeline.toml"))
        .output()
        .expect("doctor runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let findings: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("FAIL signals"))
        .collect();
    assert_eq!(findings.len(), 1, "{stdout}");
    assert!(findings[0].contains("bid statistics"), "{stdout}");
    assert!(stdout.contains("API Center"), "{stdout}");
}

#[test]
fn the_alert_payload_and_the_dashboard_show_the_signals() {
    let payloads = tempfile::tempdir().expect("payloads");
    let h = harness(
        234,
        &with(&format!(
            r#"[signals]
top = 5

[[alert]]
name = "open"
max_interviewing = 1000
max_postings = 5
command = ["sh", "-c", "cat > \"$0/$$.json\"", "{}"]
"#,
            payloads.path().display()
        )),
    );
    let report = h.sync();
    assert_eq!(report.alerts.as_ref().map(|a| a.sent), Some(1));
    let file = std::fs::read_dir(payloads.path())
        .expect("payloads")
        .next()
        .expect("one payload")
        .expect("entry");
    let payload: serde_json::Value =
        serde_json::from_slice(&std::fs::read(file.path()).expect("read")).expect("json");
    // The first digest is of the five best, which are the five with signals.
    let postings = payload["postings"].as_array().expect("postings");
    assert_eq!(postings.len(), 5);
    for posting in postings {
        let activity = &posting["activity"];
        assert_eq!(activity["status"], "ACTIVE", "{posting}");
        assert!(activity["interviewing"].is_i64(), "{posting}");
        assert!(activity["invites_sent"].is_i64(), "{posting}");
    }

    let id = postings[0]["id"].as_str().expect("id").to_string();
    let server = upjobpilot::serve::Server::bind(h.config.clone(), 0)
        .expect("bind")
        .spawn();
    let get = |path: &str| {
        reqwest::blocking::get(format!("{}{path}", server.url().trim_end_matches('/')))
            .expect("GET")
            .text()
            .expect("body")
    };
    let page = get(&format!("/postings/{id}"));
    assert!(page.contains("<h2>Competition</h2>"), "{page}");
    assert!(page.contains("interviewing "), "{page}");
    assert!(page.contains("competition "), "{page}");
    let list = get("/?sort=fit");
    assert!(list.contains("class=\"signals\""), "{list}");
    assert!(list.contains("client active "), "{list}");
    let api: serde_json::Value =
        serde_json::from_str(&get(&format!("/api/postings/{id}"))).expect("json");
    assert_eq!(api["activity"].as_array().map(Vec::len), Some(1), "{api}");
}

/// Polls of `watch` at its default interval against the sandbox's moving market, with the
/// shipped `pipeline.toml`'s searches and `[signals]`: per poll after the first (a catch-up),
/// the new postings, the signals requests and all requests the sandbox logged.
/// `watch`'s default interval for `config` at the default budget, before any posting is saved.
fn default_interval(config: &upjobpilot::config::Config) -> u64 {
    let signals = upjobpilot::pipeline::signals::cost_now(&config.signals, &config.database_path());
    upjobpilot::commands::watch::default_interval(
        config,
        &signals,
        upjobpilot::cli::DEFAULT_DAILY_BUDGET,
    )
}

fn polls_of_the_example(seed: u64, polls: usize, interval: Duration) -> Vec<(i64, usize, u64)> {
    let shipped = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipeline.toml"),
    )
    .expect("the shipped example");
    let from = shipped
        .find("[signals]")
        .expect("the example has [signals]");
    let h = harness(seed, &shipped[from..]);
    assert_eq!(h.config.signals.top, 20);
    h.sync();
    let mut seen = (activity_requests(&h).len(), h.graphql_requests());
    (0..polls)
        .map(|_| {
            h.sandbox.advance(interval);
            let report = h.sync();
            let now = (activity_requests(&h).len(), h.graphql_requests());
            let poll = (
                report.load.as_ref().map_or(0, |l| l.new_postings),
                now.0 - seen.0,
                now.1 - seen.1,
            );
            seen = now;
            poll
        })
        .collect()
}

#[test]
fn with_the_example_config_a_poll_costs_one_signals_request_when_it_stores_new_postings_else_none()
{
    // Two-minute polls: the example's searches are narrow, and 30 polls at the default 18 s
    // (nine minutes of market) may find nothing new at all.
    let polls = polls_of_the_example(235, 30, Duration::from_secs(120));
    assert!(polls.iter().any(|(new, ..)| *new > 0), "{polls:?}");
    assert!(polls.iter().any(|(new, ..)| *new == 0), "{polls:?}");
    for (new, signals, _) in &polls {
        assert_eq!(*signals, usize::from(*new > 0), "{polls:?}");
    }
}

/// The figure the README gives: a simulated day of `watch` polls at the default interval with
/// the shipped example (`cargo test --test it signals::measure -- --ignored --nocapture`).
#[test]
#[ignore = "a measurement for the README: a simulated day takes minutes"]
fn measure_a_day_of_the_example_config() {
    let example = upjobpilot::config::Config::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipeline.toml"),
    )
    .expect("the shipped example");
    let interval = default_interval(&example);
    let day = (86_400 / interval) as usize;
    let polls = polls_of_the_example(236, day, Duration::from_secs(interval));
    let with_new = polls.iter().filter(|(new, ..)| *new > 0).count();
    let signals: usize = polls.iter().map(|(_, s, _)| s).sum();
    let all: u64 = polls.iter().map(|(.., a)| a).sum();
    eprintln!(
        "{day} polls: {with_new} stored new postings; {signals} signals requests, {all} requests in all (searches and signals)"
    );
    assert_eq!(signals, with_new);
}
