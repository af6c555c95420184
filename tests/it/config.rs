//! `pipeline.toml`: the committed example loads, and every kind of mistake gets a precise
//! message with line and column.

use std::path::Path;
use upjobpilot::config::{Config, ConfigError, Problem, Sort};
use upjobpilot::upwork::filter::search_filter;

#[test]
fn the_committed_pipeline_toml_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipeline.toml");
    let config = Config::load(&path).expect("the shipped example is valid");
    let names: Vec<&str> = config.searches.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["rust-backend", "data-pipelines", "shopify-design"]);
    let rust = &config.searches[0];
    let filter = search_filter(&rust.criteria);
    assert_eq!(filter["searchExpression_eq"], "rust OR tokio -crypto");
    assert_eq!(filter["jobType_eq"], "HOURLY");
    assert_eq!(filter["hourlyRate_eq"]["rangeStart"], 40);
    assert_eq!(rust.sort, Sort::Recency);
    let data = &config.searches[1];
    let filter = search_filter(&data.criteria);
    assert_eq!(filter["skillExpression_eq"], "python,duckdb,apache-spark");
    assert_eq!(filter["locations_any"][2], "GBR");
    assert_eq!(config.storage.memory_limit, 128_000_000);
    assert_eq!(config.export.csv_delimiter, b',');
    assert_eq!(config.serve.labels, ["shortlist"]);
    assert_eq!(
        (config.signals.top, config.signals.saved_refresh_mins),
        (20, 60)
    );
    assert_eq!(config.signals.min_fit_score, None);
    assert_eq!(
        config.serve.all_labels(),
        ["saved", "applied", "ignored", "shortlist"]
    );
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

/// What a Windows editor writes (issue 21): `\r\n` line endings and a byte order mark, in the
/// config and in a view, read as the same config and the same view.
#[test]
fn a_config_and_a_view_saved_with_crlf_and_a_byte_order_mark_read_the_same() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipeline.toml");
    let text = std::fs::read_to_string(&shipped).expect("read");
    let dir = tempfile::tempdir().expect("tempdir");
    let windows = dir.path().join("pipeline.toml");
    std::fs::write(&windows, format!("\u{feff}{}", text.replace('\n', "\r\n"))).expect("write");
    let windows = Config::load(&windows).expect("a BOM and CRLF load");
    let plain = Config::load(&shipped).expect("loads");
    let path = |config: &Config| format!("{:?}", config.path);
    assert_eq!(
        format!("{windows:?}").replace(&path(&windows), ""),
        format!("{plain:?}").replace(&path(&plain), "")
    );

    let queries = dir.path().join("queries");
    std::fs::create_dir(&queries).expect("mkdir");
    std::fs::write(
        queries.join("v.sql"),
        "\u{feff}SELECT 1 AS one\r\nFROM range(1);\r\n",
    )
    .expect("write");
    let views = upjobpilot::pipeline::views::read_views(&queries).expect("views");
    assert_eq!(views[0].sql, "SELECT 1 AS one\r\nFROM range(1)");
    let conn = duckdb::Connection::open_in_memory().expect("duckdb");
    upjobpilot::pipeline::export::create_views(&conn, &views).expect("DuckDB reads the view");
}

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

/// Lines 1 and 2: a valid `[upwork]` section.
const UPWORK: &str = "[upwork]\nclient_id = \"x\"\n";
/// Two lines: a valid `[[search]]` table.
const SEARCH: &str = "[[search]]\nname = \"a\"\n";

/// A valid file with `line` added to `[upwork]`, as line 3.
fn in_upwork(line: &str) -> String {
    format!("{UPWORK}{line}\n{SEARCH}")
}

/// A valid file with `line` in a `[section]` table, as line 6.
fn in_section(section: &str, line: &str) -> String {
    format!("{UPWORK}{SEARCH}[{section}]\n{line}\n")
}

