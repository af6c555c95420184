//! The shape of `pipeline.toml`: what the program gets after validation, and what the file holds.
//!
//! Each section comes in two forms. The public one (`Upwork`, `Storage`, `Search`, ...) is the
//! validated configuration the rest of the crate reads: sizes are bytes, the CSV delimiter is a
//! byte, defaults are filled in. Its doc comments are the user documentation of each key, and the
//! committed `pipeline.toml` repeats them as comments. The `Raw*` form, private to this module
//! tree, is what `parse` deserializes a table into: every value that `validate` checks is kept
//! with its span so a problem can name its line and column, and every table denies unknown keys.
//! Each raw form names its table for serde's `expecting`, so a type error says `expected the
//! [upwork] table`, not the name of a type the user never sees.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;
use toml::Spanned;

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
    /// The dashboard's labels.
    pub serve: Serve,
    /// Which postings get their competition signals fetched.
    pub signals: Signals,
    /// The job searches, in file order.
    pub searches: Vec<Search>,
    /// The alert rules, in file order.
    pub alerts: Vec<Alert>,
    /// Health notices about the pipeline itself; `None` when there is no `[notify]` table.
    pub notify: Option<Notify>,
}

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

pub(super) const DEFAULT_REQUESTS_PER_MINUTE: u32 = 240;
pub(super) const DEFAULT_CONCURRENCY: u32 = 4;
pub(super) const DEFAULT_TIMEOUT_SECS: u32 = 30;
pub(super) const DEFAULT_MAX_RETRIES: u32 = 6;
pub(super) const DEFAULT_RETRY_BASE_MS: u32 = 500;
pub(super) const DEFAULT_PAGE_SIZE: u32 = 50;
pub(super) const DEFAULT_MAX_PAGES: u32 = 50;

/// `[upwork]`: the API key and how to talk to Upwork.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upwork {
    /// The key's client id from the Upwork developer portal (required).
    pub client_id: String,
    /// The environment variable holding the client secret (read at `auth login`, then kept in
    /// the token store beside the tokens). Default `UPWORK_CLIENT_SECRET`.
    pub client_secret_env: String,
    /// The callback URL registered with the key. Default `http://localhost:3000/callback`.
    pub redirect_uri: String,
    /// The organization to act for (`X-Upwork-API-TenantId`); the user's default when unset.
    pub tenant_id: Option<String>,
    /// `authorization_code` (every key, the default) or `client_credentials` (enterprise keys
    /// only).
    pub grant: GrantKind,
    /// The browser sign-in page.
    pub authorize_url: String,
    /// The token endpoint.
    pub token_url: String,
    /// The GraphQL endpoint.
    pub graphql_url: String,
    /// Requests per minute for the whole process, 1 to 300 (Upwork's limit). Default 240.
    pub requests_per_minute: u32,
    /// Searches fetched at the same time, 1 to 16. Default 4.
    pub concurrency: u32,
    /// Seconds before a request is given up and retried, 1 to 600. Default 30.
    pub timeout_secs: u32,
    /// Retries of one request (429, 5xx, timeouts, broken bodies) before the search stops, at
    /// most 20. Default 6.
    pub max_retries: u32,
    /// Milliseconds of the first retry's backoff; doubled each retry (with jitter), at most 30 s.
    /// 1 to 60000, default 500.
    pub retry_base_ms: u32,
}

/// `[upwork]` as written in the file; see [`Upwork`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the `[upwork]` table")]
pub(super) struct RawUpwork {
    pub(super) client_id: Spanned<String>,
    pub(super) client_secret_env: Option<Spanned<String>>,
    pub(super) redirect_uri: Option<Spanned<String>>,
    pub(super) tenant_id: Option<String>,
    pub(super) grant: Option<GrantKind>,
    pub(super) authorize_url: Option<Spanned<String>>,
    pub(super) token_url: Option<Spanned<String>>,
    pub(super) graphql_url: Option<Spanned<String>>,
    pub(super) requests_per_minute: Option<Spanned<u32>>,
    pub(super) concurrency: Option<Spanned<u32>>,
    pub(super) timeout_secs: Option<Spanned<u32>>,
    pub(super) max_retries: Option<Spanned<u32>>,
    pub(super) retry_base_ms: Option<Spanned<u32>>,
}

