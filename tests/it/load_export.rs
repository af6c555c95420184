//! The load and export stages on crafted input: malformed API payloads are quarantined and
//! counted while the rest loads; loading the same pages twice changes nothing; CSV exports
//! neutralize formula injection unless told not to; exports replace files atomically.

use chrono::Utc;
use serde_json::{Value, json};
use upjobpilot::config::ExportFormat;
use upjobpilot::pipeline::export::{self, CsvOptions};
use upjobpilot::pipeline::load;
use upjobpilot::pipeline::spool::{Outcome, RunRecord, SearchStatus, Spool};
use upjobpilot::pipeline::views;

fn node(id: &str, title: &str) -> Value {
    json!({
        "id": id,
        "ciphertext": format!("~02{id}"),
        "title": title,
        "description": "Build a thing. Rust, tokio.",
        "createdDateTime": "2025-10-16T05:00:00+0000",
        "publishedDateTime": "2025-10-16T06:06:47+0000",
        "renewedDateTime": null,
        "amount": {"rawValue": "250.0", "currency": "USD", "displayValue": "250.0"},
        "hourlyBudgetMin": null,
        "hourlyBudgetMax": null,
        "experienceLevel": "EXPERT",
        "skills": [{"name": "rust", "prettyName": "Rust"}, {"name": "tokio", "prettyName": "Tokio"}],
        "freelancersToHire": 1,
        "totalApplicants": 4,
        "premium": false,
        "enterprise": false,
        "client": {
            "totalHires": 3, "totalPostedJobs": 4,
            "totalSpent": {"rawValue": "1200.5", "currency": "USD", "displayValue": "1200.5"},
            "verificationStatus": "VERIFIED",
            "location": {"city": "São Paulo", "country": "Brazil", "timezone": "America/Sao_Paulo"},
            "totalReviews": 2, "totalFeedback": 4.5, "hasFinancialPrivacy": false
        }
    })
}

fn page(nodes: Vec<Value>) -> Vec<u8> {
    let edges: Vec<Value> = nodes
        .into_iter()
        .enumerate()
        .map(|(i, n)| json!({"cursor": i.to_string(), "node": n}))
        .collect();
    serde_json::to_vec(&json!({"data": {"marketplaceJobPostingsSearch": {
        "totalCount": edges.len(), "edges": edges,
        "pageInfo": {"endCursor": "99", "hasNextPage": false}}}}))
    .expect("json")
}

fn spool_with(dir: &std::path::Path, pages: &[Vec<u8>]) -> Spool {
    let spool = Spool::new(dir.join("spool"));
    let record = RunRecord {
        run_id: "20251016T060000.000Z-1".into(),
        started_at: Utc::now(),
        finished_at: None,
        pid: 1,
        requests: 0,
        status: None,
        errors: None,
    };
    let run = spool.begin(&record).expect("begin");
    for (i, body) in pages.iter().enumerate() {
        run.write_page("s", i as u32 + 1, body).expect("page");
    }
    run.write_outcome(&Outcome {
        search: "s".into(),
        status: SearchStatus::Complete,
        watermark: Some(Utc::now()),
        pages: pages.len() as u32,
        total_count: None,
        note: None,
        server_time: None,
    })
    .expect("outcome");
    run.finish(&RunRecord {
        finished_at: Some(Utc::now()),
        ..record
    })
    .expect("finish");
    spool
}

