//! The text index (issue 24): the dashboard's and the MCP tool's text search look postings up in
//! a word → posting index instead of reading every title and description, and must find exactly
//! what the ILIKE over every title and description found; the load, `renormalize`, both kinds
//! of retention, the migration of an older file and a crash keep the index equal to the
//! postings' words (`support::text_index_errors`; the crash tests check it after every kill).

use crate::support::{Harness, harness, text_index_errors};
use std::collections::BTreeSet;
use std::time::Duration;
use upjobpilot::pipeline::renormalize;
use upjobpilot::postings::data;
use upjobpilot::postings::filter::Filter;

const SEARCHES: &str = r#"
[[search]]
name = "rust"
expression = "rust"
page_size = 20
max_age_hours = 100

[[search]]
name = "fixed"
job_type = "fixed"
page_size = 50
max_age_hours = 100
"#;

/// Titles and descriptions that make text search hard: substrings inside words, punctuation
/// and ILIKE's own wildcards, runs of spaces and tabs, non-ASCII letters whose lower case is
/// special (final sigma, dotted capital I, sharp s, Kelvin sign, ligatures, titlecase
/// digraphs), scripts without spaces, emoji.
const TRICKY: &[(&str, &str)] = &[
    (
        "Trust & Safety reviewer (Rust-adjacent)",
        "We TRUST you. Rusty skills welcome; frustrated by rust? 50% remote, 100_000 users.",
    ),
    (
        "C++/C# developer — node.js, e-commerce!!!",
        "under_score a%b percent% and \\backslash; O'Brien said \"hi\".",
    ),
    (
        "ΟΔΟΣ Straße İstanbul",
        "café naïve ÉCOLE Kelvin sign: \u{212A}elvin; Ǆungla ﬁle ﬂow",
    ),
    (
        "data-entry data entry",
        "data  entry, data\tentry and data_entry; DATA ENTRY",
    ),
    ("日本語のテキスト 中文 데이터", "🚀 rocket launch, 🚀rocket"),
    (
        "Über über ÜBER ÜBERall",
        "cut\u{85}at\u{a0}the\u{1680}separators\u{2000}and\u{200d}joiners\u{2028}end\u{205f}\
         x\u{206f}y and\u{2070}not\u{1fff}these\u{3000}but\u{7f}del, ©2024 ™tm",
    ),
    ("", "   "),
];

/// Every way to write a text filter the tests could think of, tricky or plain.
const QUERIES: &[&str] = &[
    "rust",
    "Rust",
    "RUST",
    "trust",
    "rus",
    "ust",
    "rusty",
    "rust-adjacent",
    "(rust",
    "rust?",
    "c++",
    "c#",
    "C++/C#",
    "50%",
    "50% remote",
    "100_000",
    "_",
    "%",
    "%%",
    "a%b",
    "a_b",
    "under_score",
    "\\",
    "\\backslash",
    "o'brien",
    "\"hi\"",
    "οδοσ",
    "ΟΔΟΣ",
    "οδος",
    "straße",
    "STRASSE",
    "istanbul",
    "İstanbul",
    "i\u{307}stanbul",
    "café",
    "CAFÉ",
    "cafe",
    "naïve",
    "k",
    "\u{212A}",
    "\u{212A}elvin",
    "kelvin",
    "école",
    "ecole",
    "ǆ",
    "Ǆungla",
    "fi",
    "ﬁle",
    "ﬂow",
    "data entry",
    "data  entry",
    "data-entry",
    "data\tentry",
    "data_entry",
    "DATA ENTRY",
    "node.js",
    "e-commerce",
    "!!!",
    "日本語",
    "テキスト",
    "中文 데이터",
    "🚀",
    "🚀rocket",
    "rocket launch",
    "",
    " ",
    "   ",
    "\t",
    "a",
    "ab",
    "de",
    "developer",
    "react developer",
    "x y z",
    "zzzqqq",
    ".",
    "-",
    "'",
    "—",
    "safety reviewer",
    "&",
    "& safety",
    "us",
    "the",
    "ing",
    "über",
    "ÜBERALL",
    "berall",
    "separators",
    "and not",
    "not",
    "2024",
    "joiners",
    "del",
];

/// The postings a text filter shows, through the dashboard's (and the MCP tool's) query.
fn found(conn: &duckdb::Connection, text: &str) -> BTreeSet<String> {
    let mut filter = Filter::new();
    filter.label = Some("any".into());
    // Set directly: the form trims its values, and this checks the query under every text.
    filter.text = Some(text.to_string());
    let (total, rows) = data::postings_window(conn, &filter, 1_000_000, 0).expect("postings");
    assert_eq!(total, rows.len() as i64);
    rows.into_iter().map(|r| r.id).collect()
}