/// The OAuth2 grant a key uses, which also decides how its tokens are renewed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantKind {
    /// Browser sign-in, renewed with the refresh token: every key.
    #[default]
    AuthorizationCode,
    /// Server-to-server, renewed by asking again with the key itself: enterprise keys only.
    ClientCredentials,
}

impl fmt::Display for GrantKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GrantKind::AuthorizationCode => "authorization code",
            GrantKind::ClientCredentials => "client credentials",
        })
    }
}

/// `[storage]`: files on disk, relative to the config file's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Storage {
    /// The DuckDB file (env `UPJOBPILOT_DATABASE`). Default `upjobpilot.duckdb`.
    pub database: PathBuf,
    /// Fetched pages waiting to be loaded (env `UPJOBPILOT_SPOOL_DIR`). Default `spool`.
    pub spool_dir: PathBuf,
    /// The views exported by `sync` and `export` (`queries/*.sql`; env
    /// `UPJOBPILOT_QUERIES_DIR`). Default `queries`.
    pub queries_dir: PathBuf,
    /// DuckDB's memory limit for loads and exports, in bytes; written in the file as a size like
    /// `"128MB"` (the default) or `"1GB"`, at least 32MiB. Past it DuckDB spills to a temp folder
    /// beside the database; a load that still runs out is retried with twice the limit up to
    /// eight times the setting, then with no limit.
    pub memory_limit: u64,
}

impl Default for Storage {
    fn default() -> Self {
        Storage {
            database: "upjobpilot.duckdb".into(),
            spool_dir: "spool".into(),
            queries_dir: "queries".into(),
            memory_limit: 128_000_000,
        }
    }
}

/// `[storage]` as written in the file; see [`Storage`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the `[storage]` table")]
pub(super) struct RawStorage {
    pub(super) database: Option<PathBuf>,
    pub(super) spool_dir: Option<Spanned<PathBuf>>,
    pub(super) queries_dir: Option<PathBuf>,
    pub(super) memory_limit: Option<Spanned<String>>,
}

/// `[export]`: how views are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// Where exports go (env `UPJOBPILOT_EXPORT_DIR`). Default `exports`.
    pub dir: PathBuf,
    /// `csv` (the default), `parquet`, or both; never empty.
    pub formats: Vec<ExportFormat>,
    /// Prefix CSV cells that start with `=`, `+`, `-`, `@`, tab or carriage return with `'` so a
    /// spreadsheet shows them as text instead of running them as formulas. Default `true`.
    pub csv_formula_guard: bool,
    /// The CSV field separator: `","` (the default), `";"` for spreadsheet locales that use a
    /// decimal comma, or `"\t"`.
    pub csv_delimiter: u8,
    /// Start CSV files with a UTF-8 byte order mark, which some spreadsheet programs need to
    /// read UTF-8. Default `false`.
    pub csv_bom: bool,
    /// Views also written as hive-partitioned Parquet by posting date
    /// (`<dir>/<view>/posted_date=YYYY-MM-DD/data_0.parquet`), for Spark, Trino or DuckDB at
    /// scale. Each must be a view name and have a `published_at` column. Default none.
    pub partitioned: Vec<String>,
}

impl Default for Export {
    fn default() -> Self {
        Export {
            dir: "exports".into(),
            formats: vec![ExportFormat::Csv],
            csv_formula_guard: true,
            csv_delimiter: b',',
            csv_bom: false,
            partitioned: Vec::new(),
        }
    }
}