/// A valid file with `line` added to its only `[[search]]`, as line 5 (the name is on 4:8).
fn in_search(line: &str) -> String {
    format!("{UPWORK}{SEARCH}{line}\n")
}

/// Three lines (5 to 7): a valid `[[alert]]` table with a command channel (the name is on 6:8).
const ALERT: &str = "[[alert]]\nname = \"n\"\ncommand = [\"true\"]\n";

/// A valid file with `line` added to its only `[[alert]]` (a command one), as line 7.
fn in_alert(line: &str) -> String {
    format!("{UPWORK}{SEARCH}[[alert]]\nname = \"n\"\n{line}\ncommand = [\"true\"]\n")
}

/// A valid file with `line` added to its only `[[alert]]`, a webhook one, as line 8.
fn in_webhook(line: &str) -> String {
    format!("{UPWORK}{SEARCH}[[alert]]\nname = \"n\"\nwebhook_env = \"HOOK\"\n{line}\n")
}

fn problems(text: &str) -> Vec<Problem> {
    match Config::parse(text, Path::new("pipeline.toml")) {
        Err(ConfigError::Invalid { problems, .. }) => problems,
        other => panic!("{text:?} should be invalid, got {other:?}"),
    }
}

#[test]
fn every_problem_with_a_place_in_the_file_reports_that_line_and_column() {
    // (the rule broken, a file that breaks only it, line, column, a word of the message)
    let cases: Vec<(&str, String, usize, usize, &str)> = vec![
        // parse.rs: what the TOML document and the shape of its tables allow.
        (
            "toml syntax",
            "[upwork\nclient_id = \"x\"\n".into(),
            1,
            8,
            "",
        ),
        (
            "unknown section",
            format!("{UPWORK}{SEARCH}[searches]\n"),
            5,
            2,
            "unknown section",
        ),
        (
            "search is an array of tables",
            format!("{UPWORK}[search]\nname = \"a\"\n"),
            3,
            1,
            "array of tables",
        ),
        (
            "unknown key",
            in_upwork("client_sekret = \"y\""),
            3,
            1,
            "client_sekret",
        ),
        (
            "unknown key in a search",
            in_search("budjet = 5"),
            5,
            1,
            "budjet",
        ),
        (
            "wrong type",
            in_upwork("concurrency = \"four\""),
            3,
            15,
            "invalid type",
        ),
        (
            "negative count",
            in_upwork("requests_per_minute = -1"),
            3,
            23,
            "-1",
        ),
        (
            "unknown enum value",
            in_search("sort = \"newest\""),
            5,
            8,
            "newest",
        ),
        (
            "required key missing",
            format!("[upwork]\ntenant_id = \"t\"\n{SEARCH}"),
            1,
            1,
            "client_id",
        ),
        (
            "required search name missing",
            format!("{UPWORK}[[search]]\nexpression = \"rust\"\n"),
            3,
            1,
            "name",
        ),
        // validate.rs, [upwork]
        (
            "client_id empty",
            format!("[upwork]\nclient_id = \" \"\n{SEARCH}"),
            2,
            13,
            "client_id",
        ),
        (
            "client_secret_env empty",
            in_upwork("client_secret_env = \"\""),
            3,
            21,
            "client_secret_env",
        ),
        (
            "redirect_uri http(s)",
            in_upwork("redirect_uri = \"ftp://example.com/cb\""),
            3,
            16,
            "redirect_uri",
        ),
        (
            "authorize_url http(s)",
            in_upwork("authorize_url = \"file:///authorize\""),
            3,
            17,
            "authorize_url",
        ),
        (
            "token_url http(s)",
            in_upwork("token_url = \"not a url\""),
            3,
            13,
            "token_url",
        ),
        (
            "graphql_url http(s)",
            in_upwork("graphql_url = \"ws://localhost/graphql\""),
            3,
            15,
            "graphql_url",
        ),
        (
            "requests_per_minute range",
            in_upwork("requests_per_minute = 301"),
            3,
            23,
            "between 1 and 300",
        ),
        (
            "concurrency range",
            in_upwork("concurrency = 0"),
            3,
            15,
            "between 1 and 16",
        ),
        (
            "timeout_secs range",
            in_upwork("timeout_secs = 601"),
            3,
            16,
            "between 1 and 600",
        ),
        (
            "max_retries range",
            in_upwork("max_retries = 21"),
            3,
            15,
            "at most 20",
        ),
        (
            "retry_base_ms range",
            in_upwork("retry_base_ms = 0"),
            3,
            17,
            "between 1 and 60000",
        ),
        // validate.rs, the other sections
        (
            "memory_limit is a size",
            in_section("storage", "memory_limit = \"lots\""),
            6,
            16,
            "not a size",
        ),
        (
            "memory_limit minimum",
            in_section("storage", "memory_limit = \"8MB\""),
            6,
            16,
            "at least 32MiB",
        ),
        (
            "formats not empty",
            in_section("export", "formats = []"),
            6,
            11,
            "formats",
        ),
        (
            "csv_delimiter choice",
            in_section("export", "csv_delimiter = \"|\""),
            6,
            17,
            "csv_delimiter",
        ),
        (
            "partitioned view names",
            in_section("export", "partitioned = [\"new_postings\", \"bad-name\"]"),
            6,
            32,
            "bad-name",
        ),
        (
            "retention hours minimum",
            in_section("retention", "hours = 0"),
            6,
            9,
            "at least 1",
        ),
        (
            "retention hours maximum",
            in_section("retention", "hours = 4000000000"),
            6,
            9,
            "at most",
        ),
        (
            "spool folder is not the config's folder",
            in_section("storage", "spool_dir = \".\""),
            6,
            13,
            "config file's folder",
        ),
        (
            "spool folder does not hold the exports",
            format!(
                "{UPWORK}{SEARCH}[storage]\nspool_dir = \"out\"\n[export]\ndir = \"out/exports\"\n"
            ),
            6,
            13,
            "export folder",
        ),
        (
            "redirect_uri on this machine",
            in_upwork("redirect_uri = \"https://example.com/callback\""),
            3,
            16,
            "on this machine",
        ),
        (
            "no bearer token in clear",
            in_upwork("graphql_url = \"http://api.upwork.com/graphql\""),
            3,
            15,
            "https://",
        ),
        (
            "profile hourly_rate range",
            in_section("profile", "hourly_rate = 0"),
            6,
            15,
            "hourly_rate",
        ),
        (
            "unknown key in [serve]",
            in_section("serve", "port = 8765"),
            6,
            1,
            "port",
        ),
        (
            "serve label characters",
            in_section("serve", "labels = [\"Short List\"]"),
            6,
            11,
            "lowercase letters",
        ),
        (
            "serve label not built in",
            in_section("serve", "labels = [\"maybe\", \"saved\"]"),
            6,
            20,
            "built in",
        ),
        (
            "signals top range",
            in_section("signals", "top = 500"),
            6,
            7,
            "signals.top",
        ),
        (
            "signals refresh range",
            in_section("signals", "saved_refresh_mins = 2"),
            6,
            22,
            "saved_refresh_mins",
        ),
        (
            "unknown key in [signals]",
            in_section("signals", "tops = 5"),
            6,
            1,
            "tops",
        ),
        (
            "serve label unique",
            in_section("serve", "labels = [\"maybe\", \"maybe\"]"),
            6,
            20,
            "twice",
        ),
        // validate.rs, [[search]]
        (
            "search name characters",
            format!("{UPWORK}[[search]]\nname = \"a b\"\n"),
            4,
            8,
            "letters, digits",
        ),
        (
            "search name unique",
            format!("{UPWORK}{SEARCH}{SEARCH}"),
            6,
            8,
            "duplicate",
        ),
        (
            "search names differ in more than case",
            format!("{UPWORK}{SEARCH}[[search]]\nname = \"A\"\n"),
            6,
            8,
            "only in case",
        ),
        (
            "expression not blank",
            in_search("expression = \"  \""),
            5,
            14,
            "empty expression",
        ),
        (
            "expression length",
            in_search(&format!("expression = \"{}\"", "x".repeat(2001))),
            5,
            14,
            "longer than 2000",
        ),
        (
            "title not blank",
            in_search("title = \"\""),
            5,
            9,
            "empty expression",
        ),
        (
            "range has an end",
            in_search("budget = {}"),
            5,
            10,
            "needs `min`, `max` or both",
        ),
        (
            "range not negative",
            in_search("hourly_rate = { min = -1 }"),
            5,
            15,
            "negative",
        ),
        (
            "range fits an int",
            in_search("client_hires = { min = 99999999999 }"),
            5,
            16,
            "larger than",
        ),
        (
            "range possible",
            in_search("proposals = { min = 3, max = 1 }"),
            5,
            13,
            "impossible range",
        ),
        (
            "budget needs fixed price",
            in_search("job_type = \"hourly\"\nbudget = { min = 5 }"),
            4,
            8,
            "use `hourly_rate`",
        ),
        (
            "hourly_rate needs hourly",
            in_search("job_type = \"fixed\"\nhourly_rate = { min = 5 }"),
            4,
            8,
            "use `budget`",
        ),
        (
            "page_size range",
            in_search("page_size = 0"),
            5,
            13,
            "between 1 and 100",
        ),
        (
            "max_pages range",
            in_search("max_pages = 10001"),
            5,
            13,
            "between 1 and 10000",
        ),
        (
            "max_age_hours range",
            in_search("max_age_hours = 8785"),
            5,
            17,
            "between 1 and 8784",
        ),
        // validate.rs, [[alert]]
        (
            "alert is an array of tables",
            format!("{UPWORK}{SEARCH}[alert]\nname = \"a\"\n"),
            5,
            1,
            "array of tables",
        ),
        (
            "unknown key in an alert",
            in_alert("min_fitscore = 50"),
            7,
            1,
            "min_fitscore",
        ),
        (
            "alert name characters",
            format!("{UPWORK}{SEARCH}[[alert]]\nname = \"a b\"\ncommand = [\"true\"]\n"),
            6,
            8,
            "letters, digits",
        ),
        (
            "alert name unique",
            format!("{UPWORK}{SEARCH}{ALERT}{ALERT}"),
            9,
            8,
            "duplicate alert name",
        ),
        (
            "alert searches exist",
            in_alert("searches = [\"a\", \"nope\"]"),
            7,
            18,
            "nope",
        ),
        (
            "alert has a channel",
            format!("{UPWORK}{SEARCH}[[alert]]\nname = \"n\"\n"),
            6,
            8,
            "no channel",
        ),
        (
            "alert has one channel",
            in_alert("webhook_env = \"HOOK\""),
            8,
            11,
            "two channels",
        ),
        (
            "webhook_env names a variable",
            format!(
                "{UPWORK}{SEARCH}[[alert]]\nname = \"n\"\nwebhook_env = \"https://hooks.slack.com/x\"\n"
            ),
            7,
            15,
            "environment variable name",
        ),
        (
            "format is a known one",
            in_webhook("format = \"teams\""),
            8,
            10,
            "teams",
        ),
        (
            "telegram needs chat_id",
            in_webhook("format = \"telegram\""),
            8,
            10,
            "chat_id",
        ),
        (
            "chat_id only for telegram",
            in_webhook("format = \"slack\"\nchat_id = \"42\""),
            9,
            11,
            "chat_id",
        ),
        (
            "format only for webhooks",
            in_alert("format = \"slack\""),
            7,
            10,
            "not `command`",
        ),
        (
            "command has a program",
            format!("{UPWORK}{SEARCH}[[alert]]\nname = \"n\"\ncommand = []\n"),
            7,
            11,
            "needs a program",
        ),
        (
            "min_fit_score range",
            in_alert("min_fit_score = 101"),
            7,
            17,
            "between 0 and 100",
        ),
        (
            "max_interviewing range",
            in_alert("max_interviewing = -1"),
            7,
            20,
            "max_interviewing",
        ),
        (
            "min_client_quality range",
            in_alert("min_client_quality = -1"),
            7,
            22,
            "between 0 and 100",
        ),
        (
            "title words not blank",
            in_alert("title_required = [\"rust\", \" \"]"),
            7,
            27,
            "empty word",
        ),
        (
            "min_budget not negative",
            in_alert("min_budget = -5"),
            7,
            14,
            "min_budget",
        ),
        (
            "min_budget needs fixed price",
            in_alert("job_type = \"hourly\"\nmin_budget = 100"),
            6,
            8,
            "use `min_hourly_rate`",
        ),
        (
            "min_hourly_rate needs hourly",
            in_alert("job_type = \"fixed\"\nmin_hourly_rate = 30"),
            6,
            8,
            "use `min_budget`",
        ),
        (
            "alert timeout range",
            in_alert("timeout_secs = 0"),
            7,
            16,
            "between 1 and 120",
        ),
        (
            "max_postings range",
            in_alert("max_postings = 21"),
            7,
            16,
            "between 1 and 20",
        ),
        (
            "discord embeds limit",
            in_webhook("format = \"discord\"\nmax_postings = 11"),
            9,
            16,
            "discord",
        ),
        (
            "max_per_hour range",
            in_alert("max_per_hour = 0"),
            7,
            16,
            "between 1 and 3600",
        ),
    ];
    for (rule, text, line, column, word) in &cases {
        let found = problems(text);
        assert_eq!(found.len(), 1, "{rule}: one problem expected: {found:?}");
        let problem = &found[0];
        assert_ne!(
            problem.line, 0,
            "{rule}: reported for the whole file: {problem:?}"
        );
        assert_eq!(
            (problem.line, problem.column),
            (*line, *column),
            "{rule}: {problem:?}"
        );
        assert!(problem.message.contains(word), "{rule}: {problem:?}");
    }
}

