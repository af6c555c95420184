//! The pipeline end to end against the in-process sandbox and a real DuckDB file: first sync,
//! idle sync, incremental sync after the market moves, postings moving between pages, token
//! refresh mid-sync, exports.

use crate::support::{Harness, harness, harness_with};
use std::collections::BTreeSet;
use std::time::Duration;
use upjobpilot::exit::Exit;
use upwork_sandbox::FaultKind;

/// Searches that cover the sandbox's whole history (three days), so the horizon never cuts
/// through the middle of a second and every expectation comes from the sandbox alone.
const SEARCHES: &str = r#"
[[search]]
name = "rust"
expression = "rust"
page_size = 20
max_age_hours = 100

[[search]]
name = "python"
skills = ["python"]
page_size = 25
max_age_hours = 100

[[search]]
name = "fixed-500"
job_type = "fixed"
budget = { min = 500 }
page_size = 50
max_age_hours = 100
max_pages = 200
"#;

fn assert_matches_ground_truth(h: &Harness) {
    for search in &h.config.searches {
        let expected = h.expected(&search.name);
        assert!(
            !expected.is_empty(),
            "search {} should match something",
            search.name
        );
        let stored = h.hits(&search.name);
        let missing: Vec<_> = expected.difference(&stored).collect();
        let extra: Vec<_> = stored.difference(&expected).collect();
        assert!(missing.is_empty(), "{}: missing {missing:?}", search.name);
        assert!(extra.is_empty(), "{}: not matching {extra:?}", search.name);
    }
}

#[test]
fn first_sync_stores_exactly_what_each_search_matches() {
    let h = harness(11, SEARCHES);
    let report = h.sync();
    assert_eq!(report.exit(), Exit::Ok, "{report:?}");
    assert_matches_ground_truth(&h);
    // One row per posting, however many searches found it.
    let hits = h.count("SELECT count(DISTINCT job_id) FROM search_hits");
    assert_eq!(h.count("SELECT count(*) FROM jobs"), hits);
    assert_eq!(
        h.count("SELECT count(*) FROM (SELECT search, job_id FROM search_hits GROUP BY ALL HAVING count(*) > 1)"),
        0
    );
    let runs = h.count("SELECT count(*) FROM sync_runs WHERE status = 'ok'");
    assert_eq!(runs, 1);
}

#[test]
fn a_posting_found_by_two_searches_is_one_job_and_two_hits() {
    let h = harness(
        12,
        r#"
[[search]]
name = "all-rust"
expression = "rust"
max_age_hours = 100

[[search]]
name = "rust-skill"
skills = ["rust"]
max_age_hours = 100
"#,
    );
    h.sync();
    let both: BTreeSet<String> = h
        .hits("all-rust")
        .intersection(&h.hits("rust-skill"))
        .cloned()
        .collect();
    assert!(!both.is_empty(), "the two searches should overlap");
    let id = both.iter().next().expect("one id");
    assert_eq!(
        h.count(&format!("SELECT count(*) FROM jobs WHERE id = '{id}'")),
        1
    );
    assert_eq!(
        h.count(&format!(
            "SELECT count(*) FROM search_hits WHERE job_id = '{id}'"
        )),
        2
    );
}

#[test]
fn an_idle_sync_makes_one_batched_request_and_changes_nothing() {
    let h = harness(13, SEARCHES);
    assert!(h.config.searches.len() > 1);
    h.sync();
    let snapshot = |h: &Harness| {
        h.db()
            .query_row(
                "SELECT (SELECT count(*) FROM jobs), (SELECT sum(hash(id, total_applicants, last_seen_at)) FROM jobs),
                        (SELECT count(*) FROM search_hits), (SELECT count(*) FROM job_changes),
                        (SELECT count(*) FROM job_skills)",
                [],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i128>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?, r.get::<_, i64>(4)?)),
            )
            .expect("snapshot")
    };
    let before = snapshot(&h);
    let requests = h.graphql_requests();
    let report = h.sync();
    assert_eq!(report.exit(), Exit::Ok);
    assert_eq!(
        h.graphql_requests() - requests,
        1,
        "an idle sync asks every search's first page in one document"
    );
    let after = snapshot(&h);
    assert_eq!(
        (before.0, before.2, before.3, before.4),
        (after.0, after.2, after.3, after.4)
    );
    assert_eq!(h.count("SELECT count(*) FROM sync_runs"), 2);
}