/// `[export]` as written in the file; see [`Export`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the `[export]` table")]
pub(super) struct RawExport {
    pub(super) dir: Option<PathBuf>,
    pub(super) formats: Option<Spanned<Vec<ExportFormat>>>,
    pub(super) csv_formula_guard: Option<bool>,
    pub(super) csv_delimiter: Option<Spanned<String>>,
    pub(super) csv_bom: Option<bool>,
    pub(super) partitioned: Option<Vec<Spanned<String>>>,
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    /// Posting text and raw JSON older than this many hours are pruned after each sync; at
    /// least 1, default 24.
    pub hours: u32,
    /// Keep the typed rows of postings past `hours` (text and raw JSON are pruned either way).
    /// `false` deletes them too, keeping only the daily aggregates in `daily_postings`. Default
    /// `true`.
    pub keep_postings: bool,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            hours: UPWORK_RETENTION_HOURS,
            keep_postings: true,
        }
    }
}

/// `[retention]` as written in the file; see [`Retention`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the `[retention]` table")]
pub(super) struct RawRetention {
    pub(super) hours: Option<Spanned<u32>>,
    pub(super) keep_postings: Option<bool>,
}

/// `[profile]`: the freelancer, for the `fit_score` view.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    /// Your skills, as Upwork names them (`rust`, `python`, ...).
    pub skills: Vec<String>,
    /// Your hourly rate in USD, above 0 and below 10000.
    pub hourly_rate: Option<f64>,
}

/// `[profile]` as written in the file; see [`Profile`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the `[profile]` table")]
pub(super) struct RawProfile {
    #[serde(default)]
    pub(super) skills: Vec<String>,
    pub(super) hourly_rate: Option<Spanned<f64>>,
}

/// The labels every posting can have in `upjobpilot serve`, besides a note.
pub const BUILT_IN_LABELS: [&str; 3] = ["saved", "applied", "ignored"];

/// `[serve]`: the local dashboard (`upjobpilot serve`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Serve {
    /// Your own labels besides `saved`, `applied` and `ignored` (`["shortlist", "maybe"]`): each
    /// 1 to 32 lowercase letters, digits, `-` or `_`, starting with a letter, at most 20. Default
    /// none.
    pub labels: Vec<String>,
}

impl Serve {
    /// Every label a posting can have: the built-in ones, then yours.
    pub fn all_labels(&self) -> Vec<String> {
        BUILT_IN_LABELS
            .iter()
            .map(|l| l.to_string())
            .chain(self.labels.iter().cloned())
            .collect()
    }
}

/// `[serve]` as written in the file; see [`Serve`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the `[serve]` table")]
pub(super) struct RawServe {
    pub(super) labels: Option<Spanned<Vec<Spanned<String>>>>,
}

/// `[signals]`: after each sync's load, the activity of the best new postings and of the
/// postings labelled `saved` (invites, interviews, hires, the client's last activity) is asked
/// of Upwork's `marketplaceJobPosting`, several postings a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Signals {
    /// How many of each sync's new postings, best fit score first, get their activity fetched:
    /// 0 to 200, default 20; `0` turns signals for new postings off.
    pub top: u32,
    /// The lowest fit score (0 to 100, `queries/fit_score.sql`) of a new posting whose activity
    /// is fetched. Default none: the `top` best, whatever their score.
    pub min_fit_score: Option<f64>,
    /// Minutes between two fetches of a `saved` posting's activity: it is fetched again by the
    /// first sync after this long, until it is labelled `applied` or `ignored` or Upwork says it
    /// closed. 5 to 10080 (a week), default 60; `0` never refreshes saved postings.
    pub saved_refresh_mins: u32,
}

impl Default for Signals {
    fn default() -> Self {
        Signals {
            top: 20,
            min_fit_score: None,
            saved_refresh_mins: 60,
        }
    }
}

/// `[signals]` as written in the file; see [`Signals`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the `[signals]` table")]
pub(super) struct RawSignals {
    pub(super) top: Option<Spanned<i64>>,
    pub(super) min_fit_score: Option<Spanned<f64>>,
    pub(super) saved_refresh_mins: Option<Spanned<i64>>,
}