#[test]
fn malformed_payloads_are_quarantined_and_the_rest_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut no_id = node("1", "x");
    no_id["id"] = Value::Null;
    let mut bad_time = node("1000000000000000002", "bad time");
    bad_time["publishedDateTime"] = json!("last Tuesday");
    let mut wrong_type = node("1000000000000000003", "wrong type");
    wrong_type["totalApplicants"] = json!("many");
    let mut huge = node("1000000000000000004", "huge");
    huge["description"] = json!("x".repeat(300_000));
    let mut bad_money = node("1000000000000000005", "bad money");
    bad_money["amount"]["rawValue"] = json!("12,5 USD");
    let mut missing_title = node("1000000000000000006", "t");
    missing_title
        .as_object_mut()
        .expect("object")
        .remove("title");
    let odd = node("1000000000000000007", "Ünïcødé \u{200b} 🚀 \u{202e}evil");
    let good = node("1000000000000000008", "Rust developer");
    let pages = vec![
        page(vec![
            no_id,
            bad_time,
            wrong_type,
            huge,
            bad_money,
            missing_title,
            odd,
            good,
        ]),
        b"<html><body>502 Bad Gateway</body></html>".to_vec(),
        br#"{"data":{"marketplaceJobPostingsSearch":{"edges":[null,{"cursor":"1","node":null}]}}}"#
            .to_vec(),
    ];
    let spool = spool_with(dir.path(), &pages);
    let mut conn = upjobpilot::db::open(&dir.path().join("db.duckdb")).expect("db");
    let pending = spool.pending().expect("pending");
    let report = load::load(&mut conn, &pending, None).expect("load succeeds despite bad input");
    assert_eq!(report.postings, 2, "{report:?}");
    assert_eq!(report.quarantined, 6 + 1 + 2, "{report:?}");
    let quarantined: i64 = conn
        .query_row("SELECT count(*) FROM quarantine", [], |r| r.get(0))
        .expect("count");
    assert_eq!(quarantined, 9);
    let title: String = conn
        .query_row(
            "SELECT title FROM jobs WHERE id = '1000000000000000007'",
            [],
            |r| r.get(0),
        )
        .expect("odd unicode kept as is");
    assert_eq!(title, "Ünïcødé \u{200b} 🚀 \u{202e}evil");
    let (url, budget, spent, rate, skills): (String, String, String, f64, String) = conn
        .query_row(
            "SELECT url, fixed_budget::VARCHAR, client_total_spent::VARCHAR, client_hire_rate, skills::VARCHAR
             FROM jobs WHERE id = '1000000000000000008'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .expect("typed columns");
    assert_eq!(url, "https://www.upwork.com/jobs/~021000000000000000008");
    assert_eq!(budget, "250.00");
    assert_eq!(spent, "1200.50");
    assert_eq!(rate, 0.75);
    assert_eq!(skills, "[rust, tokio]");

    // Loading the very same pages again (a crash between commit and spool clean-up) changes
    // nothing but the run record.
    let before: i64 = conn
        .query_row("SELECT count(*) + (SELECT count(*) FROM job_skills) + (SELECT count(*) FROM job_changes) FROM jobs", [], |r| r.get(0))
        .expect("count");
    load::load(&mut conn, &pending, None).expect("second load");
    let after: i64 = conn
        .query_row("SELECT count(*) + (SELECT count(*) FROM job_skills) + (SELECT count(*) FROM job_changes) FROM jobs", [], |r| r.get(0))
        .expect("count");
    assert_eq!(before, after);
}

fn export_dir_with_formula_view(guard: bool) -> (tempfile::TempDir, Vec<Vec<String>>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = duckdb::Connection::open(dir.path().join("x.duckdb")).expect("db");
    std::fs::create_dir(dir.path().join("queries")).expect("dir");
    std::fs::write(
        dir.path().join("queries/risky.sql"),
        "-- cells a spreadsheet would run\nSELECT * FROM (VALUES ('=HYPERLINK(\"http://x\")', 1), ('+1', 2), ('-2', 3), ('@SUM(A1)', 4), (chr(9) || 'tab', 5), (chr(13) || 'cr', 6), ('plain, \"quoted\"', 7)) t(cell, n)",
    )
    .expect("view");
    let views = views::read_views(&dir.path().join("queries")).expect("views");
    export::create_views(&conn, &views).expect("create");
    let files = export::export(
        &conn,
        &views,
        &dir.path().join("exports"),
        &[ExportFormat::Csv],
        CsvOptions {
            formula_guard: guard,
            ..Default::default()
        },
        &[],
    )
    .expect("export");
    let mut reader = csv::Reader::from_path(&files.written[0]).expect("csv");
    let rows = reader
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect();
    (dir, rows)
}

#[test]
fn csv_cells_that_look_like_formulas_are_neutralized_by_default() {
    let (_dir, rows) = export_dir_with_formula_view(true);
    let cells: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        cells,
        [
            "'=HYPERLINK(\"http://x\")",
            "'+1",
            "'-2",
            "'@SUM(A1)",
            "'\ttab",
            "'\rcr",
            "plain, \"quoted\""
        ]
    );
    let (_dir, rows) = export_dir_with_formula_view(false);
    assert_eq!(rows[0][0], "=HYPERLINK(\"http://x\")");
}