/// `n` searches that each match part of the market.
fn many_searches(n: usize) -> String {
    let skills = ["python", "rust", "sql", "javascript", "react", "design"];
    (0..n)
        .map(|i| {
            format!(
                "[[search]]\nname = \"s{i}\"\nskills = [\"{}\"]\nmax_age_hours = {}\n",
                skills[i % skills.len()],
                1 + i % 5
            )
        })
        .collect()
}

#[test]
fn an_idle_poll_costs_one_request_for_1_10_and_50_searches() {
    for n in [1, 10, 50] {
        let mut h = harness(19, &many_searches(n));
        // One document answers every search: the sandbox's debug build needs more than the
        // harness's 2 s for 50.
        h.config.upwork.timeout_secs = 60;
        let first = h.sync();
        assert_eq!(first.exit(), Exit::Ok, "{first:?}");
        let requests = h.graphql_requests();
        assert_eq!(h.sync().exit(), Exit::Ok);
        assert_eq!(h.graphql_requests() - requests, 1, "{n} searches");
    }
}

#[test]
fn a_refused_batch_falls_back_to_one_request_per_search_and_is_remembered() {
    let h = crate::support::harness_with(20, SEARCHES, |config| {
        config.realism.refuse_batches = true;
    });
    let searches = h.config.searches.len() as u64;
    let first = h.sync();
    assert_eq!(first.exit(), Exit::Ok, "{first:?}");
    for search in &h.config.searches {
        assert_eq!(
            h.hits(&search.name),
            h.expected(&search.name),
            "{}",
            search.name
        );
    }
    assert!(h.config.spool_dir().join("batching-refused").exists());
    let requests = h.graphql_requests();
    assert_eq!(h.sync().exit(), Exit::Ok);
    assert_eq!(
        h.graphql_requests() - requests,
        searches,
        "remembered: no batch is tried again"
    );
}

#[test]
fn after_the_clock_moves_the_next_sync_adds_exactly_the_new_postings() {
    let h = harness(14, SEARCHES);
    h.sync();
    let before: Vec<BTreeSet<String>> = h.config.searches.iter().map(|s| h.hits(&s.name)).collect();
    let jobs_before = h.count("SELECT count(*) FROM jobs");
    h.sandbox.advance(Duration::from_secs(3 * 3600));
    let report = h.sync();
    assert_eq!(report.exit(), Exit::Ok, "{report:?}");
    // Everything open that matches is there (closed postings stay stored, so compare the
    // newly expected ones).
    for (search, old) in h.config.searches.iter().zip(&before) {
        let expected = h.expected(&search.name);
        let stored = h.hits(&search.name);
        let new_expected: BTreeSet<_> = expected.difference(old).cloned().collect();
        let new_stored: BTreeSet<_> = stored.difference(old).cloned().collect();
        assert_eq!(new_stored, new_expected, "{}: new postings", search.name);
    }
    let load = report.load.expect("loaded");
    let jobs_after = h.count("SELECT count(*) FROM jobs");
    assert_eq!(load.new_postings, jobs_after - jobs_before);
    assert!(load.new_postings > 0, "three hours bring new postings");
}

#[test]
fn changes_to_refetched_postings_are_recorded() {
    let h = harness(15, SEARCHES);
    h.sync();
    // Change the newest posting of a search so the next (overlapping) page sees it.
    let newest = h
        .db()
        .query_row(
            "SELECT j.id, j.total_applicants FROM jobs j JOIN search_hits h ON h.job_id = j.id
             WHERE h.search = 'rust' ORDER BY j.published_at DESC, j.id DESC LIMIT 1",
            [],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i32>(1)?)),
        )
        .expect("newest");
    let bumped = h.sandbox.with_market(|m| m.add_applicants(&newest.0, 3));
    assert!(bumped, "the sandbox knows the posting");
    h.sync();
    let changes = h.count(&format!(
        "SELECT count(*) FROM job_changes WHERE job_id = '{}' AND total_applicants = {}",
        newest.0,
        newest.1 + 3
    ));
    assert_eq!(changes, 1);
    assert_eq!(
        h.count(&format!(
            "SELECT total_applicants FROM jobs WHERE id = '{}'",
            newest.0
        )),
        i64::from(newest.1 + 3)
    );
}

