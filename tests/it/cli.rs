//! The binary, black-box, with a scrubbed environment: help texts, exit statuses and messages
//! for bad config, no sign-in, a held lock and a busy database, and a real sync against the
//! in-process sandbox.

use crate::support::harness;
use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

/// One search over the sandbox's whole history (three days).
const SEARCHES: &str = crate::support::RUST_SEARCH;

/// The binary with nothing from the developer's environment but PATH.
fn upjobpilot(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("upjobpilot").expect("binary");
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("UPJOBPILOT_DATA_DIR", home.join("data"));
    cmd
}

/// The binary, signed in with the harness's tokens, on the harness's config.
fn signed_in(h: &crate::support::Harness, home: &Path, args: &[&str]) -> Command {
    let mut cmd = upjobpilot(home);
    cmd.env("UPJOBPILOT_TOKEN_FILE", h.store.path())
        .args(args)
        .arg("--config")
        .arg(h.dir.path().join("pipeline.toml"));
    cmd
}

#[test]
fn help_shows_examples_and_exit_statuses() {
    let home = tempfile::tempdir().expect("tempdir");
    upjobpilot(home.path())
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit statuses").and(predicate::str::contains("demo")));
    for command in [
        &["sync"][..],
        &["export"],
        &["status"],
        &["init"],
        &["demo"],
        &["serve"],
        &["auth", "login"],
        &["sandbox"],
    ] {
        upjobpilot(home.path())
            .args(command)
            .arg("--help")
            .assert()
            .success()
            .stdout(predicate::str::contains("Example"));
    }
}

/// A bug report pastes `--version`: it must name the build's commit and the DuckDB inside the
/// binary as the engine itself reports it, not a number written down beside the dependency.
#[test]
fn long_version_names_the_commit_and_the_linked_duckdb() {
    let home = tempfile::tempdir().expect("tempdir");
    let output = upjobpilot(home.path())
        .arg("--version")
        .output()
        .expect("run");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let prefix = format!("upjobpilot {} (commit ", env!("CARGO_PKG_VERSION"));
    let (commit, duckdb) = stdout
        .trim_end()
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(')'))
        .and_then(|rest| rest.split_once(", DuckDB "))
        .unwrap_or_else(|| panic!("not `{prefix}<commit>, DuckDB <version>)`: {stdout:?}"));

    let in_sql: String = duckdb::Connection::open_in_memory()
        .expect("in-memory database")
        .query_row("SELECT version()", [], |row| row.get(0))
        .expect("version()");
    assert_eq!(duckdb, in_sql, "{stdout:?}");

    // Built from this checkout (not a commit named by UPJOBPILOT_COMMIT): git's HEAD, perhaps
    // `-dirty`. Outside a checkout of its own it can only be `unknown`.
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--show-toplevel", "--short=12", "HEAD"])
        .current_dir(manifest_dir)
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| {
            let out = String::from_utf8_lossy(&out.stdout).into_owned();
            let (top, head) = out.trim().split_once('\n')?;
            let own = Path::new(top).canonicalize().ok()? == manifest_dir.canonicalize().ok()?;
            own.then(|| head.to_owned())
        });
    match (option_env!("UPJOBPILOT_COMMIT"), head) {
        (Some(named), _) if !named.trim().is_empty() => assert_eq!(commit, named.trim()),
        (_, Some(head)) => assert!(
            commit == head || commit == format!("{head}-dirty"),
            "commit {commit:?}, HEAD {head}"
        ),
        (_, None) => assert_eq!(commit, "unknown"),
    }

    // -V stays the short form.
    upjobpilot(home.path())
        .arg("-V")
        .assert()
        .success()
        .stdout(format!("upjobpilot {}\n", env!("CARGO_PKG_VERSION")));
}

