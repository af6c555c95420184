//! The DuckDB file across versions: a database written by an older upjobpilot (its schema built
//! from the frozen migration files, as that version did) migrates and keeps every row.

use crate::support::text_index_errors;
use std::path::Path;
use upjobpilot::pipeline::{load, spool};

fn frozen(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/db")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Version 2 kept the `[profile]` in tables it created at export time; version 3 creates them
/// in a migration. A version-2 file with postings and a profile opens at the current version
/// with both.
#[test]
fn a_version_2_database_migrates_and_keeps_its_data_and_profile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v2.duckdb");
    let spool_dir = dir.path().join("spool");
    upjobpilot::commands::bench::generate_spool(&spool_dir, 300, 100).expect("spool");
    {
        let mut conn = duckdb::Connection::open(&path).expect("create");
        conn.execute_batch(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)",
        )
        .expect("schema_version");
        conn.execute_batch(&frozen("migrations/001_initial.sql"))
            .expect("version 1");
        conn.execute_batch(&format!(
            "{}{}",
            frozen("migrations/002_daily_postings.sql"),
            frozen("sql/daily.sql")
        ))
        .expect("version 2");
        conn.execute_batch("INSERT INTO schema_version VALUES (1, now()), (2, now())")
            .expect("versions");
        // Today's load queues new postings for the alert rules (version 5), lists the days
        // to aggregate (version 6) and indexes the text (version 11), with the queued titles of
        // version 14; temp tables stand in for them so the file stays as version 2 left it.
        conn.execute_batch(
            "CREATE TEMP TABLE alerts_queue (job_id VARCHAR, queued_at TIMESTAMPTZ, title VARCHAR);
             CREATE TEMP TABLE daily_dirty (day DATE);
             CREATE TEMP TABLE text_words (word VARCHAR, word_id INTEGER);
             CREATE TEMP TABLE text_postings (word_id INTEGER, job_key HUGEINT)",
        )
        .expect("stand-ins");
        let pending = spool::Spool::new(spool_dir).pending().expect("pending");
        let report = load::load(&mut conn, &pending, None).expect("load");
        assert_eq!(report.postings, 300);
        // What version 2's export wrote.
        conn.execute_batch(
            "CREATE OR REPLACE TABLE profile (hourly_rate DOUBLE); CREATE OR REPLACE TABLE profile_skills (skill VARCHAR); INSERT INTO profile VALUES (55); INSERT INTO profile_skills VALUES ('rust')",
        )
        .expect("v2 profile");
    }
    let count = |conn: &duckdb::Connection, sql: &str| -> i64 {
        conn.query_row(sql, [], |r| r.get(0)).expect(sql)
    };
    let before = {
        let conn = duckdb::Connection::open(&path).expect("reopen");
        (
            count(&conn, "SELECT count(*) FROM jobs"),
            count(&conn, "SELECT count(*) FROM job_skills"),
            count(&conn, "SELECT count(*) FROM daily_postings"),
        )
    };
    assert_eq!(before.0, 300);

    let conn = upjobpilot::db::open(&path).expect("migrates");
    assert_eq!(
        count(&conn, "SELECT max(version) FROM schema_version"),
        i64::from(upjobpilot::db::SCHEMA_VERSION)
    );
    let after = (
        count(&conn, "SELECT count(*) FROM jobs"),
        count(&conn, "SELECT count(*) FROM job_skills"),
        count(&conn, "SELECT count(*) FROM daily_postings"),
    );
    assert_eq!(after, before, "every row kept");
    assert_eq!(
        text_index_errors(&conn),
        0,
        "the text index built for the stored postings"
    );
    // Schema 12 has DuckDB keep the raw JSON zstd-compressed: every node kept, and so stored.
    assert_eq!(
        count(&conn, "SELECT count(*) FROM jobs WHERE raw->>'id' = id"),
        300
    );
    conn.execute_batch("CHECKPOINT").expect("checkpoint");
    let raw_segments =
        "FROM pragma_storage_info('jobs') WHERE column_name = 'raw' AND segment_type <> 'VALIDITY'";
    assert!(count(&conn, &format!("SELECT count(*) {raw_segments}")) > 0);
    assert_eq!(
        count(
            &conn,
            &format!("SELECT count(*) {raw_segments} AND compression <> 'ZSTD'")
        ),
        0,
        "the raw JSON is zstd-compressed"
    );
    assert_eq!(count(&conn, "SELECT hourly_rate::BIGINT FROM profile"), 55);
    assert_eq!(count(&conn, "SELECT count(*) FROM profile_skills"), 1);
    drop(conn);

    // Opening again changes nothing; an export then replaces the profile's rows.
    let conn = upjobpilot::db::open(&path).expect("reopens");
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) - count(DISTINCT version) FROM schema_version"
        ),
        0,
        "one row per version, each applied once"
    );
    assert_eq!(
        count(&conn, "SELECT max(version) FROM schema_version"),
        i64::from(upjobpilot::db::SCHEMA_VERSION)
    );
    let profile = upjobpilot::config::Profile {
        skills: vec!["Python".into(), "SQL".into()],
        hourly_rate: Some(70.0),
    };
    upjobpilot::pipeline::scores::write_profile(&conn, &profile).expect("profile");
    assert_eq!(count(&conn, "SELECT hourly_rate::BIGINT FROM profile"), 70);
    assert_eq!(count(&conn, "SELECT count(*) FROM profile_skills"), 2);
}

