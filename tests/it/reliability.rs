//! Months of unattended runs against an Upwork that behaves as the public evidence says
//! (`../shared/upwork/API.md`): outages longer than the first-sync horizon, postings dated in
//! the future, absurd numbers, renewed postings at the top of `RECENCY`, partial GraphQL
//! answers, and run records that tell the truth after crashes and busy databases. Each test
//! failed on the code before the fix it guards.

use crate::support::{Harness, harness};
use std::time::Duration;
use upjobpilot::exit::Exit;

/// One search with the default horizon of a first sync (24 hours) and room to page.
const ONE_DAY: &str = r#"
[[search]]
name = "rust"
expression = "rust"
page_size = 20
max_pages = 500
max_age_hours = 24
"#;

/// A laptop closed for three days: the next sync pages down to the stored watermark instead of
/// stopping at the 24-hour horizon, so the three days in between are all stored.
#[test]
fn a_three_day_outage_loses_nothing() {
    let h = harness(41, ONE_DAY);
    let first = h.sync();
    assert_eq!(first.exit(), Exit::Ok, "{first:?}");
    let horizon = chrono::Utc::now() - chrono::Duration::hours(24);
    h.sandbox.advance(Duration::from_secs(72 * 3600));
    let second = h.sync();
    assert_eq!(second.exit(), Exit::Ok, "{second:?}");
    let expected = h.matching_since("rust", horizon);
    let stored = h.hits("rust");
    let missing: Vec<_> = expected.difference(&stored).collect();
    assert!(missing.is_empty(), "lost over the outage: {missing:?}");
    assert!(
        second.load.as_ref().map_or(0, |l| l.new_postings) > 50,
        "three days bring many postings: {second:?}"
    );
}

/// The same outage with a `max_pages` too small to reach the watermark: the search is
/// truncated, says which span it could not fetch, and keeps its watermark for the next run.
#[test]
fn an_outage_longer_than_max_pages_is_truncated_with_the_span_not_fetched() {
    let h = harness(42, &ONE_DAY.replace("max_pages = 500", "max_pages = 3"));
    h.sync();
    let watermark =
        |h: &Harness| h.count("SELECT epoch(watermark::TIMESTAMP)::BIGINT FROM search_state");
    let before = watermark(&h);
    h.sandbox.advance(Duration::from_secs(72 * 3600));
    let report = h.sync();
    assert_eq!(report.exit(), Exit::Partial, "{report:?}");
    let note = report.searches[0].note.clone().unwrap_or_default();
    assert!(
        note.contains("were not fetched") && note.contains(" to "),
        "{note}"
    );
    assert_eq!(watermark(&h), before, "the watermark stays");
}

