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