#[test]
fn an_unwritable_export_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = duckdb::Connection::open_in_memory().expect("db");
    let blocker = dir.path().join("exports");
    std::fs::write(&blocker, "a file where the folder should be").expect("write");
    let views = vec![views::View {
        name: "v".into(),
        path: dir.path().join("v.sql"),
        sql: "SELECT 1 AS x".into(),
    }];
    export::create_views(&conn, &views).expect("create");
    let error = export::export(
        &conn,
        &views,
        &blocker,
        &[ExportFormat::Csv],
        CsvOptions {
            formula_guard: true,
            ..Default::default()
        },
        &[],
    )
    .expect_err("cannot export into a file");
    assert!(error.to_string().contains("export folder"), "{error}");
    assert_eq!(
        std::fs::read_to_string(&blocker).expect("read"),
        "a file where the folder should be"
    );
}

#[test]
fn csv_can_use_semicolons_and_a_byte_order_mark_for_spreadsheets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = duckdb::Connection::open_in_memory().expect("db");
    let views = vec![views::View {
        name: "v".into(),
        path: dir.path().join("v.sql"),
        sql: "SELECT 'Zürich; CH' AS city, 1.5 AS n".into(),
    }];
    export::create_views(&conn, &views).expect("create");
    let options = CsvOptions {
        formula_guard: true,
        delimiter: b';',
        bom: true,
    };
    let files = export::export(
        &conn,
        &views,
        dir.path(),
        &[ExportFormat::Csv],
        options,
        &[],
    )
    .expect("export");
    let bytes = std::fs::read(&files.written[0]).expect("read");
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "starts with a BOM"
    );
    let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    assert_eq!(reader.headers().expect("header"), vec!["city", "n"]);
    let row = reader.records().next().expect("row").expect("record");
    assert_eq!(&row[0], "Zürich; CH");
    assert_eq!(&row[1], "1.5");
}

/// A view of postings published at these microseconds since the epoch, ids from 1.
fn posting_view(dir: &std::path::Path, published_us: &[i64]) -> views::View {
    let rows: Vec<String> = published_us
        .iter()
        .enumerate()
        .map(|(i, us)| format!("({}, make_timestamp({us}::BIGINT)::TIMESTAMPTZ)", i + 1))
        .collect();
    views::View {
        name: "posted".into(),
        path: dir.join("posted.sql"),
        sql: format!(
            "SELECT * FROM (VALUES {}) t(id, published_at)",
            rows.join(", ")
        ),
    }
}

/// (id, posted_date) read back from a hive-partitioned export, as Spark or DuckDB read it.
fn read_partitioned(conn: &duckdb::Connection, dir: &std::path::Path) -> Vec<(i32, String)> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT id, posted_date::VARCHAR FROM read_parquet('{}/**/*.parquet', hive_partitioning = true) ORDER BY id",
            dir.display()
        ))
        .expect("prepare");
    stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[test]
fn partitioned_parquet_is_split_by_utc_posting_date_and_replaced_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = duckdb::Connection::open_in_memory().expect("db");
    let exports = dir.path().join("exports");
    let day = 86_400_000_000_i64;
    let nov_24 = 1_763_942_400_000_000_i64; // 2025-11-24T00:00:00Z
    let first = posting_view(
        dir.path(),
        &[nov_24 + day - 1, nov_24 + day, nov_24 + 2 * day + 5],
    );
    export::create_views(&conn, std::slice::from_ref(&first)).expect("create");
    let options = CsvOptions::default();
    let partitioned = vec!["posted".to_string()];
    let written = export::export(
        &conn,
        std::slice::from_ref(&first),
        &exports,
        &[ExportFormat::Parquet],
        options,
        &partitioned,
    )
    .expect("export");
    assert!(
        written.written.contains(&exports.join("posted")),
        "{written:?}"
    );
    assert!(exports.join("posted.parquet").is_file());
    let mut days: Vec<String> = std::fs::read_dir(exports.join("posted"))
        .expect("partitions")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    days.sort();
    assert_eq!(
        days,
        [
            "posted_date=2025-11-24",
            "posted_date=2025-11-25",
            "posted_date=2025-11-26"
        ]
    );
    assert_eq!(
        read_partitioned(&conn, &exports.join("posted")),
        [
            (1, "2025-11-24".to_string()),
            (2, "2025-11-25".to_string()),
            (3, "2025-11-26".to_string())
        ]
    );

    // The next export replaces the folder whole: days that left the view leave the export.
    let second = posting_view(dir.path(), &[nov_24 + 10 * day]);
    export::create_views(&conn, std::slice::from_ref(&second)).expect("create");
    export::export(&conn, &[second], &exports, &[], options, &partitioned).expect("export");
    assert_eq!(
        read_partitioned(&conn, &exports.join("posted")),
        [(1, "2025-12-04".to_string())]
    );
    let leftovers: Vec<_> = std::fs::read_dir(&exports)
        .expect("exports")
        .map(|e| e.expect("entry").file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn partitioning_a_view_without_a_posting_date_or_a_missing_view_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = duckdb::Connection::open_in_memory().expect("db");
    let views = vec![views::View {
        name: "v".into(),
        path: dir.path().join("v.sql"),
        sql: "SELECT 1 AS x".into(),
    }];
    export::create_views(&conn, &views).expect("create");
    let options = CsvOptions::default();
    let error = export::export(&conn, &views, dir.path(), &[], options, &["v".into()])
        .expect_err("no published_at");
    assert!(
        error.to_string().contains("no `published_at` column"),
        "{error}"
    );
    let error = export::export(&conn, &views, dir.path(), &[], options, &["w".into()])
        .expect_err("no such view");
    assert!(
        error.to_string().contains("\"w\", which is not a view"),
        "{error}"
    );
}