/// On x86_64 Linux the binary's malloc is jemalloc, for DuckDB's C++ too, with its settings
/// (src/main.rs): jemalloc says which it read when asked to.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn the_binary_allocates_with_jemalloc_and_its_settings() {
    let home = tempfile::tempdir().expect("tempdir");
    upjobpilot(home.path())
        .arg("--version")
        .env("MALLOC_CONF", "confirm_conf:true")
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "global variable malloc_conf): \"narenas:1,dirty_decay_ms:1000,muzzy_decay_ms:0,background_thread:true\"",
        ));
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let home = tempfile::tempdir().expect("tempdir");
    upjobpilot(home.path())
        .args(["sync", "--frobnicate"])
        .assert()
        .code(2);
}

#[test]
fn an_invalid_config_lists_every_problem_and_writes_nothing() {
    let home = tempfile::tempdir().expect("tempdir");
    let config = home.path().join("pipeline.toml");
    std::fs::write(
        &config,
        "[upwork]\nclient_id = \"x\"\n\n[[search]]\nname = \"a\"\npage_sise = 5\n\n[[search]]\nname = \"b\"\nproposals = { min = 9, max = 2 }\n",
    )
    .expect("write");
    upjobpilot(home.path())
        .args(["sync", "--config"])
        .arg(&config)
        .assert()
        .code(4)
        .stderr(
            predicate::str::contains("pipeline.toml:6:1")
                .and(predicate::str::contains("page_sise"))
                .and(predicate::str::contains("pipeline.toml:10:"))
                .and(predicate::str::contains("impossible range")),
        );
    let entries: Vec<_> = std::fs::read_dir(home.path()).expect("dir").collect();
    assert_eq!(entries.len(), 1, "only the config file is there");
}

#[test]
fn a_missing_config_says_to_run_init() {
    let home = tempfile::tempdir().expect("tempdir");
    upjobpilot(home.path())
        .current_dir(home.path())
        .arg("sync")
        .assert()
        .code(4)
        .stderr(predicate::str::contains("upjobpilot init"));
}

#[test]
fn sync_without_sign_in_is_an_auth_error() {
    let h = harness(21, SEARCHES);
    let home = tempfile::tempdir().expect("tempdir");
    upjobpilot(home.path())
        .args(["sync", "--config"])
        .arg(h.dir.path().join("pipeline.toml"))
        .assert()
        .code(5)
        .stderr(predicate::str::contains("upjobpilot auth login"));
}

#[test]
fn sync_through_the_binary_stores_and_exports() {
    let h = harness(22, SEARCHES);
    let home = tempfile::tempdir().expect("tempdir");
    signed_in(&h, home.path(), &["sync"])
        .assert()
        .success()
        .stdout(predicate::str::contains("rust").and(predicate::str::contains("exported")));
    assert_eq!(h.hits("rust"), h.expected("rust"));
    signed_in(&h, home.path(), &["status", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"search\": \"rust\""));
}

#[test]
fn a_second_sync_while_one_runs_exits_locked_naming_the_holder() {
    let h = harness(23, SEARCHES);
    let home = tempfile::tempdir().expect("tempdir");
    let _held = upjobpilot::pipeline::lock(&h.db_path(), std::time::Duration::ZERO).expect("lock");
    signed_in(&h, home.path(), &["sync"])
        .assert()
        .code(6)
        .stderr(predicate::str::contains(format!(
            "pid {}",
            std::process::id()
        )));
    assert!(!h.db_path().exists(), "the locked run touched nothing");
}

#[test]
fn a_reader_holding_the_database_keeps_pages_in_the_spool_until_the_next_sync() {
    let h = harness(24, SEARCHES);
    let home = tempfile::tempdir().expect("tempdir");
    drop(upjobpilot::db::open(&h.db_path()).expect("create the database"));
    let reader = duckdb::Connection::open(h.db_path()).expect("reader opens the file");
    signed_in(&h, home.path(), &["sync"])
        .assert()
        .code(7)
        .stderr(predicate::str::contains("spool"));
    let requests = h.search_requests();
    assert!(requests > 0);
    drop(reader);
    signed_in(&h, home.path(), &["sync"]).assert().success();
    // The spooled pages were loaded and their watermark used: the second run was idle (its
    // searches'; the signals of the postings it loaded are asked now).
    assert_eq!(h.search_requests() - requests, 1);
    assert_eq!(h.hits("rust"), h.expected("rust"));
}

