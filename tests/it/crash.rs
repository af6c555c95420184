//! Crashes: `upjobpilot sync` killed with SIGKILL at random moments (fetch, spool writes, the
//! load transaction, export). After each kill the database opens, holds no half-applied page,
//! shows the killed run as not completed, the visible exports are whole files, and the next
//! sync converges to what the sandbox says each search matches.
//!
//! CI runs `UPJOBPILOT_CRASH_TRIALS` trials (default 12); set it to 50 or more for a longer run.

use crate::support::{Harness, harness_with};
use rand::{Rng, SeedableRng};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SEARCHES: &str = r#"
[[search]]
name = "rust"
expression = "rust"
page_size = 10
max_age_hours = 100

[[search]]
name = "design"
expression = "design"
page_size = 20
max_age_hours = 100
"#;

fn trials() -> u64 {
    std::env::var("UPJOBPILOT_CRASH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12)
}

/// `upjobpilot ARGS --config …` in a clean environment, its output discarded.
fn upjobpilot(h: &Harness, home: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("upjobpilot"));
    cmd.env_clear()
        .env("HOME", home)
        .env("UPJOBPILOT_DATA_DIR", home.join("data"))
        .env("UPJOBPILOT_TOKEN_FILE", h.store.path())
        .args(args)
        .arg("--config")
        .arg(h.dir.path().join("pipeline.toml"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

fn sync_command(h: &Harness, home: &std::path::Path) -> Command {
    upjobpilot(h, home, &["sync", "--quiet", "--wait-secs", "30"])
}

fn check_after_kill(h: &Harness, killed_pid: u32) {
    if !h.db_path().exists() {
        return;
    }
    let conn = upjobpilot::db::open(&h.db_path()).expect("the database opens after a kill");
    let orphans: i64 = conn
        .query_row(
            "SELECT (SELECT count(*) FROM search_hits WHERE job_id NOT IN (SELECT id FROM jobs))
                  + (SELECT count(*) FROM jobs WHERE id NOT IN (SELECT job_id FROM search_hits))
                  + (SELECT count(*) FROM job_skills WHERE job_id NOT IN (SELECT id FROM jobs))",
            [],
            |r| r.get(0),
        )
        .expect("consistency query");
    assert_eq!(orphans, 0, "a half-applied load");
    assert_eq!(
        crate::support::text_index_errors(&conn),
        0,
        "the text index is the postings' words"
    );
    let killed: Vec<String> = {
        let mut stmt = conn
            .prepare("SELECT status FROM sync_runs WHERE run_id LIKE '%-' || ?")
            .expect("prepare");
        stmt.query_map([killed_pid.to_string()], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    assert!(killed.len() <= 1, "one record per run: {killed:?}");
    drop(conn);
    for entry in std::fs::read_dir(h.config.export_dir())
        .into_iter()
        .flatten()
        .flatten()
    {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if name.ends_with(".csv") {
            let mut reader = csv::Reader::from_path(&path).expect("csv opens");
            for record in reader.records() {
                record.unwrap_or_else(|e| panic!("{name} is a whole CSV file: {e}"));
            }
        } else if name.ends_with(".parquet") {
            let probe = duckdb::Connection::open_in_memory().expect("duckdb");
            probe
                .query_row(
                    &format!("SELECT count(*) FROM read_parquet('{}')", path.display()),
                    [],
                    |r| r.get::<_, i64>(0),
                )
                .unwrap_or_else(|e| panic!("{name} is a whole Parquet file: {e}"));
        }
    }
}

#[test]
fn sigkill_at_any_moment_loses_nothing() {
    let home = tempfile::tempdir().expect("tempdir");
    // How long a whole sync takes here, to spread the kills over it.
    let probe = harness_with(200, SEARCHES, |c| c.latency = Duration::from_millis(2));
    let start = Instant::now();
    let status = sync_command(&probe, home.path()).status().expect("run");
    assert!(status.success(), "a clean sync succeeds");
    let full = start.elapsed();

    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let mut crashed_seen = 0;
    for trial in 0..trials() {
        let h = harness_with(200 + trial % 5, SEARCHES, |c| {
            c.latency = Duration::from_millis(2)
        });
        let delay = full.mul_f64(rng.random_range(0.0..1.2));
        let mut child = sync_command(&h, home.path()).spawn().expect("spawn");
        let pid = child.id();
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        check_after_kill(&h, pid);

        let status = sync_command(&h, home.path()).status().expect("run");
        assert!(status.success(), "trial {trial}: the next sync completes");
        check_after_kill(&h, pid);
        for search in &h.config.searches {
            assert_eq!(
                h.hits(&search.name),
                h.expected(&search.name),
                "trial {trial}: {}",
                search.name
            );
        }
        // Not only the counts: the records tell the truth after a kill and a replay.
        assert_eq!(
            h.count("SELECT count(*) FROM (SELECT search, job_id FROM search_hits GROUP BY ALL HAVING count(*) > 1)"),
            0,
            "trial {trial}: one hit per search and posting"
        );
        assert_eq!(
            h.count("SELECT count(*) FROM jobs WHERE last_seen_at < first_seen_at OR first_seen_at::TIMESTAMP > now()::TIMESTAMP + INTERVAL 1 MINUTE"),
            0,
            "trial {trial}: first and last seen are fetch times, in order"
        );
        assert_eq!(
            h.count(
                "SELECT count(*) FROM (SELECT published_at::TIMESTAMP::DATE AS day, count(*) AS n FROM jobs GROUP BY ALL) j
                 FULL JOIN (SELECT day, sum(postings) AS n FROM daily_postings WHERE dimension = 'job_type' GROUP BY day) d
                 USING (day) WHERE j.n IS DISTINCT FROM d.n"
            ),
            0,
            "trial {trial}: the daily aggregates count every stored posting once"
        );
        assert_eq!(
            h.count("SELECT count(*) FROM sync_runs WHERE loaded_at IS NULL OR started_at IS NULL"),
            0,
            "trial {trial}: every recorded run has its times"
        );
        crashed_seen += h.count("SELECT count(*) FROM sync_runs WHERE status = 'crashed'");
        assert_eq!(
            h.count("SELECT count(*) FROM sync_runs WHERE status NOT IN ('ok', 'crashed')"),
            0
        );
    }
    eprintln!(
        "crash: {} trials, {crashed_seen} runs recorded as crashed, 0 postings lost",
        trials()
    );
}

/// What a database holds, without the times that differ from one run to the next: the
/// postings as stored, their skills, which search found each, the recorded changes, the daily
/// aggregates, the watermarks and the run statuses.
fn content(h: &Harness) -> Vec<String> {
    let conn = h.db();
    let mut out = Vec::new();
    for (name, sql) in [
        (
            "jobs",
            "SELECT concat_ws('|', id, coalesce(title, '-'), coalesce(total_applicants, -1), coalesce(array_to_string(skills, ','), '-'), raw IS NOT NULL, pruned_at IS NOT NULL) FROM jobs ORDER BY id",
        ),
        (
            "skills",
            "SELECT concat_ws('|', job_id, skill, coalesce(pretty_name, '-')) FROM job_skills ORDER BY ALL",
        ),
        (
            "hits",
            "SELECT search || '|' || job_id FROM search_hits ORDER BY ALL",
        ),
        ("changes", "SELECT count(*)::VARCHAR FROM job_changes"),
        (
            "daily",
            "SELECT day || '|' || dimension || '|' || value || '|' || postings || '|' || coalesce(median_fixed_budget::VARCHAR, '') FROM daily_postings ORDER BY ALL",
        ),
        ("dirty", "SELECT count(*)::VARCHAR FROM daily_dirty"),
        (
            "state",
            "SELECT concat_ws('|', search, coalesce(watermark::VARCHAR, '-'), coalesce(last_status, '-')) FROM search_state ORDER BY ALL",
        ),
        ("runs", "SELECT DISTINCT status FROM sync_runs ORDER BY ALL"),
        (
            "queue",
            "SELECT count(*)::VARCHAR FROM (SELECT DISTINCT job_id FROM alerts_queue)",
        ),
    ] {
        let mut stmt = conn.prepare(sql).expect(sql);
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .expect(sql)
            .collect::<Result<_, _>>()
            .expect(sql);
        out.extend(rows.into_iter().map(|row| format!("{name}: {row}")));
    }
    out
}

/// Runs `command` until it pauses at `point` (`UPJOBPILOT_PAUSE_AT`, "name:nth"), then SIGKILLs
/// it; returns its process id.
fn kill_at(mut command: Command, h: &Harness, point: &str) -> u32 {
    let marker = h.dir.path().join("paused");
    let mut child = command
        .env("UPJOBPILOT_PAUSE_AT", point)
        .env("UPJOBPILOT_PAUSE_FILE", &marker)
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !marker.exists() {
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("{point}: the command ended ({status}) without reaching the point");
        }
        assert!(Instant::now() < deadline, "{point}: never reached");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    child.id()
}

/// `upjobpilot renormalize --batch 5`, quiet.
fn renormalize_command(h: &Harness, home: &std::path::Path) -> Command {
    upjobpilot(h, home, &["renormalize", "--quiet", "--batch", "5"])
}

/// A renormalize commits batch by batch, then checkpoints, then brings the daily aggregates up
/// to date, then removes its progress file. SIGKILL after the first and a later batch's commit,
/// after the checkpoint and after the daily aggregates; after each kill the database opens
/// consistent, and the renormalize run again leaves what one uninterrupted renormalize leaves,
/// with no progress file.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "needs the pause points of src/test_hooks.rs, compiled out of release builds"
)]
fn sigkill_at_every_phase_of_a_renormalize_converges() {
    let home = tempfile::tempdir().expect("tempdir");
    let start = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 0);
    let market = |c: &mut upwork_sandbox::SandboxConfig| c.market.start = start;
    // Retention past the searches' reach: every posting keeps its raw JSON.
    let searches = format!("[retention]\nhours = 1000\n{SEARCHES}");
    // A synced database with an older version's mistakes in its typed columns, skills and
    // daily aggregates, which a renormalize repairs.
    let damaged = || {
        let h = harness_with(302, &searches, market);
        let status = sync_command(&h, home.path()).status().expect("run");
        assert!(status.success(), "the sync succeeds");
        h.db()
            .execute_batch(
                "UPDATE jobs SET total_applicants = -1, skills = []; DELETE FROM job_skills; UPDATE daily_postings SET postings = -1",
            )
            .expect("damage");
        h
    };
    let reference = damaged();
    let before = content(&reference);
    let status = renormalize_command(&reference, home.path())
        .status()
        .expect("run");
    assert!(status.success(), "an uninterrupted renormalize succeeds");
    let want = content(&reference);
    assert_ne!(before, want, "the renormalize repairs the damage");
    let progress = upjobpilot::pipeline::renormalize::progress_path(&reference.db_path());
    assert!(!progress.exists());
    let batches = (reference.count("SELECT count(*) FROM jobs") + 4) / 5;
    assert!(batches >= 4, "several batches ({batches})");

    for point in [
        "renormalize-batch:1",
        "renormalize-batch:3",
        "renormalize-batches-done:1",
        "renormalize-daily:1",
    ] {
        let h = damaged();
        let killed = kill_at(renormalize_command(&h, home.path()), &h, point);
        check_after_kill(&h, killed);
        let progress = upjobpilot::pipeline::renormalize::progress_path(&h.db_path());
        assert!(
            progress.exists(),
            "{point}: the progress is kept for the next run"
        );

        let status = renormalize_command(&h, home.path()).status().expect("run");
        assert!(status.success(), "{point}: the next renormalize completes");
        assert!(!progress.exists(), "{point}: done, no progress left");
        let got = content(&h);
        if got != want {
            let missing: Vec<_> = want.iter().filter(|r| !got.contains(r)).take(5).collect();
            let extra: Vec<_> = got.iter().filter(|r| !want.contains(r)).take(5).collect();
            panic!(
                "{point}: the database differs from an uninterrupted renormalize's\nmissing: {missing:#?}\nextra: {extra:#?}"
            );
        }
    }
}

/// Each page its own piece: the load commits after every page, then once more for the daily
/// aggregates (a piece with no page).
const PIECE_BYTES: &str = "1";

/// A load commits in pieces; SIGKILL at each phase of a piece (staged, merged, run records,
/// committed) in the first, a middle and the last piece, after the daily aggregates that follow
/// the last piece, and after them before the spool is cleared. After each kill the database opens consistent, no watermark
/// covers a posting it lacks, committed pieces are kept, and the next sync leaves exactly what
/// one uninterrupted sync leaves.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "needs the pause points and batch size of src/test_hooks.rs, compiled out of release builds"
)]
fn sigkill_at_every_phase_of_a_load_in_pieces_converges() {
    let home = tempfile::tempdir().expect("tempdir");
    // One market for every run: the same seed from the same start.
    let start = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 0);
    let market = |c: &mut upwork_sandbox::SandboxConfig| c.market.start = start;
    // Retention past the searches' reach: no posting crosses the cutoff between two runs.
    // Pages of 50: a handful of pieces, each page its own.
    let searches = format!(
        "[retention]\nhours = 1000\n{}",
        SEARCHES
            .replace("page_size = 10", "page_size = 50")
            .replace("page_size = 20", "page_size = 50")
    );
    let reference = harness_with(300, &searches, market);
    let status = sync_command(&reference, home.path())
        .env("UPJOBPILOT_LOAD_BATCH_BYTES", PIECE_BYTES)
        .status()
        .expect("run");
    assert!(status.success(), "an uninterrupted sync succeeds");
    let want = content(&reference);
    let pages = reference.count("SELECT sum(pages) FROM sync_runs");
    assert!(pages >= 4, "the load spans several pieces ({pages} pages)");
    let last = pages + 1;

    for point in [
        "load-staged:1",
        "load-staged:2",
        "load-merged:2",
        "load-recorded:2",
        "load-committed:2",
        &format!("load-staged:{last}"),
        &format!("load-merged:{last}"),
        &format!("load-recorded:{last}"),
        &format!("load-committed:{last}"),
        "load-daily:1",
        "load-done:1",
    ] {
        let h = harness_with(300, &searches, market);
        let mut sync = sync_command(&h, home.path());
        sync.env("UPJOBPILOT_LOAD_BATCH_BYTES", PIECE_BYTES);
        let killed = kill_at(sync, &h, point);
        check_after_kill(&h, killed);

        // What the killed load left: committed pieces only, and watermarks only over
        // postings that are stored.
        let stored = h.count("SELECT count(*) FROM jobs");
        if point == "load-staged:1" {
            assert_eq!(
                stored, 0,
                "{point}: nothing commits before the first piece does"
            );
        } else {
            assert!(stored > 0, "{point}: the committed pieces are kept");
        }
        for search in &h.config.searches {
            let marked = h.count(&format!(
                "SELECT count(*) FROM search_state WHERE search = '{}' AND watermark IS NOT NULL",
                search.name
            ));
            if marked > 0 {
                assert!(
                    h.hits(&search.name).is_superset(&h.expected(&search.name)),
                    "{point}: {}'s watermark moved past postings not stored",
                    search.name
                );
            }
        }

        let status = sync_command(&h, home.path())
            .env("UPJOBPILOT_LOAD_BATCH_BYTES", PIECE_BYTES)
            .status()
            .expect("run");
        assert!(status.success(), "{point}: the next sync completes");
        let got = content(&h);
        if got != want {
            let missing: Vec<_> = want.iter().filter(|r| !got.contains(r)).take(5).collect();
            let extra: Vec<_> = got.iter().filter(|r| !want.contains(r)).take(5).collect();
            panic!(
                "{point}: the database differs from an uninterrupted sync's\nmissing: {missing:#?}\nextra: {extra:#?}"
            );
        }
    }
}