/// The rows of `table` in one database that the other lacks, both ways.
fn differing_rows(a: &std::path::Path, b: &std::path::Path, table: &str) -> i64 {
    let conn = duckdb::Connection::open_in_memory().expect("db");
    conn.execute_batch(&format!(
        "ATTACH '{}' AS a (READ_ONLY); ATTACH '{}' AS b (READ_ONLY);",
        a.display(),
        b.display()
    ))
    .expect("attach");
    conn.query_row(
        &format!(
            "SELECT (SELECT count(*) FROM (SELECT * FROM a.{table} EXCEPT ALL SELECT * FROM b.{table}))
                  + (SELECT count(*) FROM (SELECT * FROM b.{table} EXCEPT ALL SELECT * FROM a.{table}))"
        ),
        [],
        |r| r.get(0),
    )
    .expect("compare")
}

#[test]
fn the_result_of_a_load_does_not_depend_on_its_batch_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spool_dir = dir.path().join("spool");
    // Two runs over the same market: every posting is seen twice, in two batches when the
    // batches are small (a page is about 280 kB).
    upjobpilot::commands::bench::generate_spool(&spool_dir, 1_500, 100).expect("first run");
    std::thread::sleep(std::time::Duration::from_millis(5));
    upjobpilot::commands::bench::generate_spool(&spool_dir, 1_500, 100).expect("second run");
    let spool = Spool::new(spool_dir);
    let pending = spool.pending().expect("pending");
    assert_eq!(pending.len(), 2);
    let mut databases = Vec::new();
    let mut reports = Vec::new();
    // One batch; a batch per page; a batch every few pages.
    for batch in [usize::MAX, 1, 700_000] {
        let path = dir.path().join(format!("batch-{batch}.duckdb"));
        let mut conn = upjobpilot::db::open(&path).expect("db");
        let report = load::load_in_batches(&mut conn, &pending, None, batch).expect("load");
        reports.push((
            report.postings,
            report.new_postings,
            report.changed_postings,
        ));
        databases.push(path);
    }
    assert_eq!(reports[0], (3_000, 1_500, 0));
    assert!(reports.iter().all(|r| *r == reports[0]), "{reports:?}");
    for other in &databases[1..] {
        for table in [
            "jobs",
            "job_skills",
            "search_hits",
            "job_changes",
            "daily_postings",
            "quarantine",
        ] {
            assert_eq!(
                differing_rows(&databases[0], other, table),
                0,
                "{table} in {}",
                other.display()
            );
        }
    }
}

