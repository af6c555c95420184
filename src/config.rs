//! `pipeline.toml`: the model of the configuration and its validation.
//!
//! The file is parsed strictly: every table denies unknown keys, and every problem found (syntax,
//! unknown keys, wrong types, duplicate search names, impossible ranges) is reported at once, each
//! with the file, line and column it comes from. Each section and each `[[search]]` table is
//! deserialized on its own, so a typo in one search does not hide a wrong type in another.
//! Relative paths are resolved against the folder that holds the file. Secrets never come from
//! here: the client secret comes from the environment (or the token store after `auth login`).
//!
//! The doc comments on the structs below are the user documentation of each key; the committed
//! `pipeline.toml` repeats them as comments.

use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

/// Upwork's documented authorize endpoint.
pub const UPWORK_AUTHORIZE_URL: &str =
    "https://www.upwork.com/ab/account-security/oauth2/authorize";
/// Upwork's documented token endpoint.
pub const UPWORK_TOKEN_URL: &str = "https://www.upwork.com/api/v3/oauth2/token";
/// Upwork's documented GraphQL endpoint.
pub const UPWORK_GRAPHQL_URL: &str = "https://api.upwork.com/graphql";
/// The callback Upwork's setup guide registers with a key.
pub const DEFAULT_REDIRECT_URI: &str = "http://localhost:3000/callback";
/// The environment variable that holds the client secret by default.
pub const DEFAULT_SECRET_ENV: &str = "UPWORK_CLIENT_SECRET";
/// Hours Upwork's terms allow API responses to be kept.
pub const UPWORK_RETENTION_HOURS: u32 = 24;

/// The whole, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// The Upwork API key and endpoints.
    pub upwork: Upwork,
    /// Where the database, spool and exports live.
    pub storage: Storage,
    /// How exports are written.
    pub export: Export,
    /// How long posting text is kept.
    pub retention: Retention,
    /// The freelancer, for the fit score.
    pub profile: Profile,
    /// The job searches, in file order.
    pub searches: Vec<Search>,
}

/// `[upwork]`: the API key and how to talk to Upwork.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upwork {
    /// The key's client id from the Upwork developer portal.
    pub client_id: String,
    /// The environment variable holding the client secret (read at `auth login`, then kept in
    /// the token store beside the tokens).
    #[serde(default = "default_secret_env")]
    pub client_secret_env: String,
    /// The callback URL registered with the key.
    #[serde(default = "default_redirect_uri")]
    pub redirect_uri: String,
    /// The organization to act for (`X-Upwork-API-TenantId`); the user's default when unset.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// `authorization_code` (every key) or `client_credentials` (enterprise keys only).
    #[serde(default)]
    pub grant: GrantKind,
    /// The browser sign-in page.
    #[serde(default = "default_authorize_url")]
    pub authorize_url: String,
    /// The token endpoint.
    #[serde(default = "default_token_url")]
    pub token_url: String,
    /// The GraphQL endpoint.
    #[serde(default = "default_graphql_url")]
    pub graphql_url: String,
    /// Requests per minute for the whole process, kept under Upwork's 300.
    #[serde(default = "default_rpm")]
    pub requests_per_minute: u32,
    /// Searches fetched at the same time.
    #[serde(default = "default_concurrency")]
    pub concurrency: u32,
    /// Seconds before a request is given up and retried.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u32,
    /// Retries of one request (429, 5xx, timeouts, broken bodies) before the search stops.
    #[serde(default = "default_retries")]
    pub max_retries: u32,
    /// Milliseconds of the first retry's backoff; doubled each retry (with jitter), at most 30 s.
    #[serde(default = "default_retry_base")]
    pub retry_base_ms: u32,
}

/// The OAuth2 grant a key uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantKind {
    /// Browser sign-in, refresh tokens: every key.
    #[default]
    AuthorizationCode,
    /// Server-to-server: enterprise keys only.
    ClientCredentials,
}