/// What the ILIKE the index replaced finds.
fn ilike(conn: &duckdb::Connection, text: &str) -> BTreeSet<String> {
    let mut stmt = conn
        .prepare(
            "SELECT id FROM jobs WHERE title ILIKE '%' || ?::VARCHAR || '%'
             OR description ILIKE '%' || ?::VARCHAR || '%'",
        )
        .expect("prepare");
    stmt.query_map([text, text], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// Gives stored postings new text the way a load would: in their raw JSON, then `renormalize`.
fn retitle(h: &Harness, texts: &[(&str, &str)], offset: usize) -> Vec<String> {
    let path = h.db_path();
    let conn = upjobpilot::db::open(&path).expect("db");
    let ids: Vec<String> = {
        let mut stmt = conn
            .prepare("SELECT id FROM jobs WHERE raw IS NOT NULL ORDER BY id LIMIT ? OFFSET ?")
            .expect("prepare");
        stmt.query_map([texts.len(), offset], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    assert_eq!(ids.len(), texts.len(), "enough postings with raw JSON");
    for (id, (title, description)) in ids.iter().zip(texts) {
        let patch = serde_json::json!({ "title": title, "description": description }).to_string();
        conn.execute(
            "UPDATE jobs SET raw = json_merge_patch(raw, ?::JSON) WHERE id = ?",
            [&patch, id],
        )
        .expect("patch raw");
    }
    renormalize::renormalize(&conn, &path, 50, 128_000_000, |_| {}).expect("renormalize");
    ids
}

#[test]
fn the_text_index_finds_exactly_what_ilike_found() {
    let h = harness(24, SEARCHES);
    h.sync();
    let ids = retitle(&h, TRICKY, 3);
    let conn = h.db();
    assert_eq!(text_index_errors(&conn), 0);
    let pruned = h.count("SELECT count(*) FROM jobs WHERE title IS NULL");
    assert!(
        pruned > 0,
        "retention pruned some postings' text: they match nothing"
    );
    let mut nonempty = 0;
    for text in QUERIES {
        let expected = ilike(&conn, text);
        assert_eq!(found(&conn, text), expected, "text {text:?}");
        nonempty += usize::from(!expected.is_empty());
    }
    assert!(nonempty > QUERIES.len() / 2, "most queries find something");
    // The tricky postings are found where ILIKE finds them, and not elsewhere.
    for (text, posting) in [
        ("trust", 0),
        ("\\backslash", 1),
        ("οδοσ", 2),
        ("data\tentry", 3),
    ] {
        assert!(found(&conn, text).contains(&ids[posting]), "{text:?}");
    }
    assert!(!found(&conn, "data entry").contains(&ids[0]));
}

#[test]
fn the_load_renormalize_retention_and_migration_keep_the_text_index_right() {
    let mut h = harness(25, SEARCHES);
    h.sync();
    let conn = h.db();
    assert!(h.count("SELECT count(*) FROM text_postings") > 0);
    assert!(
        h.count("SELECT count(*) FROM jobs WHERE pruned_at IS NOT NULL") > 0,
        "the first sync's retention pruned the text of postings older than a day"
    );
    assert_eq!(text_index_errors(&conn), 0, "after the first sync");
    let orphans =
        "SELECT count(*) FROM text_words WHERE word_id NOT IN (SELECT word_id FROM text_postings)";
    assert_eq!(
        h.count(orphans),
        0,
        "retention drops words no posting holds"
    );
    drop(conn);

    // The market moves: postings seen again are replaced whole, new ones added.
    h.sandbox.advance(Duration::from_secs(3 * 3600));
    let report = h.sync();
    assert!(report.load.expect("loaded").new_postings > 0);
    assert_eq!(text_index_errors(&h.db()), 0, "after a second sync");

    // Renormalize gives postings other words.
    retitle(&h, &[("zebra unicorn", "quokka"), ("yak", "")], 0);
    assert_eq!(text_index_errors(&h.db()), 0, "after renormalize");
    assert_eq!(
        h.count(
            "SELECT count(*) FROM text_postings JOIN text_words USING (word_id)
             WHERE word = 'quokka'"
        ),
        1
    );

    // A file from before the index (schema 9) gets it when first opened, and schemas 12 and 13 after it.
    h.db()
        .execute_batch(
            "DROP TABLE text_postings; DROP TABLE text_words;
             DELETE FROM schema_version WHERE version >= 11;",
        )
        .expect("back before the index");
    assert_eq!(text_index_errors(&h.db()), 0, "after the migration");
    // A file of schema 14, its index in strings, gets it in numbers.
    h.db()
        .execute_batch(
            "CREATE OR REPLACE TABLE text_words (word VARCHAR NOT NULL);
             CREATE OR REPLACE TABLE text_postings (word VARCHAR NOT NULL, job_id VARCHAR NOT NULL);
             INSERT INTO text_words VALUES ('stale');
             INSERT INTO text_postings SELECT 'stale', id FROM jobs;
             DELETE FROM schema_version WHERE version = 15;",
        )
        .expect("back to schema 14");
    assert_eq!(text_index_errors(&h.db()), 0, "after migration 15");

    // Strict retention deletes postings, and their words with them.
    let path = h.config.path.clone();
    let mut text = std::fs::read_to_string(&path).expect("read");
    text.push_str("\n[retention]\nkeep_postings = false\n");
    std::fs::write(&path, text).expect("write");
    h.config = upjobpilot::config::Config::load(&path).expect("valid");
    let before = h.count("SELECT count(*) FROM jobs");
    h.sync();
    assert!(
        h.count("SELECT count(*) FROM jobs") < before,
        "postings deleted"
    );
    assert_eq!(text_index_errors(&h.db()), 0, "after strict retention");
    assert_eq!(h.count(orphans), 0);
}