/// The daily aggregates of many days at once (a first sync touches a year of them) come out as
/// one computation over the stored postings says: every day's count and median fixed budget by
/// job type.
#[test]
fn the_daily_aggregates_of_many_days_are_those_of_the_stored_postings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spool_dir = dir.path().join("spool");
    upjobpilot::commands::bench::generate_spool(&spool_dir, 1_500, 100).expect("spool");
    let pending = Spool::new(spool_dir).pending().expect("pending");
    let mut conn = upjobpilot::db::open(&dir.path().join("db.duckdb")).expect("db");
    load::load(&mut conn, &pending, None).expect("load");
    // The postings spread over two months, every day listed as out of date.
    conn.execute_batch(
        "UPDATE jobs SET published_at = (published_at::TIMESTAMP - to_days((hash(id) % 60)::INTEGER))::TIMESTAMPTZ;
         DELETE FROM daily_postings;
         INSERT INTO daily_dirty SELECT DISTINCT published_at::TIMESTAMP::DATE FROM jobs",
    )
    .expect("spread");
    let days: i64 = conn
        .query_row("SELECT count(*) FROM daily_dirty", [], |r| r.get(0))
        .expect("days");
    assert!(days > 50, "{days} days");
    load::recompute_daily_now(&conn).expect("daily");
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    assert_eq!(
        count(
            "SELECT count(*) FROM (
                 SELECT published_at::TIMESTAMP::DATE AS day, job_type AS value, count(*) AS n,
                        round(median(fixed_budget::DOUBLE) FILTER (WHERE job_type = 'FIXED'), 2) AS m
                 FROM jobs GROUP BY ALL) j
             FULL JOIN (
                 SELECT day, value, postings AS n, median_fixed_budget::DOUBLE AS m
                 FROM daily_postings WHERE dimension = 'job_type') d
             USING (day, value)
             WHERE j.n IS DISTINCT FROM d.n OR j.m IS DISTINCT FROM d.m"
        ),
        0
    );
    assert_eq!(
        count("SELECT count(DISTINCT day) FROM daily_postings"),
        days
    );
    assert_eq!(count("SELECT count(*) FROM daily_dirty"), 0);
}

/// The last resort of a load that runs out of memory: after twice, four and eight times the
/// limit it loads with no limit at all rather than leave the pages in the spool for a sync that
/// will never fit, and the result is the same as an unlimited load's.
#[test]
fn a_load_out_of_memory_at_every_limit_finally_runs_without_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spool_dir = dir.path().join("spool");
    upjobpilot::commands::bench::generate_spool(&spool_dir, 1_500, 100).expect("spool");
    let pending = Spool::new(spool_dir).pending().expect("pending");
    let path = dir.path().join("tiny.duckdb");
    let mut conn = upjobpilot::db::open(&path).expect("db");
    // 1 MiB, then 2, 4 and 8: none is enough for a 1,500-posting load.
    let (report, limit) = load::load_within(&mut conn, &pending, None, 1 << 20).expect("loads");
    assert_eq!(limit, None, "the unlimited attempt ran");
    assert_eq!(report.new_postings, 1_500);
    let reference = dir.path().join("reference.duckdb");
    let mut conn = upjobpilot::db::open(&reference).expect("db");
    load::load_in_batches(&mut conn, &pending, None, usize::MAX).expect("reference load");
    drop(conn);
    for table in ["jobs", "job_skills", "search_hits", "daily_postings"] {
        assert_eq!(differing_rows(&reference, &path, table), 0, "{table}");
    }
}