#[test]
fn postings_arriving_and_closing_between_pages_lose_nothing_that_stayed_open() {
    let h = harness_with(16, SEARCHES, |config| {
        config.faults.schedule = (2..40)
            .map(|n| {
                let kind = if n % 2 == 0 {
                    FaultKind::CloseBetweenPages(3)
                } else {
                    FaultKind::ArriveBetweenPages(4)
                };
                (n, kind)
            })
            .collect();
    });
    let before: Vec<BTreeSet<String>> = h
        .config
        .searches
        .iter()
        .map(|s| h.expected(&s.name))
        .collect();
    let report = h.sync();
    // A search whose list kept shifting beyond what stepping back can repair ends partial, keeps
    // its watermark, and the next sync reads it again; one that completed must have everything
    // that was there when it started and stayed open.
    assert!(
        matches!(report.exit(), Exit::Ok | Exit::Partial),
        "{report:?}"
    );
    for ((search, summary), before) in h.config.searches.iter().zip(&report.searches).zip(&before) {
        if summary.status != upjobpilot::pipeline::spool::SearchStatus::Complete {
            continue;
        }
        let stayed: BTreeSet<String> = h
            .expected(&search.name)
            .intersection(before)
            .cloned()
            .collect();
        let stored = h.hits(&search.name);
        let missing: Vec<_> = stayed.difference(&stored).collect();
        assert!(missing.is_empty(), "{}: lost {missing:?}", search.name);
    }
    // Postings that arrived while paging belong to the next sync.
    h.sandbox.set_faults(Default::default());
    assert_eq!(h.sync().exit(), Exit::Ok);
    for search in &h.config.searches {
        let expected = h.expected(&search.name);
        let stored = h.hits(&search.name);
        let missing: Vec<_> = expected.difference(&stored).collect();
        assert!(
            missing.is_empty(),
            "{}: lost {missing:?} after the second sync",
            search.name
        );
    }
}

#[test]
fn the_token_is_refreshed_and_rotated_during_a_sync() {
    let h = harness_with(17, SEARCHES, |config| {
        config.faults.schedule = vec![(3, FaultKind::ExpireToken), (9, FaultKind::RevokeToken)];
    });
    let stored_before = h.store.load().expect("load").expect("tokens");
    let report = h.sync();
    assert_eq!(report.exit(), Exit::Ok, "{report:?}");
    assert!(
        h.tokens.refreshes() >= 2,
        "refreshed {} times",
        h.tokens.refreshes()
    );
    let stored_after = h.store.load().expect("load").expect("tokens");
    assert_ne!(
        stored_before
            .refresh_token
            .as_ref()
            .map(|s| s.expose().to_string()),
        stored_after
            .refresh_token
            .as_ref()
            .map(|s| s.expose().to_string()),
        "the rotated refresh token is saved"
    );
    assert_matches_ground_truth(&h);
}

