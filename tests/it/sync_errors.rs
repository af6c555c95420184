//! A failed sync says what happened at the step that failed (issue 20): before the load's last
//! commit the pages wait in the spool; after it the postings are stored, and the message says
//! so and what comes next. Each step is made to fail through `UPJOBPILOT_FAIL_AT` (a debug
//! build's test hook), and the database and the spool are checked against what the message says.

use crate::support::{Harness, RUST_SEARCH, harness};
use std::process::{Command, Output};
use upjobpilot::pipeline::spool::Spool;

fn sync(h: &Harness, home: &std::path::Path, fail_at: Option<&str>) -> Output {
    run(h, home, &["sync", "--quiet"], fail_at)
}

/// `upjobpilot ARGS --config …`, failing at `fail_at`.
fn run(h: &Harness, home: &std::path::Path, args: &[&str], fail_at: Option<&str>) -> Output {
    let env: Vec<_> = fail_at
        .map(|step| ("UPJOBPILOT_FAIL_AT", step))
        .into_iter()
        .collect();
    run_with(h, home, args, &env)
}

/// `upjobpilot ARGS --config …` with `env` added to a clean environment.
fn run_with(h: &Harness, home: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_upjobpilot"));
    command
        .env_clear()
        .env("HOME", home)
        .env("UPJOBPILOT_TOKEN_FILE", h.store.path())
        .args(args)
        .arg("--config")
        .arg(h.dir.path().join("pipeline.toml"))
        .envs(env.iter().copied());
    command.output().expect("it runs")
}

fn pending(h: &Harness) -> usize {
    Spool::new(h.config.spool_dir())
        .pending()
        .expect("spool reads")
        .len()
}

/// A sync failing at `step` after the load: exit 1, a message naming the step and saying the
/// postings are stored, and so they are (every posting the sandbox says the search matches),
/// with nothing left in the spool; the next sync then succeeds.
fn fails_after_the_load(seed: u64, step: &str, says: &str) -> Harness {
    let h = harness(seed, RUST_SEARCH);
    let home = tempfile::tempdir().expect("home");
    let output = sync(&h, home.path(), Some(step));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(says), "{step}: {stderr}");
    assert!(
        stderr.contains("the postings are stored"),
        "{step}: {stderr}"
    );
    assert!(!stderr.contains("stay in the spool"), "{step}: {stderr}");
    let expected = h.expected("rust");
    assert!(!expected.is_empty());
    assert_eq!(h.hits("rust"), expected, "{step}: every posting stored");
    assert_eq!(pending(&h), 0, "{step}: nothing left in the spool");
    let again = sync(&h, home.path(), None);
    assert!(again.status.success(), "{again:?}");
    h
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "needs src/test_hooks.rs, compiled out of release builds"
)]
fn a_failure_recording_the_watermarks_says_the_postings_are_stored() {
    fails_after_the_load(201, "watermarks", "recording the new watermarks failed");
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "needs src/test_hooks.rs, compiled out of release builds"
)]
fn a_failure_scoring_says_the_postings_are_stored_and_nothing_was_exported() {
    let h = fails_after_the_load(202, "scores", "scoring the postings failed");
    // The sync after it exported; before it, nothing was.
    assert!(h.config.export_dir().join("new_postings.csv").exists());
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "needs src/test_hooks.rs, compiled out of release builds"
)]
fn a_failure_in_retention_says_the_postings_are_stored_and_the_next_sync_prunes() {
    fails_after_the_load(
        203,
        "retention",
        "pruning postings past the retention failed",
    );
}