/// `renormalize` rebuilds the typed columns from the raw JSON through the load's own path:
/// damaged columns come back as a load makes them, first and last seen, hits and the change
/// history stay, postings whose raw JSON retention pruned are counted and left alone, and an
/// interrupted run goes on where it stopped.
#[test]
fn renormalize_rebuilds_typed_columns_from_raw_json_and_resumes() {
    use upjobpilot::pipeline::renormalize;
    let dir = tempfile::tempdir().expect("tempdir");
    let spool_dir = dir.path().join("spool");
    upjobpilot::commands::bench::generate_spool(&spool_dir, 1_500, 100).expect("spool");
    let pending = Spool::new(spool_dir).pending().expect("pending");
    let reference = dir.path().join("reference.duckdb");
    let path = dir.path().join("db.duckdb");
    for file in [&reference, &path] {
        let mut conn = upjobpilot::db::open(file).expect("db");
        load::load(&mut conn, &pending, None).expect("load");
    }
    let conn = upjobpilot::db::open(&path).expect("db");
    let snapshot = |conn: &duckdb::Connection| -> (i64, i64, i64, i64) {
        conn.query_row(
            "SELECT (SELECT count(*) FROM search_hits), (SELECT count(*) FROM job_changes), (SELECT sum(epoch_us(first_seen_at::TIMESTAMP)) FROM jobs)::BIGINT, (SELECT sum(epoch_us(last_seen_at::TIMESTAMP)) FROM jobs)::BIGINT",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("snapshot")
    };
    let before = snapshot(&conn);
    // An older version's mistakes, and ten postings pruned by retention.
    conn.execute_batch(
        "UPDATE jobs SET total_applicants = -1, client_hire_rate = NULL, skills = [], category = 'wrong'; UPDATE jobs SET raw = NULL, title = NULL, description = NULL WHERE id IN (SELECT id FROM jobs ORDER BY id LIMIT 10)",
    )
    .expect("damage");
    // An interrupted run: the first half done, its progress file left behind.
    let middle: String = conn
        .query_row(
            "SELECT id FROM jobs ORDER BY id LIMIT 1 OFFSET 749",
            [],
            |r| r.get(0),
        )
        .expect("middle id");
    conn.execute(
        "UPDATE jobs SET total_applicants = 7 WHERE id <= ?",
        [&middle],
    )
    .expect("first half");
    std::fs::write(
        renormalize::progress_path(&path),
        serde_json::json!({ "run_id": "renormalize-test", "last_id": middle }).to_string(),
    )
    .expect("progress");
    let report = renormalize::renormalize(&conn, &path, 200, 128_000_000, |_| {})
        .expect("renormalize goes on");
    assert!(report.resumed);
    assert_eq!(report.rebuilt, 750, "the second half, once");
    assert_eq!(report.pruned, 10);
    assert_eq!(report.quarantined, 0);
    assert!(
        !renormalize::progress_path(&path).exists(),
        "done: no progress left"
    );
    // A full run rebuilds everything with raw JSON.
    let report =
        renormalize::renormalize(&conn, &path, 200, 128_000_000, |_| {}).expect("renormalize");
    assert!(!report.resumed);
    assert_eq!(report.rebuilt, 1_490);
    assert_eq!(snapshot(&conn), before, "hits, history and seen times stay");
    drop(conn);
    let conn = duckdb::Connection::open_in_memory().expect("duckdb");
    conn.execute_batch(&format!(
        "ATTACH '{}' AS a (READ_ONLY); ATTACH '{}' AS b (READ_ONLY);",
        reference.display(),
        path.display()
    ))
    .expect("attach");
    let differing: i64 = conn
        .query_row(
            "SELECT count(*) FROM (SELECT id, total_applicants, client_hire_rate, skills, category FROM a.jobs WHERE id NOT IN (SELECT id FROM b.jobs WHERE raw IS NULL) EXCEPT SELECT id, total_applicants, client_hire_rate, skills, category FROM b.jobs WHERE raw IS NOT NULL)",
            [],
            |r| r.get(0),
        )
        .expect("compare");
    assert_eq!(differing, 0, "the rebuilt columns are what a load makes");
}

/// A progress file is the database's it was written for: beside a database deleted and made
/// anew, a renormalize starts from the first posting instead of skipping the new one's postings
/// up to the old one's last id; the same database's progress (or a file of a version that did
/// not record it) is gone on from.
#[test]
fn renormalize_goes_on_only_from_its_own_databases_progress() {
    use upjobpilot::pipeline::renormalize;
    let dir = tempfile::tempdir().expect("tempdir");
    let spool_dir = dir.path().join("spool");
    upjobpilot::commands::bench::generate_spool(&spool_dir, 300, 100).expect("spool");
    let pending = Spool::new(spool_dir).pending().expect("pending");
    let path = dir.path().join("db.duckdb");
    let mut conn = upjobpilot::db::open(&path).expect("db");
    load::load(&mut conn, &pending, None).expect("load");
    let (middle, made): (String, String) = conn
        .query_row(
            "SELECT (SELECT id FROM jobs ORDER BY id LIMIT 1 OFFSET 99), (SELECT CAST(min(applied_at) AS VARCHAR) FROM schema_version)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("middle id");
    let progress = |made: Option<&str>| {
        let mut json = serde_json::json!({ "run_id": "renormalize-test", "last_id": middle });
        if let Some(made) = made {
            json["database_made"] = made.into();
        }
        std::fs::write(renormalize::progress_path(&path), json.to_string()).expect("progress");
    };
    for (file_made, resumed, rebuilt) in [
        (Some("2001-01-01 00:00:00+00"), false, 300),
        (Some(made.as_str()), true, 200),
        (None, true, 200),
    ] {
        progress(file_made);
        let report =
            renormalize::renormalize(&conn, &path, 64, 128_000_000, |_| {}).expect("renormalize");
        assert_eq!(
            (report.resumed, report.rebuilt),
            (resumed, rebuilt),
            "progress of {file_made:?}"
        );
        assert!(!renormalize::progress_path(&path).exists());
    }
}

/// A view that needs more memory than `storage.memory_limit` is exported again with twice the
/// limit (up to eight times, then none) instead of failing the sync, and its file is whole.
#[test]
fn an_export_out_of_memory_is_retried_with_a_higher_limit() {
    let h = crate::support::harness(3, crate::support::RUST_SEARCH);
    h.sync();
    // One row holding a list of 4 million numbers: 32 MB in memory at once.
    let sql = "SELECT len(list(range)) AS numbers FROM range(4000000)";
    std::fs::write(
        h.config.queries_dir().join("big_list.sql"),
        format!("-- One row built from a list of four million numbers.\n{sql}\n"),
    )
    .expect("view written");
    let mut config = h.config.clone();
    config.storage.memory_limit = 32 << 20;
    let conn = h.db();
    upjobpilot::db::set_memory_limit(&conn, config.storage.memory_limit).expect("limit");
    let refused = conn
        .query_row(sql, [], |r| r.get::<_, i64>(0))
        .expect_err("the view does not fit the configured limit");
    assert!(upjobpilot::db::is_out_of_memory(&refused), "{refused}");
    let files = upjobpilot::pipeline::export_with_scores(&config, &conn).expect("exported");
    let csv = files
        .written
        .iter()
        .find(|f| f.file_name().is_some_and(|n| n == "big_list.csv"))
        .expect("the view's CSV");
    let text = std::fs::read_to_string(csv).expect("csv");
    assert_eq!(text.lines().collect::<Vec<_>>(), ["numbers", "4000000"]);
}

/// Retention that runs out of memory in the middle of deleting a piece's words from the text
/// index (one DuckDB thread, 12 MiB), then is retried with higher limits: DuckDB refuses the
/// rows the rolled-back `DELETE` had reached with "Conflict on tuple deletion" at every limit,
/// unless the file is attached again before the retry; with that, every posting past the
/// cutoff is pruned and its words are gone. The file is attached again only while the retry's
/// connection is the only one of its instance.
/// The text index keys a posting by its id with a 1 before it (migration 15): ids that differ
/// only by leading zeros, and one of 32 digits, keep their own words. Each is found by its own
/// word through the dashboard's query, and retention takes each one's words out.
#[test]
fn ids_with_leading_zeros_or_32_digits_keep_their_own_words_in_the_text_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let long = "9".repeat(32);
    let ids = ["42", "0042", "000042", long.as_str()];
    let words = ["quokka", "wombat", "numbat", "dugong"];
    let nodes = ids
        .iter()
        .zip(words)
        .map(|(id, word)| node(id, &format!("{word} wanted")))
        .collect();
    let spool = spool_with(dir.path(), &[page(nodes)]);
    let mut conn = upjobpilot::db::open(&dir.path().join("db.duckdb")).expect("db");
    let pending = spool.pending().expect("pending");
    let report = load::load(&mut conn, &pending, None).expect("load");
    assert_eq!(report.postings, 4, "{report:?}");
    assert_eq!(crate::support::text_index_errors(&conn), 0);
    let found = |text: &str| {
        let mut filter = upjobpilot::postings::filter::Filter::new();
        filter.label = Some("any".into());
        filter.text = Some(text.into());
        let (_, rows) =
            upjobpilot::postings::data::postings_window(&conn, &filter, 100, 0).expect("postings");
        let mut ids: Vec<String> = rows.into_iter().map(|r| r.id).collect();
        ids.sort();
        ids
    };
    for (id, word) in ids.iter().zip(words) {
        assert_eq!(found(word), [id.to_string()], "{word}");
    }
    let mut all: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    all.sort();
    assert_eq!(found("wanted"), all);

    // Published in 2025: retention prunes their text, and their words leave the index.
    let retention = upjobpilot::config::Retention {
        hours: 1,
        keep_postings: true,
    };
    let pruned =
        upjobpilot::pipeline::retention::prune_in_pieces(&conn, &retention, 2).expect("retention");
    assert_eq!(pruned, 4);
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM text_postings", [], |r| r.get(0))
        .expect("count");
    assert_eq!(rows, 0);
    assert!(found("wanted").is_empty());
}

#[test]
fn retention_that_runs_out_of_memory_deleting_words_prunes_on_the_retry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("words.duckdb");
    let db = upjobpilot::db::open(&path).expect("db");
    // 100k postings of 50 words each, published long ago.
    db.execute_batch(
        "INSERT INTO jobs (id, ciphertext, url, job_type, title, published_at, first_seen_at,
                           last_seen_at)
         SELECT (1934447061797389104 + i)::VARCHAR, '~0' || i, 'https://www.upwork.com/jobs/~0' || i,
                'HOURLY', 'posting ' || i, TIMESTAMPTZ '2026-01-01 00:00:00+00',
                TIMESTAMPTZ '2026-01-01 00:00:00+00', TIMESTAMPTZ '2026-01-01 00:00:00+00'
         FROM range(100000) t(i);
         INSERT INTO text_words SELECT 'w' || k, k FROM range(1000) t(k);
         INSERT INTO text_postings
         SELECT (hash(i, j) % 1000)::INTEGER, CAST('1' || (1934447061797389104 + i) AS HUGEINT)
         FROM range(100000) t(i), range(50) u(j) ORDER BY 1;",
    )
    .expect("synthetic postings");
    // A fresh instance: nothing of the file in DuckDB's buffers.
    drop(db);
    let db = upjobpilot::db::open(&path).expect("db");
    db.execute_batch("SET threads = 1").expect("one thread");
    let other = upjobpilot::db::open(&path).expect("a second connection");
    assert!(
        !upjobpilot::db::reattach(&db).expect("reattach"),
        "not attached again while another connection is open"
    );
    drop(other);
    let configured = 12 << 20;
    upjobpilot::db::set_memory_limit(&db, configured).expect("limit");
    let mut limit = Some(configured);
    let retention = upjobpilot::config::Retention {
        hours: 1,
        keep_postings: true,
    };
    let pruned =
        upjobpilot::pipeline::retention::prune_within(&db, &retention, &mut limit, configured)
            .expect("retention goes through");
    assert_eq!(pruned, 100_000);
    assert_ne!(limit, Some(configured), "it ran out of memory at 12 MiB");
    let count = |sql: &str| db.query_row(sql, [], |r| r.get::<_, i64>(0)).expect(sql);
    assert_eq!(
        count("SELECT count(*) FROM jobs WHERE pruned_at IS NULL"),
        0
    );
    assert_eq!(
        count("SELECT count(*) FROM jobs WHERE title IS NOT NULL"),
        0
    );
    assert_eq!(count("SELECT count(*) FROM text_postings"), 0);
}