/// `[storage]`: files on disk, relative to the config file's folder.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// The DuckDB file (env `UPJOBPILOT_DATABASE`).
    #[serde(default = "default_database")]
    pub database: PathBuf,
    /// Fetched pages waiting to be loaded (env `UPJOBPILOT_SPOOL_DIR`).
    #[serde(default = "default_spool")]
    pub spool_dir: PathBuf,
    /// The views exported by `sync` and `export` (`queries/*.sql`).
    #[serde(default = "default_queries")]
    pub queries_dir: PathBuf,
    /// DuckDB's memory limit for loads and exports, e.g. `"128MB"` or `"1GB"`. Past it DuckDB
    /// spills to a temp folder beside the database; a load that still runs out is retried with
    /// twice the limit up to eight times the setting, then with no limit.
    #[serde(default = "default_memory_limit")]
    pub memory_limit: String,
}

impl Storage {
    /// `memory_limit` in bytes, if it parses.
    pub fn memory_limit_bytes(&self) -> Option<u64> {
        parse_size(&self.memory_limit)
    }
}

/// `"128MB"`, `"1.5 GiB"`, `"512kb"`: a size in bytes (KB/MB/GB are powers of 1000, KiB/MiB/GiB
/// of 1024, as DuckDB reads them).
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "b" | "" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let bytes = number * factor;
    (bytes.is_finite() && bytes >= 1.0).then_some(bytes as u64)
}

/// `[export]`: how views are written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Export {
    /// Where exports go (env `UPJOBPILOT_EXPORT_DIR`).
    #[serde(default = "default_export_dir")]
    pub dir: PathBuf,
    /// `csv`, `parquet`, or both.
    #[serde(default = "default_formats")]
    pub formats: Vec<ExportFormat>,
    /// Prefix CSV cells that start with `=`, `+`, `-`, `@`, tab or carriage return with `'` so a
    /// spreadsheet shows them as text instead of running them as formulas.
    #[serde(default = "yes")]
    pub csv_formula_guard: bool,
    /// The CSV field separator: `,` (default), `;` for spreadsheet locales that use a decimal
    /// comma, or a tab.
    #[serde(default = "default_delimiter")]
    pub csv_delimiter: String,
    /// Start CSV files with a UTF-8 byte order mark, which some spreadsheet programs need to
    /// read UTF-8.
    #[serde(default)]
    pub csv_bom: bool,
    /// Views also written as hive-partitioned Parquet by posting date
    /// (`<dir>/<view>/posted_date=YYYY-MM-DD/data_0.parquet`), for Spark, Trino or DuckDB at
    /// scale. Each must have a `published_at` column.
    #[serde(default)]
    pub partitioned: Vec<String>,
}

/// `[profile]`: the freelancer, for the `fit_score` view.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Your skills, as Upwork names them (`rust`, `python`, ...).
    #[serde(default)]
    pub skills: Vec<String>,
    /// Your hourly rate in USD.
    pub hourly_rate: Option<f64>,
}

/// An export file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// RFC 4180 CSV, UTF-8, with a header.
    Csv,
    /// Parquet with typed columns.
    Parquet,
}

impl ExportFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Parquet => "parquet",
        }
    }
}

/// `[retention]`: Upwork's terms allow keeping API responses 24 hours.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Posting text and raw JSON older than this many hours are pruned after each sync.
    #[serde(default = "default_retention")]
    pub hours: u32,
    /// Keep the typed rows of postings past `hours` (text and raw JSON are pruned either way).
    /// `false` deletes them too, keeping only the daily aggregates in `daily_postings`.
    #[serde(default = "yes")]
    pub keep_postings: bool,
}