/// One `[[search]]` table: a job search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    /// Unique name: 1 to 64 letters, digits, `-` and `_` (required).
    pub name: String,
    /// Which postings the search asks Upwork for.
    pub criteria: Criteria,
    /// Sort order; only `recency` (the default) allows incremental sync.
    pub sort: Sort,
    /// Postings per request, 1 to 100. Default 50.
    pub page_size: u32,
    /// Requests per search per sync before it stops (reported as truncated), 1 to 10000. Default
    /// 50.
    pub max_pages: u32,
    /// On a first sync, postings older than this many hours are not fetched; 1 to 8784, default
    /// `retention.hours`.
    pub max_age_hours: u32,
}

/// The filters of a `[[search]]` table; they combine with AND, and each left out lets every
/// posting pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Criteria {
    /// Words in the posting (AND-ed, `OR`, `"quoted phrases"`, `-excluded`); not blank, at most
    /// 2000 characters.
    pub expression: Option<String>,
    /// Words that must all be in the title; not blank, at most 2000 characters.
    pub title: Option<String>,
    /// Any of these skills, as Upwork names them.
    pub skills: Vec<String>,
    /// Any of these category ids.
    pub category_ids: Vec<String>,
    /// Any of these subcategory ids.
    pub subcategory_ids: Vec<String>,
    /// Any of these occupation ids.
    pub occupation_ids: Vec<String>,
    /// Hourly or fixed price.
    pub job_type: Option<JobType>,
    /// The workload of hourly jobs (fixed-price jobs always pass).
    pub workload: Option<Workload>,
    /// The contractor tier the job asks for.
    pub experience: Option<Experience>,
    /// The budget of fixed-price jobs in USD (hourly jobs always pass).
    pub budget: Option<IntRange>,
    /// The hourly rate of hourly jobs in USD (fixed-price jobs always pass).
    pub hourly_rate: Option<IntRange>,
    /// How many freelancers the client has hired.
    pub client_hires: Option<IntRange>,
    /// How many proposals the job has had.
    pub proposals: Option<IntRange>,
    /// Only clients whose payment method is verified.
    pub verified_payment_only: bool,
    /// Only enterprise clients.
    pub enterprise_only: bool,
    /// Any of these client locations (country names or ISO codes).
    pub locations: Vec<String>,
}

/// One `[[search]]` table as written in the file; see [`Search`] and [`Criteria`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a `[[search]]` table")]
pub(super) struct RawSearch {
    pub(super) name: Spanned<String>,
    pub(super) expression: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) skills: Vec<String>,
    pub(super) title: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) category_ids: Vec<String>,
    #[serde(default)]
    pub(super) subcategory_ids: Vec<String>,
    #[serde(default)]
    pub(super) occupation_ids: Vec<String>,
    pub(super) job_type: Option<JobType>,
    pub(super) workload: Option<Workload>,
    pub(super) budget: Option<Spanned<IntRange>>,
    pub(super) hourly_rate: Option<Spanned<IntRange>>,
    pub(super) experience: Option<Experience>,
    pub(super) client_hires: Option<Spanned<IntRange>>,
    pub(super) proposals: Option<Spanned<IntRange>>,
    pub(super) verified_payment_only: Option<bool>,
    #[serde(default)]
    pub(super) locations: Vec<String>,
    pub(super) enterprise_only: Option<bool>,
    #[serde(default)]
    pub(super) sort: Sort,
    pub(super) page_size: Option<Spanned<i64>>,
    pub(super) max_pages: Option<Spanned<i64>>,
    pub(super) max_age_hours: Option<Spanned<i64>>,
}

/// An inclusive range of whole numbers from 0 to 2147483647; either end may be left open, not
/// both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table like `{ min = 1, max = 5 }`")]
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

pub(super) const DEFAULT_ALERT_TIMEOUT_SECS: u32 = 10;
pub(super) const DEFAULT_ALERT_MAX_POSTINGS: u32 = 10;
pub(super) const DEFAULT_ALERT_MAX_PER_HOUR: u32 = 30;

