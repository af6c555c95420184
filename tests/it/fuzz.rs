//! Seeded mutation fuzzing of the two parsers that read untrusted input: the config parser and
//! the GraphQL response decoder (paging and load). Starting from a small corpus of valid inputs
//! (`tests/corpus/`), each round flips, deletes, duplicates or splices bytes; every result must
//! give `Ok` or a clean error, never a panic. The load stage gets the mutated pages too and must
//! quarantine what it cannot read.
//!
//! CI runs `UPJOBPILOT_FUZZ_ROUNDS` rounds per corpus file (default 300).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::Path;

fn rounds() -> usize {
    std::env::var("UPJOBPILOT_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

fn corpus(kind: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(kind);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus folder")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read(p).expect("corpus file"))
        .collect()
}

const TOKENS: &[&[u8]] = &[
    b"null",
    b"\"\"",
    b"[]",
    b"{}",
    b"-1",
    b"1e309",
    b"\"\\u0000\"",
    b"\"\xf0\x9f\x9a\x80\"",
    b"=",
    b"[[search]]",
    b"\n",
    b"\"",
    b"99999999999999999999",
    b"true",
    b"\"2025-13-45T99:99:99+0000\"",
];

fn mutate(rng: &mut StdRng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        if out.is_empty() {
            out.extend_from_slice(TOKENS[rng.random_range(0..TOKENS.len())]);
            continue;
        }
        let at = rng.random_range(0..out.len());
        match rng.random_range(0..5) {
            0 => out[at] ^= 1 << rng.random_range(0..8),
            1 => {
                let end = (at + rng.random_range(1..16)).min(out.len());
                out.drain(at..end);
            }
            2 => {
                let end = (at + rng.random_range(1..32)).min(out.len());
                let copy = out[at..end].to_vec();
                let to = rng.random_range(0..out.len());
                out.splice(to..to, copy);
            }
            3 => {
                let token = TOKENS[rng.random_range(0..TOKENS.len())];
                let end = (at + rng.random_range(0..8)).min(out.len());
                out.splice(at..end, token.iter().copied());
            }
            _ => out.truncate(at),
        }
    }
    out
}

#[test]
fn the_config_parser_never_panics() {
    let mut rng = StdRng::seed_from_u64(1);
    let mut rejected = 0;
    for input in corpus("config") {
        for _ in 0..rounds() {
            let text = String::from_utf8_lossy(&mutate(&mut rng, &input)).into_owned();
            if let Err(error) = upjobpilot::config::Config::parse(&text, Path::new("fuzz.toml")) {
                rejected += 1;
                assert!(!error.to_string().is_empty());
            }
        }
    }
    assert!(rejected > 0, "mutations produced invalid configs");
}

#[test]
fn the_response_decoder_and_the_loader_never_panic() {
    use upjobpilot::pipeline::{load, spool};
    let mut rng = StdRng::seed_from_u64(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut conn = upjobpilot::db::open(&dir.path().join("fuzz.duckdb")).expect("db");
    let mut decoded = 0;
    for (n, input) in corpus("response").into_iter().enumerate() {
        let spool = spool::Spool::new(dir.path().join(format!("spool{n}")));
        let record = spool::RunRecord {
            run_id: format!("20250101T000000.000Z-{n}"),
            started_at: chrono::Utc::now(),
            finished_at: None,
            pid: 1,
            requests: 0,
            status: None,
            errors: None,
        };
        let run = spool.begin(&record).expect("run");
        for round in 0..rounds() {
            let body = mutate(&mut rng, &input);
            if upjobpilot::upwork::page::decode(&body).is_ok() {
                decoded += 1;
            }
            run.write_page("fuzz", round as u32 + 1, &body)
                .expect("page");
        }
        let pending = spool.pending().expect("pending");
        let report = load::load(&mut conn, &pending, None).expect("the loader survives any page");
        assert_eq!(report.pages, rounds());
    }
    assert!(decoded > 0, "some mutations stay decodable");
}