/// One `[[search]]` table as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSearch {
    name: Spanned<String>,
    expression: Option<Spanned<String>>,
    #[serde(default)]
    skills: Vec<String>,
    title: Option<Spanned<String>>,
    #[serde(default)]
    category_ids: Vec<String>,
    #[serde(default)]
    subcategory_ids: Vec<String>,
    #[serde(default)]
    occupation_ids: Vec<String>,
    job_type: Option<JobType>,
    workload: Option<Workload>,
    budget: Option<Spanned<IntRange>>,
    hourly_rate: Option<Spanned<IntRange>>,
    experience: Option<Experience>,
    client_hires: Option<Spanned<IntRange>>,
    proposals: Option<Spanned<IntRange>>,
    verified_payment_only: Option<bool>,
    #[serde(default)]
    locations: Vec<String>,
    enterprise_only: Option<bool>,
    #[serde(default)]
    sort: Sort,
    page_size: Option<Spanned<i64>>,
    max_pages: Option<Spanned<i64>>,
    max_age_hours: Option<Spanned<i64>>,
}

/// A validated job search.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    /// Unique name: letters, digits, `-` and `_`.
    pub name: String,
    /// The `MarketplaceJobPostingsSearchFilter` sent to Upwork, without pagination.
    pub filter: Map<String, Value>,
    /// Sort order; only `recency` allows incremental sync.
    pub sort: Sort,
    /// Postings per request (1 to 100).
    pub page_size: u32,
    /// Requests per search per sync before it stops (reported as truncated).
    pub max_pages: u32,
    /// On a first sync, postings older than this many hours are not fetched.
    pub max_age_hours: u32,
}

/// An inclusive range of whole numbers; either end may be left open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntRange {
    /// Lower bound.
    pub min: Option<i64>,
    /// Upper bound.
    pub max: Option<i64>,
}

/// Hourly or fixed price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobType {
    /// Paid by the hour.
    Hourly,
    /// Paid a fixed price.
    Fixed,
}

/// The workload of hourly jobs (fixed-price jobs always pass).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Workload {
    /// More than 30 hours a week.
    FullTime,
    /// Less than 30 hours a week.
    PartTime,
    /// As needed.
    AsNeeded,
    /// The client is not sure.
    NotSure,
}

/// The contractor tier a job asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Experience {
    /// Entry level.
    EntryLevel,
    /// Intermediate.
    Intermediate,
    /// Expert.
    Expert,
}

/// The order Upwork returns results in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Newest first: the only order that allows incremental sync.
    #[default]
    Recency,
    /// Upwork's relevance ranking: each sync reads up to `max_pages`.
    Relevance,
    /// Clients who spent most first.
    ClientTotalCharge,
    /// Best-rated clients first.
    ClientRating,
}

impl Sort {
    /// The GraphQL enum value.
    pub fn graphql(self) -> &'static str {
        match self {
            Sort::Recency => "RECENCY",
            Sort::Relevance => "RELEVANCE",
            Sort::ClientTotalCharge => "CLIENT_TOTAL_CHARGE",
            Sort::ClientRating => "CLIENT_RATING",
        }
    }
}

/// One problem in the configuration, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Line, 1-based; 0 when the problem concerns the file as a whole.
    pub line: usize,
    /// Column, 1-based.
    pub column: usize,
    /// What is wrong, lowercase.
    pub message: String,
}

/// Every problem found in a configuration file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file was read but is invalid.
    #[error("{}", render_problems(path, problems))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem, in file order.
        problems: Vec<Problem>,
    },
}

fn render_problems(path: &Path, problems: &[Problem]) -> String {
    let mut out = format!(
        "invalid config {} ({} problem{})",
        path.display(),
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        if p.line == 0 {
            out.push_str(&format!("\n  {}: {}", path.display(), p.message));
        } else {
            out.push_str(&format!(
                "\n  {}:{}:{}: {}",
                path.display(),
                p.line,
                p.column,
                p.message
            ));
        }
    }
    out
}