/// A run that could not load its pages (the database was held, or it died loading) records
/// its own verdict when a later run loads them, not "ok"; and loading the same run folder again
/// (a crash between the commit and the folder's removal) leaves its record, its hits and its
/// postings' times as they were.
#[test]
fn run_records_keep_their_verdict_across_spooling_and_replays() {
    use upjobpilot::pipeline::{load, spool};
    let dir = tempfile::tempdir().expect("tempdir");
    let spool_dir = dir.path().join("spool");
    upjobpilot::commands::bench::generate_spool(&spool_dir, 300, 100).expect("spool");
    let spool = spool::Spool::new(spool_dir);
    let pending = spool.pending().expect("pending");
    // What the fetching process wrote: it ended partial, with a note.
    let finished = pending[0].finished.clone().expect("finished");
    let finished = spool::RunRecord {
        status: Some("partial".into()),
        errors: Some("bench: stopped at max_pages".into()),
        ..finished
    };
    std::fs::write(
        pending[0].dir.join("finished.json"),
        serde_json::to_vec(&finished).expect("json"),
    )
    .expect("rewrite finished.json");
    let pending = spool.pending().expect("pending");

    let mut conn = upjobpilot::db::open(&dir.path().join("db.duckdb")).expect("db");
    load::load(&mut conn, &pending, None).expect("first load");
    let snapshot = |conn: &duckdb::Connection| -> (String, Option<String>, i64, i64, i64) {
        conn.query_row(
            "SELECT status, errors, postings_seen, (SELECT count(*) FROM search_hits), (SELECT sum(epoch_us(last_seen_at)) FROM jobs)::BIGINT FROM sync_runs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .expect("snapshot")
    };
    let first = snapshot(&conn);
    assert_eq!(first.0, "partial");
    assert_eq!(first.1.as_deref(), Some("bench: stopped at max_pages"));
    assert_eq!(first.2, 300);

    // The replay, as after a crash before the folder was removed.
    load::load(&mut conn, &pending, None).expect("replay");
    assert_eq!(snapshot(&conn), first, "a replay changes no record");
}

/// Searches over the whole history, so the sandbox's ground truth is the expectation.
const WHOLE_HISTORY: &str = r#"
[[search]]
name = "rust"
expression = "rust"
page_size = 20
max_pages = 500
max_age_hours = 100

[[search]]
name = "fixed"
job_type = "fixed"
page_size = 50
max_pages = 500
max_age_hours = 100
"#;

/// graphql-java nulls the edge of a posting whose non-null field is null and says so in
/// `errors`: the page's good postings are stored, the loss is counted and named by its path,
/// the sync ends partial (exit 3), and the next, idle sync does not report the same loss again.
#[test]
fn a_partial_answer_keeps_every_good_posting_and_reports_the_loss_once() {
    let h = crate::support::harness_with(44, WHOLE_HISTORY, |config| {
        config.realism.null_rate = 0.05;
    });
    let report = h.sync();
    assert_eq!(report.exit(), Exit::Partial, "{report:?}");
    for search in &report.searches {
        let expected = h.expected(&search.name);
        let stored = h.hits(&search.name);
        assert!(stored.is_subset(&expected), "{}", search.name);
        let withheld = expected.len() - stored.len();
        assert!(withheld > 0, "{}: the rate should break some", search.name);
        // Every good posting of the search is stored; only the withheld ones are missing.
        let note = search.note.clone().unwrap_or_default();
        assert_eq!(
            search.status,
            upjobpilot::pipeline::spool::SearchStatus::Lost,
            "{note}"
        );
        assert!(
            note.contains(&format!("withheld {withheld} posting")),
            "{}: {withheld} withheld, note {note}",
            search.name
        );
        assert!(
            note.contains("at marketplaceJobPostingsSearch/edges/"),
            "{note}"
        );
    }
    let watermarks = h.count("SELECT count(watermark) FROM search_state");
    assert_eq!(
        watermarks, 2,
        "the watermarks moved: the pages were fetched"
    );
    let idle = h.sync();
    assert_eq!(idle.exit(), Exit::Ok, "the same loss is not news: {idle:?}");
    assert_eq!(
        idle.requests, 1,
        "an idle sync is still one batched request for both searches"
    );
}

/// Renewed postings jump to the top of `RECENCY` with their old `publishedDateTime`: paging
/// does not stop at them, so nothing below them is skipped.
#[test]
fn renewed_postings_at_the_top_hide_nothing() {
    let h = crate::support::harness_with(45, WHOLE_HISTORY, |config| {
        config.realism.renewals_to_top = true;
        config.market.changes_per_hour = 300.0;
    });
    h.sync();
    let before: Vec<_> = ["rust", "fixed"].iter().map(|s| h.hits(s)).collect();
    h.sandbox.advance(Duration::from_secs(3 * 3600));
    let report = h.sync();
    assert_eq!(report.exit(), Exit::Ok, "{report:?}");
    let mut grew = 0;
    for (search, old) in ["rust", "fixed"].iter().zip(&before) {
        let expected = h.expected(search);
        let stored = h.hits(search);
        let missing: Vec<_> = expected.difference(&stored).collect();
        assert!(missing.is_empty(), "{search}: skipped {missing:?}");
        grew += stored.len() - old.len();
    }
    assert!(grew > 0, "three hours bring new postings");
    // The renewals were seen as changes of postings already stored.
    assert!(h.count("SELECT count(*) FROM job_changes WHERE renewed_at IS NOT NULL") > 0);
    let idle = h.sync();
    assert_eq!(
        idle.requests, 1,
        "renewals at the top do not cost an idle sync more than its one batched request"
    );
}

/// Fields the schema leaves nullable come back null at realistic rates, and in every form the
/// reports disagree on (`displayValue` "40.0" or "$60.00", verification "VERIFIED" or null):
/// every posting is stored, and no view or export shows NaN, infinity or the text "null".
#[test]
fn sparse_postings_in_every_reported_form_load_and_export_cleanly() {
    use upwork_sandbox::{DisplayValue, MissingAfter, VerificationForm};
    for (seed, display, verification, missing_after) in [
        (
            46,
            DisplayValue::Plain,
            VerificationForm::Enum,
            MissingAfter::Http500,
        ),
        (
            47,
            DisplayValue::Currency,
            VerificationForm::VerifiedOrNull,
            MissingAfter::ErrorsEntry,
        ),
        (
            48,
            DisplayValue::Mixed,
            VerificationForm::VerifiedOrNull,
            MissingAfter::Http500,
        ),
    ] {
        let h = crate::support::harness_with(seed, WHOLE_HISTORY, |config| {
            config.realism.sparse_rate = 0.6;
            config.realism.display_value = display;
            config.realism.verification = verification;
            config.realism.missing_after = missing_after;
        });
        let report = h.sync();
        assert_eq!(report.exit(), Exit::Ok, "{display:?}: {report:?}");
        let load = report.load.as_ref().expect("loaded");
        assert_eq!(load.quarantined, 0, "{display:?}: sparse is not broken");
        for search in ["rust", "fixed"] {
            assert_eq!(h.hits(search), h.expected(search), "{display:?} {search}");
        }
        let conn = h.db();
        for view in upjobpilot::pipeline::views::DEFAULT_VIEWS {
            let view = view.0.trim_end_matches(".sql");
            let columns: Vec<(String, String)> = conn
                .prepare(&format!("DESCRIBE SELECT * FROM {view}"))
                .expect("describe")
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .expect("columns")
                .collect::<Result<_, _>>()
                .expect("rows");
            for (column, ty) in columns
                .iter()
                .filter(|(_, t)| t == "DOUBLE" || t == "FLOAT")
            {
                let bad: i64 = conn
                    .query_row(
                        &format!("SELECT count(*) FROM {view} WHERE isnan(\"{column}\") OR isinf(\"{column}\")"),
                        [],
                        |r| r.get(0),
                    )
                    .expect("count");
                assert_eq!(bad, 0, "{view}.{column} ({ty}) has NaN or infinity");
            }
        }
        for file in report
            .exported
            .written
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "csv"))
        {
            let text = std::fs::read_to_string(file).expect("csv");
            for word in ["NaN", "nan,", "inf,", "Infinity", ",null,", "\"null\""] {
                assert!(!text.contains(word), "{} contains {word}", file.display());
            }
        }
    }
}