/// One `[[alert]]` table: new postings that match its filters are pushed to its channel, once
/// per posting, after each sync's load.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Unique name: 1 to 64 letters, digits, `-` and `_` (required). Deliveries are recorded
    /// under it: renaming a rule makes it a new rule.
    pub name: String,
    /// The searches whose new postings it considers, by name; empty (the default) means all.
    pub searches: Vec<String>,
    /// What a posting must be to match; every filter left out lets every posting pass.
    pub filter: AlertFilter,
    /// Where the postings go.
    pub channel: Channel,
    /// `true`: one message per sync with up to `max_postings` postings (the best first) instead
    /// of one message per posting. Default `false`.
    pub digest: bool,
    /// Postings in one digest message, 1 to 20 (1 to 10 for `discord`, its limit of embeds).
    /// Also the size of the one digest the flood guard sends. Default 10.
    pub max_postings: u32,
    /// Messages this rule sends per hour at most, 1 to 3600; postings past it are folded into
    /// one digest of the best, and once the hour's messages are spent, recorded as
    /// `suppressed` and not sent. Default 30.
    pub max_per_hour: u32,
}

/// The filters of an `[[alert]]` table, over the stored posting; they combine with AND.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertFilter {
    /// The lowest `fit_score` (0 to 100, the formula of `queries/fit_score.sql`).
    pub min_fit_score: Option<f64>,
    /// The lowest client `quality_score` (0 to 100, the formula of
    /// `queries/client_quality.sql`).
    pub min_client_quality: Option<f64>,
    /// Words that must all be in the title (any case).
    pub title_required: Vec<String>,
    /// Words none of which may be in the title (any case).
    pub title_excluded: Vec<String>,
    /// Hourly or fixed price.
    pub job_type: Option<JobType>,
    /// The lowest budget of fixed-price jobs in the posting's currency (hourly jobs pass).
    pub min_budget: Option<u32>,
    /// The lowest top hourly rate of hourly jobs (fixed-price jobs pass).
    pub min_hourly_rate: Option<u32>,
    /// Only clients whose payment method is verified. Default `false`.
    pub payment_verified: bool,
    /// The most candidates the client may be interviewing (`totalInvitedToInterview` of the
    /// posting's latest competition signals, `[signals]`). A posting whose activity was not
    /// fetched (outside `[signals] top`, or the fetch failed) passes: its count is unknown, and
    /// a new posting rarely has interviews yet. Default none.
    pub max_interviewing: Option<u32>,
}

/// Where an alert's postings go: exactly one of `webhook_env` or `command` per rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    /// An HTTP POST to a URL read from the environment.
    Webhook {
        /// The environment variable holding the URL (`webhook_env`): Slack, Discord and
        /// Telegram URLs carry secrets, so the URL is never in the file and never logged.
        env: String,
        /// The payload's shape (`format`). Default `json`.
        format: WebhookFormat,
        /// Telegram's chat id (`chat_id`), required with `format = "telegram"` only.
        chat_id: Option<String>,
        /// Seconds before the request is given up (`timeout_secs`), 1 to 120. Default 10.
        timeout_secs: u32,
    },
    /// A program run without a shell (`command`, an argv list), the postings as JSON on stdin,
    /// its stderr to the log; a non-zero exit is a failed delivery.
    Command {
        /// The program and its arguments.
        argv: Vec<String>,
        /// Seconds before the program is killed (`timeout_secs`), 1 to 120. Default 10.
        timeout_secs: u32,
    },
}

/// The payload a webhook receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// upjobpilot's own versioned JSON (see the README).
    Json,
    /// A Slack incoming webhook: Block Kit.
    Slack,
    /// A Discord webhook: embeds.
    Discord,
    /// The Telegram Bot API's `sendMessage` (URL `https://api.telegram.org/bot<token>/sendMessage`).
    Telegram,
    /// An ntfy topic URL (`https://ntfy.sh/<topic>` or a self-hosted server).
    Ntfy,
}

impl fmt::Display for WebhookFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WebhookFormat::Json => "json",
            WebhookFormat::Slack => "slack",
            WebhookFormat::Discord => "discord",
            WebhookFormat::Telegram => "telegram",
            WebhookFormat::Ntfy => "ntfy",
        })
    }
}