/// 20,000 loaded postings given 200 more words each (a text index of 5M rows), the file reopened
/// on one DuckDB thread: a load that replaces them deletes their words from a large index, and
/// runs out in the middle of it at 24 MiB.
fn many_words() -> (
    tempfile::TempDir,
    Vec<upjobpilot::pipeline::spool::PendingRun>,
    upjobpilot::db::Db,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let spool_dir = dir.path().join("spool");
    upjobpilot::commands::bench::generate_spool(&spool_dir, 20_000, 100).expect("spool");
    let pending = Spool::new(spool_dir).pending().expect("pending");
    let path = dir.path().join("words.duckdb");
    let mut db = upjobpilot::db::open(&path).expect("db");
    load::load(&mut db, &pending, None).expect("first load");
    db.execute_batch(
        "INSERT INTO text_words SELECT 'zz' || k, 1000000 + k FROM range(1000) t(k);
         INSERT INTO text_postings
         SELECT 1000000 + (hash(id, j) % 1000)::INTEGER, CAST('1' || id AS HUGEINT)
         FROM jobs, range(200) u(j) ORDER BY 1;
         CHECKPOINT;",
    )
    .expect("more words");
    drop(db);
    let db = upjobpilot::db::open(&path).expect("db");
    db.execute_batch("SET threads = 1").expect("one thread");
    (dir, pending, db)
}