impl Config {
    /// Reads, parses and validates a configuration file; environment overrides apply.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parses and validates configuration text that was read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut parser = Parser {
            text,
            problems: Vec::new(),
        };
        let config = parser.config(path);
        let mut problems = parser.problems;
        match config {
            Some(config) if problems.is_empty() => Ok(config),
            _ => {
                problems.sort_by_key(|p| (p.line, p.column));
                problems.dedup();
                Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    problems,
                })
            }
        }
    }

    /// The folder relative paths are resolved against.
    pub fn base_dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// The DuckDB file.
    pub fn database_path(&self) -> PathBuf {
        self.resolve("UPJOBPILOT_DATABASE", &self.storage.database)
    }

    /// The spool folder.
    pub fn spool_dir(&self) -> PathBuf {
        self.resolve("UPJOBPILOT_SPOOL_DIR", &self.storage.spool_dir)
    }

    /// The export folder.
    pub fn export_dir(&self) -> PathBuf {
        self.resolve("UPJOBPILOT_EXPORT_DIR", &self.export.dir)
    }

    /// The folder of view definitions.
    pub fn queries_dir(&self) -> PathBuf {
        self.resolve("UPJOBPILOT_QUERIES_DIR", &self.storage.queries_dir)
    }

    fn resolve(&self, env: &str, configured: &Path) -> PathBuf {
        let path = match std::env::var_os(env) {
            Some(value) if !value.is_empty() => PathBuf::from(value),
            _ => configured.to_path_buf(),
        };
        if path.is_absolute() {
            path
        } else {
            self.base_dir().join(path)
        }
    }
}

/// Collects problems while walking the parsed document.
struct Parser<'t> {
    text: &'t str,
    problems: Vec<Problem>,
}

impl<'t> Parser<'t> {
    fn config(&mut self, path: &Path) -> Option<Config> {
        let (root, errors) = DeTable::parse_recoverable(self.text);
        if !errors.is_empty() {
            for error in errors {
                self.toml_error(&error);
            }
            return None;
        }
        let root = root.into_inner();
        let mut upwork = None;
        let mut storage = None;
        let mut export = None;
        let mut retention = None;
        let mut profile = None;
        let mut searches = Vec::new();
        let mut present: Vec<&'static str> = Vec::new();
        for (key, value) in root {
            match key.get_ref().as_ref() {
                "upwork" => {
                    present.push("upwork");
                    upwork = self.section::<Upwork>(value);
                }
                "storage" => {
                    present.push("storage");
                    storage = self.section::<Storage>(value);
                }
                "export" => {
                    present.push("export");
                    export = self.section::<Export>(value);
                }
                "retention" => {
                    present.push("retention");
                    retention = self.section::<Retention>(value);
                }
                "profile" => {
                    present.push("profile");
                    profile = self.section::<Profile>(value);
                }
                "search" => {
                    present.push("search");
                    let span = value.span();
                    match value.into_inner() {
                        DeValue::Array(items) => {
                            for item in items {
                                if let Some(raw) = self.section::<RawSearch>(item) {
                                    searches.push(raw);
                                }
                            }
                        }
                        _ => self.at(
                            span,
                            "`search` must be an array of tables: write each search as `[[search]]`",
                        ),
                    }
                }
                other => self.at(
                    key.span(),
                    &format!(
                        "unknown section `{other}`, expected one of `upwork`, `storage`, `export`, `retention`, `profile`, `search`"
                    ),
                ),
            }
        }
        if !present.contains(&"upwork") {
            self.whole("missing section `[upwork]` (it needs at least `client_id`)");
        }
        if !present.contains(&"search") {
            self.whole("no `[[search]]` table: add at least one search");
        }
        // Sections left out get their defaults; sections that failed stay `None`, and their
        // problems are already recorded. Searches are validated either way, so their problems
        // are reported in the same run.
        let storage = storage.or_else(|| {
            (!present.contains(&"storage"))
                .then(|| self.section::<Storage>(empty_table()))
                .flatten()
        });
        let export = export.or_else(|| {
            (!present.contains(&"export"))
                .then(|| self.section::<Export>(empty_table()))
                .flatten()
        });
        let retention = retention.or_else(|| {
            (!present.contains(&"retention"))
                .then(|| self.section::<Retention>(empty_table()))
                .flatten()
        });
        if let Some(upwork) = &upwork {
            self.check_upwork(upwork);
        }
        if let Some(storage) = &storage {
            self.check_storage(storage);
        }
        if let Some(export) = &export {
            self.check_export(export);
        }
        if retention.as_ref().is_some_and(|r| r.hours == 0) {
            self.whole("`retention.hours` must be at least 1");
        }
        let retention_hours = retention
            .as_ref()
            .map_or(UPWORK_RETENTION_HOURS, |r| r.hours.max(1));
        let searches = self.searches(searches, retention_hours);
        let profile = if present.contains(&"profile") {
            profile?
        } else {
            Profile::default()
        };
        if profile
            .hourly_rate
            .is_some_and(|r| !(r > 0.0 && r < 10_000.0))
        {
            self.whole("`profile.hourly_rate` must be between 0 and 10000");
        }
        let (upwork, storage, export, retention) = (upwork?, storage?, export?, retention?);
        Some(Config {
            path: path.to_path_buf(),
            upwork,
            storage,
            export,
            retention,
            profile,
            searches,
        })
    }