#[test]
fn exports_are_readable_csv_and_typed_parquet() {
    let h = harness(18, SEARCHES);
    let report = h.sync();
    let export_dir = h.config.export_dir();
    let views = [
        "new_postings",
        "postings_per_search",
        "skill_demand",
        "skill_demand_daily",
        "client_quality",
        "fit_score",
        "budget_stats",
        "my_postings",
    ];
    for view in views {
        assert!(
            export_dir.join(format!("{view}.csv")).is_file(),
            "{view}.csv"
        );
        assert!(
            export_dir.join(format!("{view}.parquet")).is_file(),
            "{view}.parquet"
        );
    }
    assert_eq!(report.exported.written.len(), 2 * views.len());
    // The fit score's documented bounds: no skill of yours caps it at 40, all of them floor it
    // at 60.
    assert_eq!(
        h.count("SELECT count(*) FROM fit_score WHERE len(matching_skills) = 0 AND fit_score > 40"),
        0
    );
    assert_eq!(
        h.count("SELECT count(*) FROM fit_score WHERE len(matching_skills) = len(skills) AND len(skills) > 0 AND fit_score < 60"),
        0
    );
    assert!(h.count("SELECT count(*) FROM fit_score WHERE len(matching_skills) > 0") > 0);
    let mut reader = csv::Reader::from_path(export_dir.join("new_postings.csv")).expect("csv");
    let headers = reader.headers().expect("header").clone();
    let published = headers
        .iter()
        .position(|h| h == "published_at")
        .expect("published_at column");
    assert!(
        headers.iter().any(|h| h == "label"),
        "the user's label: {headers:?}"
    );
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("rows");
    assert_eq!(rows.len() as i64, h.count("SELECT count(*) FROM jobs"));
    let iso = regex_lite_iso();
    for row in &rows {
        assert!(iso(&row[published]), "ISO timestamp: {}", &row[published]);
    }
    let conn = h.db();
    let types: Vec<(String, String)> = {
        let mut stmt = conn
            .prepare(&format!(
                "DESCRIBE SELECT * FROM read_parquet('{}')",
                export_dir.join("new_postings.parquet").display()
            ))
            .expect("describe");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("types")
    };
    let type_of = |name: &str| {
        types
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
    };
    assert_eq!(type_of("published_at"), Some("TIMESTAMP WITH TIME ZONE"));
    assert_eq!(type_of("fixed_budget"), Some("DECIMAL(14,2)"));
    assert_eq!(type_of("skills"), Some("VARCHAR[]"));
    assert_eq!(type_of("client_payment_verified"), Some("BOOLEAN"));
}

/// `YYYY-MM-DDTHH:MM:SSZ`, checked by hand to keep the test free of a regex crate.
fn regex_lite_iso() -> impl Fn(&str) -> bool {
    |s: &str| {
        let b = s.as_bytes();
        b.len() == 20
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':'
            && b[19] == b'Z'
            && b.iter()
                .enumerate()
                .all(|(i, c)| [4, 7, 10, 13, 16, 19].contains(&i) || c.is_ascii_digit())
    }
}

/// The daily aggregates as sorted text rows, for comparing snapshots.
fn daily(h: &Harness, filter: &str) -> Vec<String> {
    let conn = h.db();
    let mut stmt = conn
        .prepare(&format!(
            "SELECT concat_ws('|', day, dimension, value, postings, hourly, fixed,
                              median_fixed_budget, median_hourly_rate)
             FROM daily_postings WHERE {filter} ORDER BY ALL"
        ))
        .expect("prepare");
    stmt.query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// Days and values where `daily_postings` disagrees with a count over the stored postings.
fn daily_mismatches(h: &Harness, dimension: &str, counted: &str) -> i64 {
    h.count(&format!(
        "SELECT count(*) FROM ({counted}) t
         FULL JOIN (SELECT day, value, postings FROM daily_postings WHERE dimension = '{dimension}') d
         USING (day, value)
         WHERE t.n IS DISTINCT FROM d.postings"
    ))
}