/// The id of the newest open posting the `rust` search finds.
fn newest_rust(h: &Harness) -> String {
    let search = &h.config.searches[0];
    let filter =
        serde_json::Value::Object(upjobpilot::upwork::filter::search_filter(&search.criteria));
    h.sandbox.ground_truth(&filter, &[])[0].clone()
}

/// One node dated 2099 used to raise the watermark for good, so every later sync stopped
/// after its first page. Now it moves no watermark, is quarantined with its reason, and the next
/// sync finds everything new.
#[test]
fn a_posting_dated_in_the_future_moves_no_watermark_and_is_quarantined() {
    let h = harness(49, WHOLE_HISTORY);
    let id = newest_rust(&h);
    let future = chrono::DateTime::parse_from_rfc3339("2099-01-01T00:00:00Z")
        .expect("date")
        .with_timezone(&chrono::Utc);
    h.sandbox
        .with_market(|m| m.edit(&id, |p| p.published = future));
    let first = h.sync();
    assert_eq!(first.exit(), Exit::Ok, "{first:?}");
    let reason: String = h
        .db()
        .query_row(
            "SELECT reason FROM quarantine WHERE job_id = ?",
            [&id],
            |r| r.get(0),
        )
        .expect("the 2099 posting is quarantined");
    assert!(reason.contains("in the future"), "{reason}");
    assert_eq!(
        h.count("SELECT count(*) FROM search_state WHERE year(watermark::TIMESTAMP) >= 2099"),
        0,
        "no watermark in 2099"
    );
    h.sandbox.advance(Duration::from_secs(3 * 3600));
    h.sync();
    for search in ["rust", "fixed"] {
        let expected: std::collections::BTreeSet<String> = h
            .expected(search)
            .into_iter()
            .filter(|e| *e != id)
            .collect();
        let stored = h.hits(search);
        let missing: Vec<_> = expected.difference(&stored).collect();
        assert!(missing.is_empty(), "{search}: missing {missing:?}");
    }
}