    fn section<T: for<'de> Deserialize<'de>>(&mut self, value: Spanned<DeValue<'_>>) -> Option<T> {
        match T::deserialize(ValueDeserializer::from(value)) {
            Ok(parsed) => Some(parsed),
            Err(error) => {
                self.toml_error(&error);
                None
            }
        }
    }

    fn check_upwork(&mut self, upwork: &Upwork) {
        if upwork.client_id.trim().is_empty() {
            self.whole("`upwork.client_id` is empty: copy it from the Upwork developer portal");
        }
        for (key, value) in [
            ("redirect_uri", &upwork.redirect_uri),
            ("authorize_url", &upwork.authorize_url),
            ("token_url", &upwork.token_url),
            ("graphql_url", &upwork.graphql_url),
        ] {
            match url::Url::parse(value) {
                Ok(url) if url.scheme() == "http" || url.scheme() == "https" => {}
                _ => self.whole(&format!("`upwork.{key}` is not an http(s) URL: {value:?}")),
            }
        }
        if !(1..=300).contains(&upwork.requests_per_minute) {
            self.whole("`upwork.requests_per_minute` must be between 1 and 300 (Upwork's limit)");
        }
        if !(1..=16).contains(&upwork.concurrency) {
            self.whole("`upwork.concurrency` must be between 1 and 16");
        }
        if !(1..=600).contains(&upwork.timeout_secs) {
            self.whole("`upwork.timeout_secs` must be between 1 and 600");
        }
        if !(1..=60_000).contains(&upwork.retry_base_ms) {
            self.whole("`upwork.retry_base_ms` must be between 1 and 60000");
        }
        if upwork.max_retries > 20 {
            self.whole("`upwork.max_retries` must be at most 20");
        }
        if upwork.client_secret_env.is_empty() {
            self.whole("`upwork.client_secret_env` is empty");
        }
    }

    fn check_storage(&mut self, storage: &Storage) {
        match storage.memory_limit_bytes() {
            None => self.whole(&format!(
                "`storage.memory_limit` {:?} is not a size like \"128MB\" or \"1GB\"",
                storage.memory_limit
            )),
            Some(bytes) if bytes < 32 * 1024 * 1024 => {
                self.whole("`storage.memory_limit` must be at least 32MiB")
            }
            Some(_) => {}
        }
    }

    fn check_export(&mut self, export: &Export) {
        if export.formats.is_empty() {
            self.whole("`export.formats` is empty: list `csv`, `parquet` or both");
        }
        if ![",", ";", "\t"].contains(&export.csv_delimiter.as_str()) {
            self.whole("`export.csv_delimiter` must be \",\", \";\" or \"\\t\"");
        }
        for name in &export.partitioned {
            if !crate::pipeline::export::is_view_name(name) {
                self.whole(&format!(
                    "`export.partitioned`: {name:?} is not a view name (the name of a file in queries/, without .sql)"
                ));
            }
        }
    }