/// Regression: writing into a closed pipe (`upjobpilot completions bash | head -1`) panicked.
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_upjobpilot"))
        .args(["completions", "bash"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Close the reading end before the child has started writing: its first write meets a
    // closed pipe.
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_file_that_is_not_a_database_is_a_failure_and_stays_untouched() {
    let h = harness(25, SEARCHES);
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::write(h.db_path(), "my notes, not a database").expect("write");
    signed_in(&h, home.path(), &["sync"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is not a DuckDB database"));
    assert_eq!(
        std::fs::read_to_string(h.db_path()).expect("read"),
        "my notes, not a database"
    );
}

#[test]
fn a_search_that_runs_out_of_retries_is_a_partial_sync() {
    use upwork_sandbox::FaultKind;
    let h = crate::support::harness_with(26, SEARCHES, |config| {
        config.faults.schedule = (2..=30).map(|n| (n, FaultKind::ServerError(503))).collect();
    });
    let home = tempfile::tempdir().expect("tempdir");
    signed_in(&h, home.path(), &["sync"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("failed"));
    h.sandbox.set_faults(Default::default());
    signed_in(&h, home.path(), &["sync"]).assert().success();
    assert_eq!(h.hits("rust"), h.expected("rust"));
}

#[test]
fn a_full_disk_is_a_clear_error_and_the_next_sync_recovers() {
    use std::os::unix::process::CommandExt;
    let h = harness(27, SEARCHES);
    let home = tempfile::tempdir().expect("tempdir");
    let config = h.dir.path().join("pipeline.toml");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_upjobpilot"));
    cmd.env_clear()
        .env("HOME", home.path())
        .env("UPJOBPILOT_TOKEN_FILE", h.store.path())
        .args(["sync", "--config"])
        .arg(&config);
    // A size-limited file stands in for a full disk: no file may grow past 64 KiB, and writes
    // beyond fail with EFBIG (SIGXFSZ ignored) as they would with ENOSPC.
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 64 * 1024,
                rlim_max: 64 * 1024,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let output = cmd.output().expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    // A page that cannot be spooled fails its search (partial, 3); a database or export that
    // cannot be written fails the run (1). Either way: the OS error named, no panic.
    assert!(
        matches!(output.status.code(), Some(1 | 3)),
        "{:?}: {stderr}",
        output.status
    );
    assert!(stderr.contains("File too large"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    signed_in(&h, home.path(), &["sync"]).assert().success();
    assert_eq!(h.hits("rust"), h.expected("rust"));
}

#[test]
fn init_from_profile_adds_a_search_for_the_signed_in_freelancers_skills() {
    let mut h = harness(29, SEARCHES);
    let home = tempfile::tempdir().expect("tempdir");
    let config = h.dir.path().join("pipeline.toml");
    signed_in(&h, home.path(), &["init", "--from-profile"])
        .assert()
        .success()
        .stdout(predicate::str::contains("added search profile-skills"))
        .stderr(predicate::str::contains(
            "Rust, Python, PostgreSQL, API Integration, Docker",
        ));
    h.config = upjobpilot::config::Config::load(&config).expect("still a valid config");
    let search = h
        .config
        .searches
        .iter()
        .find(|s| s.name == "profile-skills")
        .expect("the proposed search");
    assert_eq!(
        upjobpilot::upwork::filter::search_filter(&search.criteria)["skillExpression_eq"],
        "Rust,Python,PostgreSQL,API Integration,Docker"
    );
    assert_eq!(
        h.config.profile.skills,
        ["Rust", "Python", "PostgreSQL", "API Integration", "Docker"]
    );
    assert!(
        h.config.searches.iter().any(|s| s.name == "rust"),
        "the searches already there stay"
    );

    // The search finds what the sandbox says it must, and fit_score matches skills by label.
    signed_in(&h, home.path(), &["sync"]).assert().success();
    // Everything the sandbox says the search must return (the last page may reach past the
    // 24-hour horizon, so the hits can hold a few older ones too).
    let hits = h.hits("profile-skills");
    let expected = h.expected("profile-skills");
    assert!(!expected.is_empty());
    assert!(
        hits.is_superset(&expected),
        "missing {:?}",
        expected.difference(&hits)
    );
    assert!(
        h.count(
            "SELECT count(*) FROM fit_score WHERE list_contains(matching_skills, 'api-integration')"
        ) > 0
    );

    // Proposing again would add a second search of the same name: refused, file unchanged.
    let before = std::fs::read_to_string(&config).expect("read");
    signed_in(&h, home.path(), &["init", "--from-profile"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains(
            "already has a search named profile-skills",
        ));
    assert_eq!(std::fs::read_to_string(&config).expect("read"), before);
}

#[test]
fn init_from_profile_needs_a_sign_in() {
    let h = harness(30, SEARCHES);
    let home = tempfile::tempdir().expect("tempdir");
    upjobpilot(home.path())
        .env("UPJOBPILOT_TOKEN_FILE", home.path().join("none.json"))
        .args(["init", "--from-profile", "--config"])
        .arg(h.dir.path().join("pipeline.toml"))
        .assert()
        .code(5)
        .stderr(predicate::str::contains("upjobpilot auth login"));
}

#[test]
fn doctor_runs_the_views_against_the_database_and_changes_nothing() {
    let h = harness(31, SEARCHES);
    let home = tempfile::tempdir().expect("tempdir");
    signed_in(&h, home.path(), &["sync"]).assert().success();
    signed_in(&h, home.path(), &["doctor"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("signed in")
                .and(predicate::str::contains("GraphQL endpoint"))
                .and(predicate::str::contains("run against the database"))
                .and(predicate::str::contains("FAIL").not()),
        );

    // A view that does not compile is found before a sync trips on it, and left out of the file.
    std::fs::write(
        h.dir.path().join("queries/broken.sql"),
        "SELECT no_such_column FROM jobs",
    )
    .expect("view");
    signed_in(&h, home.path(), &["doctor"])
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("FAIL view broken")
                .and(predicate::str::contains("no_such_column")),
        );
    assert_eq!(
        h.count("SELECT count(*) FROM duckdb_views() WHERE view_name = 'broken'"),
        0
    );
}

/// A harness over every posting of the sandbox's market (about 8 MB of pages), with `extra`
/// in its config, under the smallest memory limit the config accepts.
fn whole_market_in_32_mib(seed: u64, extra: &str) -> crate::support::Harness {
    let h = harness(
        seed,
        &format!(
            "[[search]]\nname = \"all\"\npage_size = 100\nmax_pages = 100\nmax_age_hours = 100\n\n{extra}"
        ),
    );
    let path = h.dir.path().join("pipeline.toml");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(
        &path,
        format!("[storage]\nmemory_limit = \"32MiB\"\n{text}"),
    )
    .expect("write");
    h
}

#[test]
fn a_load_that_runs_out_of_memory_is_retried_with_a_higher_limit() {
    // DuckDB's out-of-memory error in the first merge (on the sandbox's market the load fits in
    // 32 MiB, spilling to disk; it did not before the text index's words were cut in Rust).
    let h = whole_market_in_32_mib(32, "");
    let home = tempfile::tempdir().expect("tempdir");
    signed_in(&h, home.path(), &["sync"])
        .env("UPJOBPILOT_FAIL_AT", "merge-out-of-memory")
        .assert()
        .success()
        .stderr(
            predicate::str::contains("out of memory; loading again")
                .and(predicate::str::contains("memory_limit=64MiB"))
                .and(predicate::str::contains("stay queued").not()),
        );
    assert_eq!(h.hits("all"), h.expected("all"));
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "needs src/test_hooks.rs, compiled out of release builds"
)]
fn signals_that_run_out_of_memory_are_retried_with_a_higher_limit() {
    // DuckDB's out-of-memory error when the signals choose their postings (a first sync of a
    // million postings ran out there and stored no signals): retried, not given up.
    let h = whole_market_in_32_mib(34, "");
    let home = tempfile::tempdir().expect("tempdir");
    signed_in(&h, home.path(), &["sync"])
        .env("UPJOBPILOT_FAIL_AT", "signals-out-of-memory")
        .assert()
        .success()
        .stderr(
            predicate::str::contains("out of memory; trying again")
                .and(predicate::str::contains("stage=\"signals\""))
                .and(predicate::str::contains("storing the competition signals failed").not()),
        );
    let top = i64::from(upjobpilot::config::Signals::default().top);
    assert!(top > 0);
    assert_eq!(h.count("SELECT count(*) FROM job_activity"), top);
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "needs src/test_hooks.rs, compiled out of release builds"
)]
fn an_export_file_that_runs_out_of_memory_is_written_again_and_the_sync_succeeds() {
    let h = whole_market_in_32_mib(35, "");
    let home = tempfile::tempdir().expect("tempdir");
    signed_in(&h, home.path(), &["sync"])
        .env("UPJOBPILOT_FAIL_AT", "export-new_postings-out-of-memory")
        .assert()
        .success()
        .stderr(
            predicate::str::contains("out of memory; trying again on one thread")
                .and(predicate::str::contains("view new_postings")),
        );
    for view in upjobpilot::pipeline::views::DEFAULT_VIEWS {
        let name = view.0.trim_end_matches(".sql");
        for extension in ["csv", "parquet"] {
            let file = h.config.export_dir().join(format!("{name}.{extension}"));
            assert!(file.exists(), "{}", file.display());
        }
    }
}

#[test]
fn a_sync_at_the_smallest_memory_limit_matches_its_alert_rules() {
    // A rule every new posting matches: the load fits in its batches, and the alert plan after
    // it must too, or be retried with more, not leave the postings queued.
    let h = whole_market_in_32_mib(33, "[[alert]]\nname = \"every\"\ncommand = [\"true\"]\n");
    let home = tempfile::tempdir().expect("tempdir");
    signed_in(&h, home.path(), &["sync"])
        .assert()
        .success()
        .stderr(predicate::str::contains("stay queued").not());
    assert_eq!(h.count("SELECT count(*) FROM alerts_queue"), 0);
    assert_eq!(
        h.count("SELECT count(*) FROM alerts_sent WHERE rule = 'every'"),
        h.count("SELECT count(*) FROM jobs")
    );
}

#[test]
fn init_writes_a_valid_config_and_the_default_views_without_touching_existing_ones() {
    let home = tempfile::tempdir().expect("tempdir");
    let dir = home.path().join("jobs");
    std::fs::create_dir(&dir).expect("dir");
    let config = dir.join("pipeline.toml");
    upjobpilot(home.path())
        .args([
            "init",
            "--client-id",
            "abc123",
            "--keywords",
            "rust, tokio",
            "--config",
        ])
        .arg(&config)
        .assert()
        .success()
        .stdout(predicate::str::contains("views in"));
    let loaded = upjobpilot::config::Config::load(&config).expect("a valid config");
    assert_eq!(loaded.upwork.client_id, "abc123");
    let search = loaded
        .searches
        .iter()
        .find(|s| s.name == "my-keywords")
        .expect("the keyword search");
    assert_eq!(
        upjobpilot::upwork::filter::search_filter(&search.criteria)["searchExpression_eq"],
        "rust OR tokio"
    );
    let views = upjobpilot::pipeline::views::read_views(&loaded.queries_dir()).expect("views");
    assert_eq!(
        views.len(),
        upjobpilot::pipeline::views::DEFAULT_VIEWS.len()
    );

    // Again with --force: the config is rewritten, the user's views are left alone.
    std::fs::write(dir.join("queries/mine.sql"), "SELECT 1 AS x").expect("own view");
    upjobpilot(home.path())
        .args([
            "init",
            "--force",
            "--client-id",
            "xyz",
            "--keywords",
            "python, data pipeline",
            "--config",
        ])
        .arg(&config)
        .assert()
        .success()
        .stdout(predicate::str::contains("views in").not());
    assert!(dir.join("queries/mine.sql").exists());
    let loaded = upjobpilot::config::Config::load(&config).expect("valid");
    assert_eq!(loaded.upwork.client_id, "xyz");
    // A new user's first config fetches what they asked for, and nothing else.
    let names: Vec<&str> = loaded.searches.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["my-keywords"], "the example searches are comments");
    assert_eq!(
        upjobpilot::upwork::filter::search_filter(&loaded.searches[0].criteria)["searchExpression_eq"],
        "python OR \"data pipeline\""
    );
}

/// `doctor` asks through the same client as sync, so a configured tenant reaches Upwork with its
/// probe too (it used to build its own request and leave the header out).
#[test]
fn doctor_sends_the_tenant_header_when_one_is_configured() {
    let h = harness(33, SEARCHES);
    let home = tempfile::tempdir().expect("tempdir");
    let config = h.dir.path().join("pipeline.toml");
    let text = std::fs::read_to_string(&config).expect("read");
    let text = text.replacen("[upwork]\n", "[upwork]\ntenant_id = \"org-4242\"\n", 1);
    std::fs::write(&config, text).expect("write");
    signed_in(&h, home.path(), &["doctor"])
        .assert()
        .success()
        .stdout(predicate::str::contains("GraphQL endpoint"));
    let probes: Vec<_> = h
        .sandbox
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == "/graphql")
        .collect();
    assert!(!probes.is_empty(), "doctor asked the GraphQL endpoint");
    for probe in &probes {
        assert_eq!(probe.tenant_id.as_deref(), Some("org-4242"), "{probe:?}");
        assert!(
            probe
                .user_agent
                .as_deref()
                .is_some_and(|a| a.starts_with("upjobpilot/")),
            "{probe:?}"
        );
    }
}

/// `init --from-profile` goes through the shared client: an access token the server no longer
/// takes (its 24 hours ran out on the server's clock) is refreshed once and the question asked
/// again, instead of failing with "run auth login".
#[test]
fn init_from_profile_refreshes_an_expired_token() {
    let h = harness(34, SEARCHES);
    let home = tempfile::tempdir().expect("tempdir");
    let before = h.store.load().expect("load").expect("tokens");
    h.sandbox.advance(std::time::Duration::from_secs(25 * 3600));
    signed_in(&h, home.path(), &["init", "--from-profile", "--yes"])
        .assert()
        .success()
        .stdout(predicate::str::contains("added search profile-skills"));
    let requests = h.sandbox.requests();
    let refused = requests
        .iter()
        .position(|r| r.endpoint == "/graphql" && r.status == Some(401))
        .expect("the expired token was refused");
    let refreshed = requests
        .iter()
        .position(|r| r.operation.as_deref() == Some("refresh_token") && r.status == Some(200))
        .expect("a refresh");
    let answered = requests
        .iter()
        .rposition(|r| r.operation.as_deref() == Some("ProfileSkills") && r.status == Some(200))
        .expect("the profile, asked again");
    assert!(refused < refreshed && refreshed < answered, "{requests:?}");
    let after = h.store.load().expect("load").expect("tokens");
    assert_ne!(
        after.access_token.expose(),
        before.access_token.expose(),
        "the rotated tokens were saved"
    );
}

/// `UPJOBPILOT_SPOOL_DIR=$HOME` would have a load delete the home folder's subfolders: it is a
/// config error (exit 4) before anything runs, and the folder is untouched.
#[test]
fn a_spool_folder_that_holds_the_home_folder_is_refused() {
    let h = harness(35, SEARCHES);
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(home.path().join("Documents/taxes")).expect("a folder of the user's");
    signed_in(&h, home.path(), &["sync"])
        .env("UPJOBPILOT_SPOOL_DIR", home.path())
        .assert()
        .code(4)
        .stderr(
            predicate::str::contains("your home folder")
                .and(predicate::str::contains("UPJOBPILOT_SPOOL_DIR")),
        );
    assert!(home.path().join("Documents/taxes").is_dir());
    assert_eq!(h.graphql_requests(), 0, "nothing was fetched");
}

/// `reset` forgets a search's watermark (the next sync pages back to `max_age_hours` again),
/// drops its hits only with `--postings`, asks unless `--yes`, and names a search it does not
/// know.
#[test]
fn reset_forgets_a_watermark_and_asks_first() {
    let h = harness(36, SEARCHES);
    let home = tempfile::tempdir().expect("tempdir");
    signed_in(&h, home.path(), &["sync"]).assert().success();
    let stored = h.hits("rust");
    assert!(!stored.is_empty());
    let watermarks = || h.count("SELECT count(watermark) FROM search_state");
    assert_eq!(watermarks(), 1);

    // Off a terminal, without --yes: nothing changes.
    signed_in(&h, home.path(), &["reset", "--search", "rust"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--yes"));
    assert_eq!(watermarks(), 1);
    signed_in(&h, home.path(), &["reset", "--search", "rusty", "--yes"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no search named \"rusty\""));

    signed_in(&h, home.path(), &["reset", "--search", "rust", "--yes"])
        .assert()
        .success();
    assert_eq!(watermarks(), 0);
    assert_eq!(h.hits("rust"), stored, "the hits stay without --postings");
    let before = h.graphql_requests();
    signed_in(&h, home.path(), &["sync"]).assert().success();
    assert!(
        h.graphql_requests() - before > 1,
        "the sync after a reset pages back like a first sync"
    );

    signed_in(&h, home.path(), &["reset", "--postings", "--yes"])
        .assert()
        .success()
        .stdout(predicate::str::contains("hits dropped"));
    assert!(h.hits("rust").is_empty());
    assert!(
        h.count("SELECT count(*) FROM jobs") > 0,
        "the postings stay"
    );
}

/// The README's first command, `upjobpilot demo`, to the end in a folder whose path has a space
/// and non-ASCII letters (as `C:\Users\José Müller\Documents\my jobs` on Windows; issue 21): the
/// sign-in through the callback, two syncs, the export, and a `status` over what it left.
#[test]
fn the_demo_runs_to_the_end_in_a_folder_with_a_space_and_accents() {
    let home = tempfile::tempdir().expect("tempdir");
    let dir = home.path().join("José Müller").join("my jobs");
    let output = upjobpilot(home.path())
        .arg("demo")
        .arg("--dir")
        .arg(&dir)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "database: {}",
            dir.join("upjobpilot.duckdb").display()
        )),
        "{stdout}"
    );
    let csv = dir.join("exports").join("new_postings.csv");
    assert!(
        stdout.contains(&format!("export:   {}", csv.display())),
        "{stdout}"
    );
    let rows = csv::Reader::from_path(&csv).expect("csv").records().count();
    assert!(rows > 0, "the demo exported postings");
    upjobpilot(home.path())
        .arg("status")
        .arg("--config")
        .arg(dir.join("pipeline.toml"))
        .assert()
        .success();
}
