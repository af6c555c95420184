//! Secrets and trust: a verbose sync that refreshes its token mid-run prints no secret, and no
//! secret lands in the database, the exports, the spool or the sandbox's request log; the only
//! GraphQL document the client can send is a query that Upwork's schema accepts.

use crate::support::harness_with;
use std::path::Path;
use std::process::Command;
use upwork_sandbox::FaultKind;

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn a_verbose_sync_leaks_no_secret_anywhere() {
    let log = tempfile::NamedTempFile::new().expect("log file");
    let log_path = log.path().to_path_buf();
    let h = harness_with(
        31,
        "[[search]]\nname = \"rust\"\nexpression = \"rust\"\nmax_age_hours = 100\n",
        |c| {
            c.request_log = Some(log_path.clone());
            c.faults.schedule = vec![(2, FaultKind::ExpireToken)];
        },
    );
    let before = h.store.load().expect("load").expect("tokens");
    let home = tempfile::tempdir().expect("home");
    let output = Command::new(env!("CARGO_BIN_EXE_upjobpilot"))
        .env_clear()
        .env("HOME", home.path())
        .env("UPJOBPILOT_DATA_DIR", home.path())
        .env("UPJOBPILOT_TOKEN_FILE", h.store.path())
        .args(["-vvv", "sync", "--config"])
        .arg(h.dir.path().join("pipeline.toml"))
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let after = h.store.load().expect("load").expect("tokens");
    assert_ne!(
        before.access_token.expose(),
        after.access_token.expose(),
        "the run refreshed its token, so new secrets went through the code too"
    );
    let mut secrets = vec![
        h.sandbox.client().secret,
        before.access_token.expose().to_string(),
        after.access_token.expose().to_string(),
    ];
    secrets.extend(before.refresh_token.iter().map(|s| s.expose().to_string()));
    secrets.extend(after.refresh_token.iter().map(|s| s.expose().to_string()));
    assert!(output.stderr.len() > 1000, "the run was verbose");

    let mut places: Vec<(String, Vec<u8>)> = vec![
        ("stdout".into(), output.stdout.clone()),
        ("stderr".into(), output.stderr.clone()),
        ("request log".into(), std::fs::read(&log_path).expect("log")),
    ];
    for file in files_under(h.dir.path()) {
        if file == h.store.path() {
            continue;
        }
        places.push((
            file.display().to_string(),
            std::fs::read(&file).expect("read"),
        ));
    }
    assert!(places.iter().any(|(name, _)| name.ends_with(".duckdb")));
    for (name, bytes) in &places {
        for secret in &secrets {
            assert!(!contains(bytes, secret), "a secret appears in {name}");
        }
    }
}

#[test]
fn the_client_sends_only_a_query_that_the_schema_accepts() {
    use apollo_compiler::executable::OperationType;
    let schema_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("crates/upwork-sandbox/schema/upwork-jobs.graphql"),
    )
    .expect("schema");
    let schema = apollo_compiler::Schema::parse_and_validate(schema_text, "upwork-jobs.graphql")
        .expect("schema parses");
    let document = apollo_compiler::ExecutableDocument::parse_and_validate(
        &schema,
        upjobpilot::upwork::SEARCH_QUERY,
        "search.graphql",
    )
    .expect("the search query is valid against Upwork's schema");
    let operations: Vec<_> = document.operations.iter().collect();
    assert_eq!(operations.len(), 1);
    assert_eq!(operations[0].operation_type, OperationType::Query);
    for avoided in ["companyOrgUid", "memberSinceDateTime", "companyName"] {
        assert!(
            !upjobpilot::upwork::SEARCH_QUERY.contains(&format!(" {avoided}")),
            "{avoided}"
        );
    }
}

/// Everything a sync creates (the database and what DuckDB makes beside it, the locks, the
/// spool, the exports, the alert files) is its user's alone, whatever the umask.
#[cfg(unix)]
#[test]
fn a_sync_creates_its_files_readable_by_its_user_only() {
    use std::os::unix::fs::PermissionsExt;
    let rules = "[[search]]\nname = \"rust\"\nexpression = \"rust\"\nmax_age_hours = 100\n\n[[alert]]\nname = \"noop\"\ncommand = [\"true\"]\n";
    let h = crate::support::harness(32, rules);
    let home = tempfile::tempdir().expect("home");
    // The usual umask of a desktop session, whatever the test runner's.
    let output = Command::new("sh")
        .args(["-c", "umask 022 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_upjobpilot"))
        .args(["sync", "--config"])
        .arg(h.dir.path().join("pipeline.toml"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("UPJOBPILOT_DATA_DIR", home.path())
        .env("UPJOBPILOT_TOKEN_FILE", h.store.path())
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // What the test itself wrote is left out.
    let ours = ["pipeline.toml", "tokens.json", "queries"];
    let mut created = Vec::new();
    let mut pending = vec![h.dir.path().to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("list").flatten() {
            let path = entry.path();
            if dir == h.dir.path() && ours.iter().any(|o| entry.file_name() == *o) {
                continue;
            }
            if path.is_dir() {
                pending.push(path.clone());
            }
            created.push(path);
        }
    }
    let names: Vec<String> = created.iter().map(|p| p.display().to_string()).collect();
    for expected in [
        ".duckdb",
        ".duckdb.lock",
        ".alerts.lock",
        ".alerts.last.json",
        ".csv",
        ".parquet",
    ] {
        assert!(
            names.iter().any(|n| n.ends_with(expected)),
            "{expected} in {names:#?}"
        );
    }
    assert!(names.iter().any(|n| n.ends_with("spool")), "{names:#?}");
    for path in &created {
        let mode = std::fs::symlink_metadata(path)
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "{} has mode {:o}",
            path.display(),
            mode & 0o777
        );
    }
}