    fn searches(&mut self, raws: Vec<RawSearch>, retention_hours: u32) -> Vec<Search> {
        let mut seen: BTreeMap<String, Range<usize>> = BTreeMap::new();
        let mut searches = Vec::new();
        for raw in raws {
            let name = raw.name.get_ref().clone();
            let valid_name = !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !valid_name {
                self.at(
                    raw.name.span(),
                    &format!("search name {name:?} must be 1 to 64 letters, digits, `-` or `_`"),
                );
            }
            if let Some(first) = seen.get(&name) {
                let (line, _) = self.line_col(first.start);
                self.at(
                    raw.name.span(),
                    &format!("duplicate search name {name:?} (first used on line {line})"),
                );
            } else {
                seen.insert(name.clone(), raw.name.span());
            }
            if let Some(search) = self.search(raw, retention_hours) {
                searches.push(search);
            }
        }
        searches
    }

    fn search(&mut self, raw: RawSearch, retention_hours: u32) -> Option<Search> {
        let before = self.problems.len();
        let mut filter = Map::new();
        for (key, text) in [
            ("searchExpression_eq", &raw.expression),
            ("titleExpression_eq", &raw.title),
        ] {
            if let Some(text) = text {
                if text.get_ref().trim().is_empty() {
                    self.at(
                        text.span(),
                        "an empty expression matches nothing: remove the key",
                    );
                } else if text.get_ref().len() > 2000 {
                    self.at(text.span(), "expression longer than 2000 characters");
                } else {
                    filter.insert(key.into(), json!(text.get_ref()));
                }
            }
        }
        if !raw.skills.is_empty() {
            filter.insert("skillExpression_eq".into(), json!(raw.skills.join(",")));
        }
        for (key, ids) in [
            ("categoryIds_any", &raw.category_ids),
            ("subcategoryIds_any", &raw.subcategory_ids),
            ("occupationIds_any", &raw.occupation_ids),
        ] {
            if !ids.is_empty() {
                filter.insert(key.into(), json!(ids));
            }
        }
        if let Some(job_type) = raw.job_type {
            let value = match job_type {
                JobType::Hourly => "HOURLY",
                JobType::Fixed => "FIXED",
            };
            filter.insert("jobType_eq".into(), json!(value));
        }
        if let Some(workload) = raw.workload {
            let value = match workload {
                Workload::FullTime => "FULL_TIME",
                Workload::PartTime => "PART_TIME",
                Workload::AsNeeded => "AS_NEEDED",
                Workload::NotSure => "NOT_SURE",
            };
            filter.insert("workload_eq".into(), json!(value));
        }
        if let Some(experience) = raw.experience {
            let value = match experience {
                Experience::EntryLevel => "ENTRY_LEVEL",
                Experience::Intermediate => "INTERMEDIATE",
                Experience::Expert => "EXPERT",
            };
            filter.insert("experienceLevel_eq".into(), json!(value));
        }
        for (key, name, range) in [
            ("budgetRange_eq", "budget", &raw.budget),
            ("hourlyRate_eq", "hourly_rate", &raw.hourly_rate),
            ("clientHiresRange_eq", "client_hires", &raw.client_hires),
            ("proposalRange_eq", "proposals", &raw.proposals),
        ] {
            if let Some(value) = range.as_ref().and_then(|r| self.range(name, r)) {
                filter.insert(key.into(), value);
            }
        }
        if raw.verified_payment_only == Some(true) {
            filter.insert("verifiedPaymentOnly_eq".into(), json!(true));
        }
        if raw.enterprise_only == Some(true) {
            filter.insert("enterpriseOnly_eq".into(), json!(true));
        }
        if !raw.locations.is_empty() {
            filter.insert("locations_any".into(), json!(raw.locations));
        }
        if raw.job_type == Some(JobType::Hourly) && raw.budget.is_some() {
            self.at(
                raw.name.span(),
                "`budget` applies to fixed-price jobs but `job_type` is \"hourly\": use `hourly_rate`",
            );
        }
        if raw.job_type == Some(JobType::Fixed) && raw.hourly_rate.is_some() {
            self.at(
                raw.name.span(),
                "`hourly_rate` applies to hourly jobs but `job_type` is \"fixed\": use `budget`",
            );
        }
        let page_size = self.bounded("page_size", raw.page_size.as_ref(), 1, 100, 50);
        let max_pages = self.bounded("max_pages", raw.max_pages.as_ref(), 1, 10_000, 50);
        let max_age_hours = self.bounded(
            "max_age_hours",
            raw.max_age_hours.as_ref(),
            1,
            24 * 366,
            i64::from(retention_hours),
        );
        if self.problems.len() > before {
            return None;
        }
        Some(Search {
            name: raw.name.into_inner(),
            filter,
            sort: raw.sort,
            page_size: page_size as u32,
            max_pages: max_pages as u32,
            max_age_hours: max_age_hours as u32,
        })
    }