/// Before the load's last commit: the pages wait in the spool, and the message says so.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "needs src/test_hooks.rs, compiled out of release builds"
)]
fn a_failure_in_the_load_says_the_pages_stay_in_the_spool_and_they_do() {
    let h = harness(206, RUST_SEARCH);
    let home = tempfile::tempdir().expect("home");
    let output = sync(&h, home.path(), Some("load"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the fetched pages stay in the spool for the next run"),
        "{stderr}"
    );
    assert_eq!(pending(&h), 1, "the run's pages wait in the spool");
    assert_eq!(h.count("SELECT count(*) FROM jobs"), 0, "nothing stored");
    let requests = h.search_requests();
    let again = sync(&h, home.path(), None);
    assert!(again.status.success(), "{again:?}");
    assert_eq!(
        h.hits("rust"),
        h.expected("rust"),
        "the spooled pages loaded"
    );
    assert_eq!(pending(&h), 0);
    assert!(h.search_requests() - requests <= 1, "nothing fetched twice");
}

/// The spool could not be cleared: the postings are stored, and the next sync loads the same
/// pages again without storing anything twice.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "needs src/test_hooks.rs, compiled out of release builds"
)]
fn a_failure_clearing_the_spool_says_the_next_sync_loads_the_pages_again_harmlessly() {
    let h = harness(207, RUST_SEARCH);
    let home = tempfile::tempdir().expect("home");
    let output = sync(&h, home.path(), Some("clear-spool"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("clearing the loaded pages from the spool failed")
            && stderr.contains("the postings are stored")
            && stderr.contains("loads them again, harmlessly"),
        "{stderr}"
    );
    let expected = h.expected("rust");
    assert_eq!(h.hits("rust"), expected, "stored");
    assert_eq!(pending(&h), 1, "and still in the spool");
    let again = sync(&h, home.path(), None);
    assert!(again.status.success(), "{again:?}");
    assert_eq!(pending(&h), 0);
    assert_eq!(
        h.count("SELECT count(*) FROM jobs"),
        expected.len() as i64,
        "loaded again, stored once"
    );
}

/// An export that cannot write its folder: the postings are stored, the files are older.
#[test]
fn a_failed_export_says_the_postings_are_stored() {
    let h = harness(208, RUST_SEARCH);
    let home = tempfile::tempdir().expect("home");
    // A file where the export folder should be.
    std::fs::write(h.config.export_dir(), "not a folder").expect("blocker");
    let output = sync(&h, home.path(), None);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the postings are stored, only the export files are from an earlier sync"),
        "{stderr}"
    );
    assert_eq!(h.hits("rust"), h.expected("rust"));
    assert_eq!(pending(&h), 0);
}

/// `upjobpilot export` scores first: when that fails, it says nothing was exported.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "needs src/test_hooks.rs, compiled out of release builds"
)]
fn an_export_whose_scoring_fails_says_nothing_was_exported() {
    let h = harness(209, RUST_SEARCH);
    let home = tempfile::tempdir().expect("home");
    assert!(sync(&h, home.path(), None).status.success());
    let csv = h.config.export_dir().join("new_postings.csv");
    std::fs::remove_file(&csv).expect("remove an export");
    let output = run(&h, home.path(), &["export"], Some("scores"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("scoring the stored postings failed")
            && stderr.contains("nothing was exported"),
        "{stderr}"
    );
    assert!(!csv.exists(), "nothing was exported");
}

/// A renormalize that fails says the batches done are kept and a new run goes on from there.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "needs src/test_hooks.rs, compiled out of release builds"
)]
fn a_failed_renormalize_says_it_goes_on_from_there() {
    let h = harness(210, RUST_SEARCH);
    let home = tempfile::tempdir().expect("home");
    assert!(sync(&h, home.path(), None).status.success());
    let output = run(&h, home.path(), &["renormalize"], Some("renormalize"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("renormalizing the stored postings failed")
            && stderr.contains("`upjobpilot renormalize` goes on from there"),
        "{stderr}"
    );
    assert!(!stderr.contains("stay in the spool"), "{stderr}");
    let again = run(&h, home.path(), &["renormalize"], None);
    assert!(again.status.success(), "{again:?}");
}

/// A renormalize that runs out of memory, in a batch's merge or in the daily aggregates at its
/// end, is done again (on one thread, then with a higher limit; the batches before it stay), as
/// a sync's steps are, and every posting with raw JSON is rebuilt.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "needs src/test_hooks.rs, compiled out of release builds"
)]
fn a_renormalize_that_runs_out_of_memory_is_done_again_with_a_higher_limit() {
    for (seed, step) in [(211, "merge"), (212, "daily")] {
        let h = harness(seed, RUST_SEARCH);
        let home = tempfile::tempdir().expect("home");
        assert!(sync(&h, home.path(), None).status.success());
        let stored = h.count("SELECT count(*) FROM jobs WHERE raw IS NOT NULL");
        assert!(stored > 0);
        let fail_at = format!("{step}-out-of-memory");
        let output = run(&h, home.path(), &["renormalize"], Some(&fail_at));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{step}: {stdout}{stderr}");
        assert!(
            stderr.contains(&format!("injected at {step}"))
                && stderr.contains("out of memory; trying again"),
            "{step}: {stderr}"
        );
        assert!(
            stdout.contains(&format!("rebuilt {stored} postings")),
            "{step}: {stdout}"
        );
        assert_eq!(
            h.count("SELECT count(*) FROM daily_dirty"),
            0,
            "{step}: the daily aggregates are up to date"
        );
    }
}