#[test]
fn daily_aggregates_follow_the_postings_and_outlive_them_under_strict_retention() {
    let mut h = harness(17, SEARCHES);
    h.sync();
    let day = "published_at::TIMESTAMP::DATE";
    for column in ["job_type", "category", "client_country"] {
        let counted = format!(
            "SELECT {day} AS day, coalesce({column}, 'unknown') AS value, count(*) AS n FROM jobs GROUP BY ALL"
        );
        assert_eq!(daily_mismatches(&h, column, &counted), 0, "{column}");
    }
    let skills = format!(
        "SELECT {day} AS day, k.skill AS value, count(*) AS n FROM job_skills k JOIN jobs j ON j.id = k.job_id GROUP BY ALL"
    );
    assert_eq!(daily_mismatches(&h, "skill", &skills), 0);
    let bands = format!("SELECT {day} AS day, count(*) AS n FROM jobs GROUP BY ALL");
    assert_eq!(
        h.count(&format!(
            "SELECT count(*) FROM ({bands}) t FULL JOIN
               (SELECT day, sum(postings) AS n FROM daily_postings WHERE dimension = 'budget_band' GROUP BY day) d
             USING (day) WHERE t.n IS DISTINCT FROM d.n"
        )),
        0,
        "every posting is in exactly one budget band"
    );
    assert_eq!(
        h.count("SELECT count(*) FROM skill_demand_daily"),
        h.count("SELECT count(*) FROM daily_postings WHERE dimension = 'skill'")
    );

    // Strict retention: the postings older than 24 hours go, with their skills, hits and
    // changes; their days are closed and their aggregates stay as they were.
    let before = daily(&h, "true");
    let old = "SELECT count(*) FROM jobs WHERE published_at::TIMESTAMP < now()::TIMESTAMP - INTERVAL 25 HOUR";
    assert!(
        h.count(old) > 0,
        "the sandbox's history reaches back three days"
    );
    let path = h.config.path.clone();
    let mut text = std::fs::read_to_string(&path).expect("read");
    text.push_str("\n[retention]\nkeep_postings = false\n");
    std::fs::write(&path, text).expect("write");
    h.config = upjobpilot::config::Config::load(&path).expect("valid");
    h.sync();
    assert_eq!(h.count(old), 0);
    assert!(
        h.count("SELECT count(*) FROM jobs") > 0,
        "the last 24 hours stay"
    );
    for table in ["job_skills", "search_hits", "job_changes"] {
        assert_eq!(
            h.count(&format!(
                "SELECT count(*) FROM {table} WHERE job_id NOT IN (SELECT id FROM jobs)"
            )),
            0,
            "{table} keeps nothing of deleted postings"
        );
    }
    assert_eq!(daily(&h, "true"), before);
    assert!(h.count("SELECT count(*) FROM daily_closed") > 0);

    // The market moves on: new postings count on their days; closed days do not change.
    let closed = "day IN (SELECT day FROM daily_closed)";
    let closed_before = daily(&h, closed);
    let total = "SELECT sum(postings) FROM daily_postings WHERE dimension = 'job_type'";
    let total_before = h.count(total);
    h.sandbox.advance(Duration::from_secs(3 * 3600));
    let report = h.sync();
    assert_eq!(daily(&h, closed), closed_before);
    assert_eq!(
        h.count(total) - total_before,
        report.load.expect("loaded").new_postings
    );
}

#[test]
fn a_version_1_database_gets_its_daily_aggregates_when_migrated() {
    let h = harness(18, SEARCHES);
    h.sync();
    let after_sync = daily(&h, "true");
    assert!(!after_sync.is_empty());
    {
        let conn = h.db();
        conn.execute_batch(
            "DROP TABLE daily_postings; DROP TABLE daily_closed;
             DELETE FROM schema_version WHERE version >= 2;",
        )
        .expect("back to version 1");
    }
    drop(upjobpilot::db::open(&h.db_path()).expect("migrates"));
    assert_eq!(daily(&h, "true"), after_sync);
    assert_eq!(
        h.count("SELECT max(version) FROM schema_version"),
        i64::from(upjobpilot::db::SCHEMA_VERSION)
    );
}

/// Labels are the user's data, not Upwork's: no sync changes them, and neither form of retention
/// deletes them; `my_postings` lists them with the id and URL after the posting is gone.
#[test]
fn labels_outlive_syncs_and_both_kinds_of_retention() {
    let mut h = harness(27, SEARCHES);
    h.sync();
    let old = "published_at::TIMESTAMP < now()::TIMESTAMP - INTERVAL 25 HOUR";
    let ids: Vec<(String, String)> = {
        let conn = h.db();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT id, url FROM jobs WHERE {old} ORDER BY id LIMIT 3"
            ))
            .expect("prepare");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    assert_eq!(
        ids.len(),
        3,
        "the sandbox's history reaches back three days"
    );
    {
        let conn = h.db();
        for ((id, url), label) in ids.iter().zip(["saved", "applied", "ignored"]) {
            conn.execute(
                "INSERT INTO labels VALUES (?, ?, ?, 'my note', now())",
                duckdb::params![id, url, label],
            )
            .expect("label");
        }
    }
    let labels = "SELECT count(*) FROM labels WHERE note = 'my note'";
    h.sandbox.advance(Duration::from_secs(3600));
    h.sync();
    assert_eq!(h.count(labels), 3, "a sync keeps them");
    assert_eq!(
        h.count("SELECT count(*) FROM my_postings"),
        2,
        "not ignored"
    );
    assert_eq!(
        h.count("SELECT count(*) FROM new_postings WHERE label IS NOT NULL"),
        0
    );
    assert_eq!(
        h.count("SELECT count(*) FROM fit_score WHERE label = 'saved'"),
        1
    );

    let path = h.config.path.clone();
    let mut text = std::fs::read_to_string(&path).expect("read");
    text.push_str("\n[retention]\nkeep_postings = false\n");
    std::fs::write(&path, text).expect("write");
    h.config = upjobpilot::config::Config::load(&path).expect("valid");
    h.sync();
    assert_eq!(
        h.count(&format!("SELECT count(*) FROM jobs WHERE {old}")),
        0,
        "the labelled postings themselves are deleted"
    );
    assert_eq!(h.count(labels), 3, "strict retention keeps the labels");
    let conn = h.db();
    let mut stmt = conn
        .prepare("SELECT id, url, title FROM my_postings ORDER BY id")
        .expect("prepare");
    let rows: Vec<(String, String, Option<String>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let expected: Vec<(String, String, Option<String>)> = ids[..2]
        .iter()
        .map(|(id, url)| (id.clone(), url.clone(), None))
        .collect();
    assert_eq!(rows, expected);
}