    fn range(&mut self, name: &str, range: &Spanned<IntRange>) -> Option<Value> {
        let IntRange { min, max } = *range.get_ref();
        let limit = i64::from(i32::MAX);
        if min.is_none() && max.is_none() {
            self.at(
                range.span(),
                &format!("`{name}` needs `min`, `max` or both"),
            );
            return None;
        }
        if min.is_some_and(|v| v < 0) || max.is_some_and(|v| v < 0) {
            self.at(range.span(), &format!("`{name}` cannot be negative"));
            return None;
        }
        if min.is_some_and(|v| v > limit) || max.is_some_and(|v| v > limit) {
            self.at(range.span(), &format!("`{name}` is larger than {limit}"));
            return None;
        }
        if let (Some(lo), Some(hi)) = (min, max)
            && lo > hi
        {
            self.at(
                range.span(),
                &format!("`{name}` is an impossible range: min {lo} is above max {hi}"),
            );
            return None;
        }
        let mut value = Map::new();
        if let Some(lo) = min {
            value.insert("rangeStart".into(), json!(lo));
        }
        if let Some(hi) = max {
            value.insert("rangeEnd".into(), json!(hi));
        }
        Some(Value::Object(value))
    }

    fn bounded(
        &mut self,
        key: &str,
        value: Option<&Spanned<i64>>,
        lo: i64,
        hi: i64,
        default: i64,
    ) -> i64 {
        match value {
            None => default,
            Some(v) if (lo..=hi).contains(v.get_ref()) => *v.get_ref(),
            Some(v) => {
                self.at(
                    v.span(),
                    &format!("`{key}` must be between {lo} and {hi}, not {}", v.get_ref()),
                );
                default
            }
        }
    }

    fn toml_error(&mut self, error: &toml::de::Error) {
        let message = error.message().trim().to_string();
        match error.span() {
            Some(span) => self.at(span, &message),
            None => self.whole(&message),
        }
    }

    fn whole(&mut self, message: &str) {
        self.problems.push(Problem {
            line: 0,
            column: 0,
            message: message.to_string(),
        });
    }

    fn at(&mut self, span: Range<usize>, message: &str) {
        let (line, column) = self.line_col(span.start);
        self.problems.push(Problem {
            line,
            column,
            message: message.to_string(),
        });
    }

    fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .map_or(0, |tail| tail.chars().count())
            + 1;
        (line, column)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn empty_table() -> Spanned<DeValue<'static>> {
    Spanned::new(0..0, DeValue::Table(DeTable::new()))
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

fn default_secret_env() -> String {
    DEFAULT_SECRET_ENV.into()
}
fn default_redirect_uri() -> String {
    DEFAULT_REDIRECT_URI.into()
}
fn default_authorize_url() -> String {
    UPWORK_AUTHORIZE_URL.into()
}
fn default_token_url() -> String {
    UPWORK_TOKEN_URL.into()
}
fn default_graphql_url() -> String {
    UPWORK_GRAPHQL_URL.into()
}
fn default_rpm() -> u32 {
    240
}
fn default_concurrency() -> u32 {
    4
}
fn default_timeout() -> u32 {
    30
}
fn default_retries() -> u32 {
    6
}
fn default_retry_base() -> u32 {
    500
}
fn default_delimiter() -> String {
    ",".into()
}
fn default_database() -> PathBuf {
    "upjobpilot.duckdb".into()
}
fn default_spool() -> PathBuf {
    "spool".into()
}
fn default_queries() -> PathBuf {
    "queries".into()
}
fn default_memory_limit() -> String {
    "128MB".into()
}
fn default_export_dir() -> PathBuf {
    "exports".into()
}
fn default_formats() -> Vec<ExportFormat> {
    vec![ExportFormat::Csv]
}
fn default_retention() -> u32 {
    UPWORK_RETENTION_HOURS
}
fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Vec<Problem>> {
        Config::parse(text, Path::new("/tmp/p/pipeline.toml")).map_err(|e| match e {
            ConfigError::Invalid { problems, .. } => problems,
            ConfigError::Read { .. } => unreachable!("parse never reads"),
        })
    }

    const MINIMAL: &str =
        "[upwork]\nclient_id = \"abc\"\n\n[[search]]\nname = \"rust\"\nexpression = \"rust\"\n";

    #[test]
    fn minimal_config_gets_defaults() {
        let config = parse(MINIMAL).expect("valid");
        assert_eq!(config.upwork.redirect_uri, DEFAULT_REDIRECT_URI);
        assert_eq!(config.searches[0].page_size, 50);
        assert_eq!(config.searches[0].max_age_hours, 24);
        assert_eq!(config.searches[0].filter["searchExpression_eq"], "rust");
        assert_eq!(
            config.database_path(),
            Path::new("/tmp/p/upjobpilot.duckdb")
        );
    }

    #[test]
    fn sizes_read_as_duckdb_reads_them_and_bad_memory_limits_are_refused() {
        assert_eq!(parse_size("128MB"), Some(128_000_000));
        assert_eq!(parse_size("1.5 GiB"), Some(1_610_612_736));
        assert_eq!(parse_size("512kib"), Some(524_288));
        assert_eq!(parse_size("100"), Some(100));
        for bad in ["", "MB", "12 parsecs", "-5MB", "1.2.3GB"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
        let config = parse(MINIMAL).expect("valid");
        assert_eq!(config.storage.memory_limit_bytes(), Some(128_000_000));
        let problems =
            parse(&format!("[storage]\nmemory_limit = \"lots\"\n{MINIMAL}")).unwrap_err();
        assert!(problems[0].message.contains("not a size"), "{problems:?}");
        let problems = parse(&format!("[storage]\nmemory_limit = \"8MB\"\n{MINIMAL}")).unwrap_err();
        assert!(
            problems[0].message.contains("at least 32MiB"),
            "{problems:?}"
        );
    }

    #[test]
    fn unknown_key_reports_line_and_column() {
        let problems = parse(&format!("{MINIMAL}budjet = 5\n")).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            (problems[0].line, problems[0].column),
            (7, 1),
            "{problems:?}"
        );
        assert!(problems[0].message.contains("budjet"), "{problems:?}");
    }

    #[test]
    fn problems_in_several_searches_are_reported_together() {
        let text = format!(
            "{MINIMAL}\n[[search]]\nname = \"rust\"\npage_size = \"ten\"\n\n[[search]]\nname = \"x\"\nbudget = {{ min = 9, max = 1 }}\n"
        );
        let problems = parse(&text).unwrap_err();
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert!(lines.contains(&10), "wrong type on line 10: {problems:?}");
        assert!(
            lines.contains(&14),
            "impossible range on line 14: {problems:?}"
        );
    }
}