/// A load that runs out of memory goes on from the piece that ran out, with a higher limit: the
/// pieces before it stay committed and are not loaded again, and the runs' records count every
/// page once. Two runs wait (the first sync's load failed, the second fetched what was new since),
/// every page is a piece of its own, and the merge of the first run's last page runs out: the
/// retry starts inside a run, from its last page, with the counts of the pages before it.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "needs src/test_hooks.rs, compiled out of release builds"
)]
fn a_load_that_runs_out_of_memory_goes_on_from_the_piece_that_did() {
    let h = harness(213, RUST_SEARCH);
    let home = tempfile::tempdir().expect("home");
    assert_eq!(sync(&h, home.path(), Some("load")).status.code(), Some(1));
    let waiting = Spool::new(h.config.spool_dir()).pending().expect("spool");
    let pages = waiting[0].pages.len();
    assert!(pages >= 2, "the first run has {pages} pages");
    // The postings its pages hold.
    let seen: usize = waiting[0]
        .pages
        .iter()
        .map(|page| {
            let body: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&page.path).expect("page")).expect("json");
            body["data"]["marketplaceJobPostingsSearch"]["edges"]
                .as_array()
                .map_or(0, Vec::len)
        })
        .sum();
    let fail_at = format!("merge-out-of-memory:{pages}");
    let output = run_with(
        &h,
        home.path(),
        &["sync"],
        &[
            ("UPJOBPILOT_FAIL_AT", &fail_at),
            ("UPJOBPILOT_LOAD_BATCH_BYTES", "1"),
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("out of memory; loading again") && stderr.contains("injected at merge"),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("from_page={pages} ")), "{stderr}");
    let expected = h.expected("rust");
    assert_eq!(h.hits("rust"), expected);
    assert_eq!(pending(&h), 0);
    // The first run's record: every page and posting it fetched, once. The second's: what the
    // whole load found new, which is every posting (nothing was stored before).
    let runs: Vec<String> = h.column(
        "SELECT concat_ws(' ', pages, postings_seen, postings_new) FROM sync_runs ORDER BY run_id",
    );
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(runs[0], format!("{pages} {seen} 0"), "{runs:?}");
    assert!(
        runs[1].ends_with(&format!(" {}", expected.len())),
        "{runs:?}"
    );
}

/// The daily aggregates that end a load run out of memory: they alone are computed again with a
/// higher limit (in a transaction of their own, after the load's pieces), not the load, and
/// every day's aggregates are those of the stored postings.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "needs src/test_hooks.rs, compiled out of release builds"
)]
fn daily_aggregates_that_run_out_of_memory_are_computed_again_not_the_load() {
    let h = harness(214, RUST_SEARCH);
    let home = tempfile::tempdir().expect("home");
    let output = run(&h, home.path(), &["sync"], Some("daily-out-of-memory"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("injected at daily")
            && stderr.contains("out of memory; trying again with a higher limit"),
        "{stderr}"
    );
    assert!(!stderr.contains("loading again"), "{stderr}");
    assert_eq!(h.hits("rust"), h.expected("rust"));
    assert_eq!(h.count("SELECT count(*) FROM daily_dirty"), 0);
    assert_eq!(
        h.count(
            "SELECT count(*) FROM (SELECT published_at::TIMESTAMP::DATE AS day, count(*) AS n
                 FROM jobs GROUP BY ALL) j
             FULL JOIN (SELECT day, sum(postings) AS n FROM daily_postings
                        WHERE dimension = 'job_type' GROUP BY day) d USING (day)
             WHERE j.n IS DISTINCT FROM d.n"
        ),
        0,
        "every day's postings counted"
    );
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "needs src/test_hooks.rs, compiled out of release builds"
)]
fn a_failure_before_the_export_writes_no_file() {
    let h = harness(204, RUST_SEARCH);
    let home = tempfile::tempdir().expect("home");
    let output = sync(&h, home.path(), Some("scores"));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        !h.config.export_dir().join("new_postings.csv").exists(),
        "the message says nothing was exported"
    );
}