#[test]
fn only_what_the_file_lacks_is_reported_for_the_whole_file() {
    for (text, word) in [
        (SEARCH.to_string(), "[upwork]"),
        (UPWORK.to_string(), "[[search]]"),
    ] {
        let found = problems(&text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].line, found[0].column), (0, 0), "{found:?}");
        assert!(found[0].message.contains(word), "{found:?}");
    }
}

#[test]
fn the_commented_out_alert_examples_in_pipeline_toml_are_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipeline.toml");
    let text = std::fs::read_to_string(&path).expect("read");
    let (_, examples) = text
        .split_once("# Examples, one per channel:")
        .expect("the examples are there");
    let uncommented: String = examples
        .lines()
        .map(|line| line.strip_prefix("# ").unwrap_or(""))
        .map(|line| format!("{line}\n"))
        .collect();
    let config =
        Config::parse(&format!("{text}\n{uncommented}"), &path).expect("the examples are valid");
    let names: Vec<&str> = config.alerts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "rust-to-slack",
            "data-to-discord",
            "phone",
            "ntfy",
            "my-service",
            "desktop"
        ]
    );
    let notify = config.notify.expect("the [notify] example");
    assert_eq!(
        notify.channel,
        upjobpilot::config::NotifyChannel::Rule("my-service".into())
    );
    assert_eq!(
        (
            notify.search_failures,
            notify.daily_budget,
            notify.budget_percent,
            notify.min_free_mb
        ),
        (3, 40_000, 80, 500),
        "the example shows the defaults"
    );
}