/// A new database has the profile tables before any export, so the views that read them work
/// in the DuckDB file as soon as a sync has loaded.
#[test]
fn a_new_database_has_the_profile_tables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = upjobpilot::db::open(&dir.path().join("new.duckdb")).expect("create");
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('profile', 'profile_skills')",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(tables, 2);
}

/// Version 7 rebuilt `jobs`, `job_skills` and `search_hits` without their keys, version 8
/// `posting_scores`. A version-6 file with postings, scores and the export's views in it
/// migrates with every row, the views read the rebuilt tables, and loading the same pages again
/// still leaves one row per posting, per skill and per hit.
#[test]
fn a_version_6_database_with_views_migrates_to_unkeyed_tables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v6.duckdb");
    let spool_dir = dir.path().join("spool");
    upjobpilot::commands::bench::generate_spool(&spool_dir, 300, 100).expect("spool");
    let pending = spool::Spool::new(spool_dir).pending().expect("pending");
    let queries = dir.path().join("queries");
    upjobpilot::pipeline::views::write_default_views(&queries).expect("views written");
    let views = upjobpilot::pipeline::views::read_views(&queries).expect("views read");
    let count = |conn: &duckdb::Connection, sql: &str| -> i64 {
        conn.query_row(sql, [], |r| r.get(0)).expect(sql)
    };
    let tables = "SELECT (SELECT count(*) FROM jobs), (SELECT count(*) FROM job_skills), \
                  (SELECT count(*) FROM search_hits)";
    let counts = |conn: &duckdb::Connection| -> (i64, i64, i64) {
        conn.query_row(tables, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("counts")
    };
    let before = {
        let mut conn = duckdb::Connection::open(&path).expect("create");
        conn.execute_batch(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)",
        )
        .expect("schema_version");
        for (version, files) in [
            (1, vec!["migrations/001_initial.sql"]),
            (
                2,
                vec!["migrations/002_daily_postings.sql", "sql/daily.sql"],
            ),
            (3, vec!["migrations/003_profile.sql"]),
            (4, vec!["migrations/004_labels.sql"]),
            (5, vec!["migrations/005_alerts.sql"]),
            (6, vec!["migrations/006_daily_dirty.sql"]),
        ] {
            let sql: String = files.iter().map(|f| frozen(f)).collect();
            conn.execute_batch(&sql).expect("migration");
            conn.execute("INSERT INTO schema_version VALUES (?, now())", [version])
                .expect("version");
        }
        // Today's load indexes the text (version 11) and queues titles (version 14): temp
        // tables stand in, the queue's in front of version 5's.
        conn.execute_batch(
            "CREATE TEMP TABLE alerts_queue (job_id VARCHAR, queued_at TIMESTAMPTZ, title VARCHAR);
             CREATE TEMP TABLE text_words (word VARCHAR, word_id INTEGER);
             CREATE TEMP TABLE text_postings (word_id INTEGER, job_key HUGEINT)",
        )
        .expect("stand-ins");
        load::load(&mut conn, &pending, None).expect("load");
        // The views and scores as a sync of that version left them: its fit_score did not read
        // the competition signals of version 9 (frozen/fit_score_v8.sql).
        let mut old_views = upjobpilot::pipeline::views::read_views(&queries).expect("views");
        for view in old_views.iter_mut().filter(|v| v.name == "fit_score") {
            view.sql = include_str!("frozen/fit_score_v8.sql").to_string();
        }
        upjobpilot::pipeline::export::create_views(&conn, &old_views).expect("views");
        conn.execute_batch(
            "INSERT INTO posting_scores SELECT f.id, f.fit_score, q.quality_score \
             FROM fit_score f LEFT JOIN client_quality q ON q.id = f.id",
        )
        .expect("scores");
        counts(&conn)
    };
    let scores = "SELECT count(*) FROM posting_scores WHERE fit_score IS NOT NULL";
    assert_eq!(before.0, 300);
    assert!(before.1 > 300 && before.2 == 300, "{before:?}");

    let mut conn = upjobpilot::db::open(&path).expect("migrates");
    assert_eq!(
        count(&conn, "SELECT max(version) FROM schema_version"),
        i64::from(upjobpilot::db::SCHEMA_VERSION)
    );
    assert_eq!(counts(&conn), before, "every row kept");
    assert_eq!(count(&conn, scores), 300, "every score kept");
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' \
             AND table_name IN ('jobs', 'job_skills', 'search_hits', 'posting_scores')"
        ),
        0,
        "no key left on the rebuilt tables"
    );
    upjobpilot::pipeline::scores::write_scores(&conn).expect("scores again");
    assert_eq!(
        count(&conn, scores),
        300,
        "a second export replaces the scores"
    );
    for view in &views {
        count(&conn, &format!("SELECT count(*) FROM {}", view.name));
    }
    assert_eq!(text_index_errors(&conn), 0, "the text index built");
    load::load(&mut conn, &pending, None).expect("replay");
    assert_eq!(counts(&conn), before, "a replay adds no row");
    assert_eq!(text_index_errors(&conn), 0, "a replay keeps the text index");
    assert_eq!(
        count(
            &conn,
            "SELECT (SELECT count(*) FROM (SELECT job_id, skill FROM job_skills GROUP BY ALL HAVING count(*) > 1))
                  + (SELECT count(*) FROM (SELECT search, job_id FROM search_hits GROUP BY ALL HAVING count(*) > 1))
                  + (SELECT count(*) - count(DISTINCT id) FROM jobs)"
        ),
        0,
        "one row per posting, per skill and per hit"
    );
}