/// The dashboard's scores come from every sync, `--no-export` included: one row per stored
/// posting, and the fit score the shipped view computes.
#[test]
fn a_sync_without_export_still_scores_every_posting() {
    let h = harness(205, RUST_SEARCH);
    let home = tempfile::tempdir().expect("home");
    let output = Command::new(env!("CARGO_BIN_EXE_upjobpilot"))
        .env_clear()
        .env("HOME", home.path())
        .env("UPJOBPILOT_TOKEN_FILE", h.store.path())
        .args(["sync", "--quiet", "--no-export", "--config"])
        .arg(h.dir.path().join("pipeline.toml"))
        .output()
        .expect("sync runs");
    assert!(output.status.success(), "{output:?}");
    assert!(!h.config.export_dir().join("new_postings.csv").exists());
    let jobs = h.count("SELECT count(*) FROM jobs");
    assert!(jobs > 0);
    assert_eq!(
        h.count("SELECT count(*) FROM posting_scores"),
        jobs,
        "a score per posting"
    );
    let views = upjobpilot::pipeline::views::DEFAULT_VIEWS
        .iter()
        .find(|(name, _)| *name == "fit_score.sql")
        .expect("the shipped fit_score")
        .1
        .trim()
        .trim_end_matches(';');
    let disagreeing = h.count(&format!(
        "SELECT count(*) FROM posting_scores s JOIN ({views}) f ON f.id = s.job_id \
         WHERE s.fit_score IS DISTINCT FROM f.fit_score"
    ));
    assert_eq!(disagreeing, 0, "the scores are the shipped view's");
}

/// A CSV open in Excel on Windows cannot be replaced (issue 21; `scripts/windows-check` meets the
/// real sharing violation under Wine, this test the same path through the debug build's hook):
/// that file keeps its last export, every other view is written, the run exits 3 (partial) with
/// a message naming the file and what to do, and the next run writes it.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "needs src/test_hooks.rs, compiled out of release builds"
)]
fn a_file_held_open_by_another_program_keeps_its_last_export_and_the_rest_are_written() {
    let h = harness(205, RUST_SEARCH);
    let home = tempfile::tempdir().expect("home");
    let first = sync(&h, home.path(), None);
    assert!(first.status.success(), "{first:?}");
    let exports = h.config.export_dir();
    let held = exports.join("new_postings.csv");
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    let set_old = || {
        std::fs::File::options()
            .write(true)
            .open(&held)
            .and_then(|f| f.set_modified(old))
            .expect("set the time");
    };
    let kept = std::fs::read(&held).expect("the first export");
    set_old();
    let others: Vec<_> = std::fs::read_dir(&exports)
        .expect("exports")
        .map(|e| e.expect("entry").path())
        .filter(|p| *p != held)
        .collect();
    assert!(others.len() >= 3, "{others:?}");
    for other in &others {
        std::fs::remove_file(other).expect("remove");
    }

    let holding = [("UPJOBPILOT_HOLD_EXPORT", "new_postings.csv")];
    let output = run_with(&h, home.path(), &["sync"], &holding);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_eq!(output.status.code(), Some(3), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("cannot replace {}", held.display()))
            && stderr.contains("another program has it open")
            && stderr.contains("the next sync or `upjobpilot export` writes it"),
        "{stderr}"
    );
    assert!(stdout.contains("kept"), "{stdout}");
    assert_eq!(std::fs::read(&held).expect("kept"), kept);
    assert_eq!(
        std::fs::metadata(&held).expect("stat").modified().ok(),
        Some(old)
    );
    for other in &others {
        assert!(other.exists(), "{} exported", other.display());
    }
    let temps: Vec<_> = std::fs::read_dir(&exports)
        .expect("exports")
        .map(|e| e.expect("entry").file_name())
        .filter(|n| n.to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");

    // `upjobpilot export` says the same with the same status.
    let export = run_with(&h, home.path(), &["export"], &holding);
    assert_eq!(export.status.code(), Some(3), "{export:?}");
    assert_eq!(
        std::fs::metadata(&held).expect("stat").modified().ok(),
        Some(old)
    );

    // Closed again: the next sync writes it.
    let again = sync(&h, home.path(), None);
    assert!(again.status.success(), "{again:?}");
    assert_ne!(
        std::fs::metadata(&held).expect("stat").modified().ok(),
        Some(old)
    );
}