/// After [`many_words`]: the postings' words are their own again, and the index holds nothing else.
fn words_rebuilt(db: &upjobpilot::db::Db) {
    let count = |sql: &str| db.query_row(sql, [], |r| r.get::<_, i64>(0)).expect(sql);
    assert_eq!(
        count("SELECT count(*) FROM text_postings WHERE word_id >= 1000000"),
        0,
        "the replaced postings' words are gone"
    );
    assert_eq!(crate::support::text_index_errors(db), 0);
    assert_eq!(count("SELECT count(*) FROM jobs"), 20_000);
}

/// A load piece that runs out of memory in the middle of deleting the words of the postings it
/// replaces ([`many_words`]) goes on with a higher limit, the file attached again, and ends as a
/// load that did not run out. Before, the index's out-of-memory error was hidden behind
/// "Current transaction is aborted" (the threads were set back in the aborted transaction) and
/// not retried at all; without the re-attach, every retry met "Conflict on tuple deletion".
#[test]
fn a_load_that_runs_out_of_memory_deleting_words_goes_through_on_the_retry() {
    let (_dir, pending, mut db) = many_words();
    let configured = 24 << 20;
    let (report, limit) =
        load::load_within(&mut db, &pending, None, configured).expect("the load goes through");
    assert_ne!(limit, Some(configured), "it ran out of memory at 24 MiB");
    assert_eq!(report.postings, 20_000);
    words_rebuilt(&db);
}