/// One `[[alert]]` table as written in the file; see [`Alert`], [`AlertFilter`], [`Channel`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "an `[[alert]]` table")]
pub(super) struct RawAlert {
    pub(super) name: Spanned<String>,
    pub(super) searches: Option<Vec<Spanned<String>>>,
    pub(super) min_fit_score: Option<Spanned<f64>>,
    pub(super) min_client_quality: Option<Spanned<f64>>,
    #[serde(default)]
    pub(super) title_required: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) title_excluded: Vec<Spanned<String>>,
    pub(super) job_type: Option<JobType>,
    pub(super) min_budget: Option<Spanned<i64>>,
    pub(super) min_hourly_rate: Option<Spanned<i64>>,
    pub(super) payment_verified: Option<bool>,
    pub(super) max_interviewing: Option<Spanned<i64>>,
    pub(super) webhook_env: Option<Spanned<String>>,
    pub(super) format: Option<Spanned<WebhookFormat>>,
    pub(super) chat_id: Option<Spanned<String>>,
    pub(super) command: Option<Spanned<Vec<String>>>,
    pub(super) timeout_secs: Option<Spanned<i64>>,
    pub(super) digest: Option<bool>,
    pub(super) max_postings: Option<Spanned<i64>>,
    pub(super) max_per_hour: Option<Spanned<i64>>,
}

pub(super) const DEFAULT_NOTIFY_SEARCH_FAILURES: u32 = 3;
pub(super) const DEFAULT_NOTIFY_DAILY_BUDGET: u64 = 40_000;
pub(super) const DEFAULT_NOTIFY_BUDGET_PERCENT: u32 = 80;
pub(super) const DEFAULT_NOTIFY_MIN_FREE_MB: u64 = 500;

/// `[notify]`: health notices about the pipeline itself (the sign-in, failing searches and
/// alert rules, the request budget, free disk space, a database held by another program), each
/// sent once when it starts and once when it clears. Without this table no notices are sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    /// Where the notices go: exactly one of `channel` (the name of an `[[alert]]` rule whose
    /// channel is used too), or a channel of its own (`webhook_env` with `format` and
    /// `chat_id`, or `command`, with `timeout_secs`), written as in an `[[alert]]` table.
    pub channel: NotifyChannel,
    /// Failed runs in a row after which a search is reported as failing, 1 to 1000. Default 3.
    pub search_failures: u32,
    /// Requests a day the key may use, as `watch --daily-budget` counts them (Upwork's
    /// documented limit is 40000, the default), 1 or more.
    pub daily_budget: u64,
    /// The share of `daily_budget`, in percent (1 to 100), past which the day's requests are
    /// reported. Default 80.
    pub budget_percent: u32,
    /// Megabytes that must stay free on the disk holding the database and on the one holding
    /// the spool; less is reported. 0 turns the check off. Default 500.
    pub min_free_mb: u64,
}

/// Where notices go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyChannel {
    /// The channel of the `[[alert]]` rule of this name (`channel = "rule name"`).
    Rule(String),
    /// A channel of its own, as an `[[alert]]` table writes one.
    Own(Channel),
}

/// `[notify]` as written in the file; see [`Notify`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the `[notify]` table")]
pub(super) struct RawNotify {
    pub(super) channel: Option<Spanned<String>>,
    pub(super) webhook_env: Option<Spanned<String>>,
    pub(super) format: Option<Spanned<WebhookFormat>>,
    pub(super) chat_id: Option<Spanned<String>>,
    pub(super) command: Option<Spanned<Vec<String>>>,
    pub(super) timeout_secs: Option<Spanned<i64>>,
    pub(super) search_failures: Option<Spanned<i64>>,
    pub(super) daily_budget: Option<Spanned<i64>>,
    pub(super) budget_percent: Option<Spanned<i64>>,
    pub(super) min_free_mb: Option<Spanned<i64>>,
}