/// One out-of-range number (an hourly minimum of 150,000,000, a budget of 1e15) used to fail
/// the merge's cast, leave the page in the spool and fail every later load. Now that posting is
/// quarantined, the rest loads, and the next sync loads new pages.
#[test]
fn absurd_numbers_are_quarantined_and_later_loads_go_on() {
    let h = harness(50, WHOLE_HISTORY);
    let fixed = {
        let filter = serde_json::json!({ "jobType_eq": "FIXED" });
        h.sandbox.ground_truth(&filter, &[])[0].clone()
    };
    let hourly = {
        let filter = serde_json::json!({ "searchExpression_eq": "rust", "jobType_eq": "HOURLY" });
        h.sandbox.ground_truth(&filter, &[])[0].clone()
    };
    h.sandbox.with_market(|m| {
        m.edit(&fixed, |p| {
            p.amount = rust_decimal::Decimal::from(1_000_000_000_000_000i64)
        });
        m.edit(&hourly, |p| {
            p.hourly_min = Some(rust_decimal::Decimal::from(150_000_000))
        });
    });
    let first = h.sync();
    assert_eq!(first.exit(), Exit::Ok, "{first:?}");
    for (id, field) in [(&fixed, "amount"), (&hourly, "hourlyBudgetMin")] {
        let reason: String = h
            .db()
            .query_row(
                "SELECT reason FROM quarantine WHERE job_id = ?",
                [id],
                |r| r.get(0),
            )
            .expect("quarantined");
        assert!(
            reason.contains(field) && reason.contains("out of range"),
            "{reason}"
        );
    }
    assert!(
        h.count("SELECT count(*) FROM jobs") > 100,
        "the rest loaded"
    );
    assert!(
        !h.config.spool_dir().exists()
            || std::fs::read_dir(h.config.spool_dir())
                .expect("spool")
                .filter_map(|e| e.ok())
                .all(|e| !e.path().is_dir()),
        "no run folder is left in the spool"
    );
    h.sandbox.advance(Duration::from_secs(3 * 3600));
    let second = h.sync();
    assert!(second.load.expect("loaded").new_postings > 0);
}

/// A stand-in for a broken server or a captive portal: answers every request with HTTP 200 and
/// a body far larger than any page, announced (`Content-Length`) or not (chunked).
fn endless_server(announced: bool) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(mut stream) = stream else { break };
            let mut request = [0u8; 8192];
            let _ = stream.read(&mut request);
            let head = if announced {
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n"
            } else {
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            };
            if stream.write_all(head.as_bytes()).is_err() {
                continue;
            }
            let chunk = vec![b' '; 1 << 20];
            // At most 48 MiB, then give up: the client must have stopped reading long before.
            for _ in 0..48 {
                let written = if announced {
                    stream.write_all(&chunk)
                } else {
                    stream
                        .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                        .and_then(|()| stream.write_all(&chunk))
                        .and_then(|()| stream.write_all(b"\r\n"))
                };
                if written.is_err() {
                    break;
                }
            }
        }
    });
    format!("http://{addr}/graphql")
}

/// A response body past the cap (32 MiB) ends the search with a clear error instead of being
/// read into memory, announced or not.
#[test]
fn an_endless_response_body_is_refused() {
    for announced in [true, false] {
        let mut h = harness(51, ONE_DAY);
        let path = h.config.path.clone();
        let text = std::fs::read_to_string(&path).expect("read");
        let url = endless_server(announced);
        let text = text
            .lines()
            .map(|l| {
                if l.starts_with("graphql_url") {
                    format!("graphql_url = \"{url}\"")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(&path, text).expect("write");
        h.config = upjobpilot::config::Config::load(&path).expect("valid");
        let report = h.sync();
        assert_eq!(report.exit(), Exit::Partial, "{report:?}");
        let note = report.searches[0].note.clone().unwrap_or_default();
        assert!(
            note.contains("larger than"),
            "announced {announced}: {note}"
        );
    }
}
