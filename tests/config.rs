//! `pipeline.toml`: the committed example loads, and every kind of mistake gets a precise
//! message with line and column.

use std::path::Path;
use upjobpilot::config::{Config, ConfigError, Sort};

#[test]
fn the_committed_pipeline_toml_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipeline.toml");
    let config = Config::load(&path).expect("the shipped example is valid");
    let names: Vec<&str> = config.searches.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["rust-backend", "data-pipelines", "shopify-design"]);
    let rust = &config.searches[0];
    assert_eq!(rust.filter["searchExpression_eq"], "rust OR tokio -crypto");
    assert_eq!(rust.filter["jobType_eq"], "HOURLY");
    assert_eq!(rust.filter["hourlyRate_eq"]["rangeStart"], 40);
    assert_eq!(rust.sort, Sort::Recency);
    let data = &config.searches[1];
    assert_eq!(
        data.filter["skillExpression_eq"],
        "python,duckdb,apache-spark"
    );
    assert_eq!(data.filter["locations_any"][2], "GBR");
}

/// (config text, expected line, expected column, a word the message must contain)
const BAD: &[(&str, usize, usize, &str)] = &[
    ("[upwork\nclient_id = \"x\"\n", 1, 8, ""),
    (
        "[upwork]\nclient_id = \"x\"\nclient_sekret = \"y\"\n[[search]]\nname = \"a\"\n",
        3,
        1,
        "client_sekret",
    ),
    (
        "[upwork]\nclient_id = 7\n[[search]]\nname = \"a\"\n",
        2,
        13,
        "string",
    ),
    (
        "[upwork]\nclient_id = \"x\"\n[[search]]\nname = \"a\"\npage_size = 1000\n",
        5,
        13,
        "between 1 and 100",
    ),
    (
        "[upwork]\nclient_id = \"x\"\n[[search]]\nname = \"a\"\n[[search]]\nname = \"a\"\n",
        6,
        8,
        "duplicate",
    ),
    (
        "[upwork]\nclient_id = \"x\"\n[[search]]\nname = \"a\"\nbudget = { min = 10, max = 5 }\n",
        5,
        10,
        "impossible range",
    ),
    (
        "[upwork]\nclient_id = \"x\"\n[[search]]\nname = \"a\"\nhourly_rate = { min = -1 }\n",
        5,
        15,
        "negative",
    ),
    (
        "[upwork]\nclient_id = \"x\"\n[[search]]\nname = \"a b\"\n",
        4,
        8,
        "letters, digits",
    ),
    (
        "[upwork]\nclient_id = \"x\"\n[[search]]\nname = \"a\"\njob_type = \"weekly\"\n",
        5,
        12,
        "weekly",
    ),
    (
        "[upwork]\nclient_id = \"x\"\n[[search]]\nname = \"a\"\nexpression = \"\"\n",
        5,
        14,
        "empty expression",
    ),
    (
        "[upwork]\nclient_id = \"x\"\n[[search]]\nname = \"a\"\nmax_pages = 99999999999\n",
        5,
        13,
        "between 1 and",
    ),
    (
        "[upwork]\nclient_id = \"x\"\n[[search]]\nname = \"a\"\nclient_hires = { min = 99999999999 }\n",
        5,
        16,
        "larger than",
    ),
    (
        "[upwork]\nclient_id = \"x\"\n[storage]\ndatabase = 5\n[[search]]\nname = \"a\"\n",
        4,
        12,
        "",
    ),
    (
        "[upwork]\nclient_id = \"x\"\n[searches]\n",
        3,
        2,
        "unknown section",
    ),
    (
        "[upwork]\nclient_id = \"x\"\n[[search]]\nname = \"a\"\njob_type = \"hourly\"\nbudget = { min = 5 }\n",
        4,
        8,
        "hourly_rate",
    ),
];

#[test]
fn every_mistake_names_its_line_and_column() {
    for (text, line, column, word) in BAD {
        let problems = match Config::parse(text, Path::new("pipeline.toml")) {
            Err(ConfigError::Invalid { problems, .. }) => problems,
            other => panic!("{text:?} should be invalid, got {other:?}"),
        };
        assert!(
            problems
                .iter()
                .any(|p| p.line == *line && p.column == *column && p.message.contains(word)),
            "{text:?}: expected {line}:{column} mentioning {word:?}, got {problems:?}"
        );
    }
}

#[test]
fn problems_across_sections_are_reported_together() {
    let text = "[upwork]\nclient_id = \"x\"\nrequests_per_minute = \"fast\"\n\n[[search]]\nname = \"a\"\nworkload = \"lots\"\n\n[[search]]\nname = \"b\"\nproposals = { min = 3, max = 1 }\n";
    let Err(ConfigError::Invalid { problems, .. }) = Config::parse(text, Path::new("p.toml"))
    else {
        panic!("invalid");
    };
    let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
    assert!(
        lines.contains(&3) && lines.contains(&7) && lines.contains(&11),
        "{problems:?}"
    );
}

#[test]
fn missing_required_parts_are_named() {
    let Err(ConfigError::Invalid { problems, .. }) = Config::parse("", Path::new("p.toml")) else {
        panic!("invalid");
    };
    let text = format!("{problems:?}");
    assert!(text.contains("[upwork]"), "{text}");
}