/// The sync's retention takes 50,000 postings a transaction; the sandbox's market is smaller, so
/// here it takes 7: pruning and strict deletion reach every posting past the cutoff, and leave
/// the text index, the skills, hits and daily days as one transaction would.
#[test]
fn retention_in_many_small_pieces_prunes_and_deletes_everything_past_the_cutoff() {
    use upjobpilot::config::Retention;
    use upjobpilot::pipeline::retention;
    let h = harness(18, SEARCHES);
    h.sync();
    let past = |hours: u32, unpruned: bool| {
        h.count(&format!(
            "SELECT count(*) FROM jobs WHERE published_at::TIMESTAMP < now()::TIMESTAMP - INTERVAL {hours} HOUR{}",
            if unpruned { " AND pruned_at IS NULL" } else { "" }
        ))
    };
    let to_prune = past(1, true);
    assert!(to_prune > 14, "several pieces to prune: {to_prune}");
    let keep = Retention {
        hours: 1,
        keep_postings: true,
    };
    let pruned = retention::prune_in_pieces(&h.db(), &keep, 7).expect("prune");
    assert_eq!(pruned as i64, to_prune);
    assert_eq!(past(1, true), 0, "every posting past the cutoff is pruned");
    assert_eq!(
        h.count("SELECT count(*) FROM jobs WHERE pruned_at IS NOT NULL AND (title IS NOT NULL OR raw IS NOT NULL)"),
        0
    );
    assert_eq!(
        crate::support::text_index_errors(&h.db()),
        0,
        "after pruning"
    );

    let to_delete = past(2, false);
    assert!(to_delete > 14, "several pieces to delete: {to_delete}");
    let strict = Retention {
        hours: 2,
        keep_postings: false,
    };
    let deleted = retention::prune_in_pieces(&h.db(), &strict, 7).expect("delete");
    assert_eq!(deleted as i64, to_delete);
    assert_eq!(
        past(2, false),
        0,
        "every posting past the cutoff is deleted"
    );
    for (table, job_id) in [
        ("job_skills", "job_id"),
        ("search_hits", "job_id"),
        ("job_changes", "job_id"),
        ("text_postings", "substr(CAST(job_key AS VARCHAR), 2)"),
    ] {
        assert_eq!(
            h.count(&format!(
                "SELECT count(*) FROM {table} WHERE {job_id} NOT IN (SELECT id FROM jobs)"
            )),
            0,
            "{table} keeps no deleted posting"
        );
    }
    assert_eq!(
        crate::support::text_index_errors(&h.db()),
        0,
        "after deleting"
    );
    assert_eq!(
        h.count(
            "SELECT count(*) FROM text_words WHERE word_id NOT IN (SELECT word_id FROM text_postings)"
        ),
        0,
        "the vocabulary keeps no word without a posting"
    );
    assert!(
        h.count("SELECT count(*) FROM daily_closed") > 0,
        "their days are closed"
    );
}
