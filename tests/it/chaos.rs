//! Chaos: full syncs against the sandbox with every fault kind switched on at once, over many
//! seeds. Invariant: once the runs complete, the stored content (jobs, skills, search hits)
//! equals that of a fault-free run of the same market; nothing lost, nothing doubled.
//!
//! CI runs `UPJOBPILOT_CHAOS_SEEDS` seeds (default 4); set it higher for a longer run.

use crate::support::{Harness, harness_with};
use std::time::Duration;
use upjobpilot::exit::Exit;
use upwork_sandbox::{FaultConfig, FaultKind};

const SEARCHES: &str = r#"
[[search]]
name = "rust"
expression = "rust"
page_size = 10
max_age_hours = 100

[[search]]
name = "python"
skills = ["python"]
page_size = 15
max_age_hours = 100

[[search]]
name = "expert-fixed"
job_type = "fixed"
experience = "expert"
page_size = 20
max_age_hours = 100
"#;

/// Every fault that leaves the market as it is.
fn faults(seed: u64) -> FaultConfig {
    FaultConfig {
        seed,
        rate: 0.35,
        kinds: vec![
            FaultKind::TooManyRequests { retry_after: None },
            FaultKind::TooManyRequests {
                retry_after: Some(1),
            },
            FaultKind::ServerError(500),
            FaultKind::ServerError(502),
            FaultKind::ServerError(503),
            FaultKind::Latency(Duration::from_millis(2500)),
            FaultKind::CutBody,
            FaultKind::DropConnection,
            FaultKind::GraphqlError { partial: true },
            FaultKind::GraphqlError { partial: false },
            FaultKind::ExpireToken,
            FaultKind::RevokeToken,
        ],
        schedule: Vec::new(),
    }
}

fn seeds() -> u64 {
    std::env::var("UPJOBPILOT_CHAOS_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4)
}

/// The stored content, without the times that depend on when a run happened.
fn content(h: &Harness) -> (String, String, String) {
    let conn = h.db();
    let one = |sql: &str| -> String {
        conn.query_row(sql, [], |r| r.get::<_, Option<String>>(0))
            .expect(sql)
            .unwrap_or_default()
    };
    (
        one("SELECT string_agg(concat_ws('|', id, ciphertext, title, job_type, fixed_budget, hourly_min, hourly_max,
                 total_applicants, published_at, client_total_hires, client_country, skills::VARCHAR), chr(10) ORDER BY id) FROM jobs"),
        one("SELECT string_agg(job_id || '|' || skill, chr(10) ORDER BY job_id, skill) FROM job_skills"),
        one("SELECT string_agg(search || '|' || job_id, chr(10) ORDER BY search, job_id) FROM search_hits"),
    )
}

/// Syncs until a run completes; returns the statuses seen.
fn sync_until_complete(h: &Harness) -> Vec<Exit> {
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let exit = match h.try_sync() {
            Ok(report) => report.exit(),
            Err(e) => e.exit(),
        };
        statuses.push(exit);
        if exit == Exit::Ok {
            return statuses;
        }
    }
    panic!("no complete sync in 12 runs: {statuses:?}");
}

#[test]
fn faults_lose_and_double_nothing() {
    let mut injected = 0;
    let mut postings = 0;
    for seed in 0..seeds() {
        let market = 100 + seed;
        // Both markets start at the same moment, so their postings are the same to the second.
        let start = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 0);
        let clean = harness_with(market, SEARCHES, |config| config.market.start = start);
        assert_eq!(clean.sync().exit(), Exit::Ok);
        let expected = content(&clean);

        let chaotic = harness_with(market, SEARCHES, |config| {
            config.market.start = start;
            config.faults = faults(seed);
        });
        let statuses = sync_until_complete(&chaotic);
        let stats = chaotic.sandbox.stats();
        injected += stats.faults.values().sum::<u64>();
        postings += clean.count("SELECT count(*) FROM jobs");
        assert_eq!(
            content(&chaotic),
            expected,
            "seed {seed}: statuses {statuses:?}"
        );
        assert_eq!(
            chaotic.count("SELECT count(*) FROM jobs"),
            chaotic.count("SELECT count(DISTINCT id) FROM jobs")
        );
    }
    eprintln!(
        "chaos: {} seeds, {injected} faults injected, {postings} postings compared, 0 lost",
        seeds()
    );
    assert!(injected > 0, "faults were injected");
}

#[test]
fn a_fault_beyond_the_retry_budget_ends_partial_and_the_next_run_completes_it() {
    let h = harness_with(120, SEARCHES, |config| {
        // Requests 2 to 40 all fail: more than any one page's retry budget.
        config.faults.schedule = (2..=40).map(|n| (n, FaultKind::ServerError(503))).collect();
    });
    let report = h.sync();
    assert_eq!(report.exit(), Exit::Partial, "{report:?}");
    assert_eq!(
        h.count("SELECT count(*) FROM sync_runs WHERE status IN ('partial', 'failed')"),
        1
    );
    let kept = h.count("SELECT count(*) FROM jobs");
    let report = h.sync();
    assert_eq!(report.exit(), Exit::Ok, "{report:?}");
    assert!(h.count("SELECT count(*) FROM jobs") >= kept);
    for search in &h.config.searches {
        assert_eq!(
            h.hits(&search.name),
            h.expected(&search.name),
            "{}",
            search.name
        );
    }
}

#[test]
fn postings_moving_during_faulty_syncs_are_all_stored() {
    let h = harness_with(130, SEARCHES, |config| {
        let mut f = faults(9);
        f.kinds.push(FaultKind::ArriveBetweenPages(3));
        f.kinds.push(FaultKind::CloseBetweenPages(3));
        config.faults = f;
    });
    sync_until_complete(&h);
    h.sandbox.set_faults(FaultConfig::default());
    assert_eq!(h.sync().exit(), Exit::Ok);
    for search in &h.config.searches {
        let expected = h.expected(&search.name);
        let stored = h.hits(&search.name);
        let missing: Vec<_> = expected.difference(&stored).collect();
        assert!(missing.is_empty(), "{}: lost {missing:?}", search.name);
    }
    assert_eq!(
        h.count("SELECT count(*) FROM jobs"),
        h.count("SELECT count(DISTINCT id) FROM jobs")
    );
}
