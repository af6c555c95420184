//! Checks the raw sections that `parse` read and builds the typed [`Config`] from them.
//!
//! Every check runs, whatever failed before it, so one run reports every problem. Each problem
//! about a value is reported at that value's span (a few about a whole `[[search]]` table at its
//! `name`); defaults are filled in here, and the values come out typed (`memory_limit` in bytes,
//! `csv_delimiter` as a byte), so no other module parses them again. A [`Config`] is only
//! returned when nothing was wrong.

use super::model::{
    Alert, AlertFilter, BUILT_IN_LABELS, Channel, Config, Criteria, DEFAULT_ALERT_MAX_PER_HOUR,
    DEFAULT_ALERT_MAX_POSTINGS, DEFAULT_ALERT_TIMEOUT_SECS, DEFAULT_CONCURRENCY, DEFAULT_MAX_PAGES,
    DEFAULT_MAX_RETRIES, DEFAULT_NOTIFY_BUDGET_PERCENT, DEFAULT_NOTIFY_DAILY_BUDGET,
    DEFAULT_NOTIFY_MIN_FREE_MB, DEFAULT_NOTIFY_SEARCH_FAILURES, DEFAULT_PAGE_SIZE,
    DEFAULT_REDIRECT_URI, DEFAULT_REQUESTS_PER_MINUTE, DEFAULT_RETRY_BASE_MS, DEFAULT_SECRET_ENV,
    DEFAULT_TIMEOUT_SECS, Export, IntRange, JobType, Notify, NotifyChannel, Profile, RawAlert,
    RawExport, RawNotify, RawProfile, RawRetention, RawSearch, RawServe, RawSignals, RawStorage,
    RawUpwork, Retention, Search, Serve, Signals, Storage, UPWORK_AUTHORIZE_URL,
    UPWORK_GRAPHQL_URL, UPWORK_RETENTION_HOURS, UPWORK_TOKEN_URL, Upwork, WebhookFormat,
};
use super::parse::RawConfig;
use super::problems::Problems;
use std::collections::BTreeMap;
use std::ops::{Range, RangeInclusive};
use std::path::{Path, PathBuf};

/// The longest `retention.hours`: ten years. More would overflow the date arithmetic.
const MAX_RETENTION_HOURS: u32 = 24 * 366 * 10;
use toml::Spanned;

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

/// The most custom labels `[serve] labels` may list: each gets a button and a filter.
const MAX_LABELS: usize = 20;

/// Whether `name` can be a custom label: 1 to 32 lowercase letters, digits, `-` and `_`,
/// starting with a letter (labels go into URLs and CSS class names as they are).
fn is_label_name(name: &str) -> bool {
    name.len() <= 32
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Whether `name` can name a view: letters, digits and `_`, starting with a letter.
pub fn is_view_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks every section; the configuration, if nothing was wrong.
pub(super) fn config(raw: RawConfig, path: &Path, problems: &mut Problems<'_>) -> Option<Config> {
    let mut check = Checker { problems };
    let upwork = raw.upwork.map(|u| check.upwork(u));
    let spool_span = raw
        .storage
        .as_ref()
        .and_then(|s| s.spool_dir.as_ref())
        .map(|s| s.span());
    let storage = raw.storage.and_then(|s| check.storage(s));
    let export = raw.export.and_then(|e| check.export(e));
    let retention = raw.retention.map(|r| check.retention(r));
    let profile = raw.profile.map(|p| check.profile(p));
    let serve = raw.serve.map(|s| check.serve(s));
    let signals = raw.signals.map(|s| check.signals(s));
    let retention_hours = retention
        .as_ref()
        .map_or(UPWORK_RETENTION_HOURS, |r| r.hours.max(1));
    let searches = check.searches(raw.searches, retention_hours);
    let alerts = check.alerts(raw.alerts, &searches);
    let notify = raw.notify.and_then(|n| check.notify(n, &alerts));
    if check.problems.count() > 0 {
        return None;
    }
    let config = Config {
        path: path.to_path_buf(),
        upwork: upwork?,
        storage: storage?,
        export: export?,
        retention: retention?,
        profile: profile?,
        serve: serve?,
        signals: signals?,
        searches,
        alerts,
        notify,
    };
    check.spool_owns_nothing_else(&config, spool_span);
    (check.problems.count() == 0).then_some(config)
}

/// `path` made absolute and free of `.`, `..` and symlinks where it exists, for comparing.
fn normalized(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut out = PathBuf::new();
    for part in absolute.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    match (out.parent(), out.file_name()) {
        // The folder may exist though the file does not: resolve its symlinks too.
        (Some(parent), Some(name)) => std::fs::canonicalize(parent)
            .map(|p| p.join(name))
            .unwrap_or(out),
        _ => out,
    }
}

/// Whether `url` may carry a bearer token or a secret in clear: only to this machine.
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Runs the checks, recording each problem at its place.
struct Checker<'p, 't> {
    problems: &'p mut Problems<'t>,
}

impl Checker<'_, '_> {
    fn upwork(&mut self, raw: RawUpwork) -> Upwork {
        if raw.client_id.get_ref().trim().is_empty() {
            self.at(
                raw.client_id.span(),
                "`upwork.client_id` is empty: copy it from the Upwork developer portal",
            );
        }
        let client_secret_env = raw.client_secret_env.map_or_else(
            || DEFAULT_SECRET_ENV.to_string(),
            |env| {
                if env.get_ref().is_empty() {
                    self.at(env.span(), "`upwork.client_secret_env` is empty");
                }
                env.into_inner()
            },
        );
        Upwork {
            client_id: raw.client_id.into_inner(),
            client_secret_env,
            redirect_uri: self.url("redirect_uri", raw.redirect_uri, DEFAULT_REDIRECT_URI),
            tenant_id: raw.tenant_id,
            grant: raw.grant.unwrap_or_default(),
            authorize_url: self.url("authorize_url", raw.authorize_url, UPWORK_AUTHORIZE_URL),
            token_url: self.url("token_url", raw.token_url, UPWORK_TOKEN_URL),
            graphql_url: self.url("graphql_url", raw.graphql_url, UPWORK_GRAPHQL_URL),
            requests_per_minute: self.number(
                raw.requests_per_minute,
                DEFAULT_REQUESTS_PER_MINUTE,
                1..=300,
                "`upwork.requests_per_minute` must be between 1 and 300 (Upwork's limit)",
            ),
            concurrency: self.number(
                raw.concurrency,
                DEFAULT_CONCURRENCY,
                1..=16,
                "`upwork.concurrency` must be between 1 and 16",
            ),
            timeout_secs: self.number(
                raw.timeout_secs,
                DEFAULT_TIMEOUT_SECS,
                1..=600,
                "`upwork.timeout_secs` must be between 1 and 600",
            ),
            max_retries: self.number(
                raw.max_retries,
                DEFAULT_MAX_RETRIES,
                0..=20,
                "`upwork.max_retries` must be at most 20",
            ),
            retry_base_ms: self.number(
                raw.retry_base_ms,
                DEFAULT_RETRY_BASE_MS,
                1..=60_000,
                "`upwork.retry_base_ms` must be between 1 and 60000",
            ),
        }
    }

    fn url(&mut self, key: &str, value: Option<Spanned<String>>, default: &str) -> String {
        let Some(value) = value else {
            return default.to_string();
        };
        match url::Url::parse(value.get_ref()) {
            Ok(url) if key == "redirect_uri" => {
                // The callback server listens on this machine, in plain HTTP.
                if url.scheme() != "http" || !is_loopback(&url) {
                    self.at(
                        value.span(),
                        &format!(
                            "`upwork.redirect_uri` {:?} must be an http:// URL on this machine (localhost, 127.0.0.1 or [::1]): nothing here could receive the sign-in anywhere else",
                            value.get_ref()
                        ),
                    );
                }
            }
            // A typo must never send a bearer token or the client secret in clear.
            Ok(url) if url.scheme() == "http" && !is_loopback(&url) => self.at(
                value.span(),
                &format!(
                    "`upwork.{key}` {:?} is plain http:// to another machine: use https:// (http:// is only for localhost)",
                    value.get_ref()
                ),
            ),
            Ok(url) if url.scheme() == "http" || url.scheme() == "https" => {}
            _ => self.at(
                value.span(),
                &format!(
                    "`upwork.{key}` is not an http(s) URL: {:?}",
                    value.get_ref()
                ),
            ),
        }
        value.into_inner()
    }

    /// The spool's run folders are deleted after each load: `spool_dir` must not be, or hold,
    /// the config's folder, the database, the views, the exports or the home folder.
    fn spool_owns_nothing_else(&mut self, config: &Config, span: Option<Range<usize>>) {
        let spool = normalized(&config.spool_dir());
        let mut others = vec![
            ("the config file's folder", normalized(config.base_dir())),
            ("the database", normalized(&config.database_path())),
            ("the queries folder", normalized(&config.queries_dir())),
            ("the export folder", normalized(&config.export_dir())),
        ];
        if let Some(home) = crate::platform::home_dir() {
            others.push(("your home folder", normalized(&home)));
        }
        let Some((what, _)) = others.iter().find(|(_, other)| other.starts_with(&spool)) else {
            return;
        };
        let from_env = std::env::var_os("UPJOBPILOT_SPOOL_DIR").is_some_and(|v| !v.is_empty());
        let message = format!(
            "the spool folder {} {} {what}; a spool folder holds only upjobpilot's run folders: give it one of its own (the default is `spool` beside the config){}",
            spool.display(),
            if others.iter().any(|(w, o)| w == what && *o == spool) {
                "is"
            } else {
                "contains"
            },
            if from_env {
                " (set by UPJOBPILOT_SPOOL_DIR)"
            } else {
                ""
            },
        );
        match span.filter(|_| !from_env) {
            Some(span) => self.at(span, &message),
            None => self.problems.whole(&message),
        }
    }

    /// A number from the file if it is in `allowed`, else the problem `message` at it.
    fn number(
        &mut self,
        value: Option<Spanned<u32>>,
        default: u32,
        allowed: RangeInclusive<u32>,
        message: &str,
    ) -> u32 {
        let Some(value) = value else {
            return default;
        };
        if !allowed.contains(value.get_ref()) {
            self.at(value.span(), message);
        }
        value.into_inner()
    }

    fn storage(&mut self, raw: RawStorage) -> Option<Storage> {
        let defaults = Storage::default();
        let memory_limit = match raw.memory_limit {
            None => Some(defaults.memory_limit),
            Some(text) => match parse_size(text.get_ref()) {
                None => {
                    self.at(
                        text.span(),
                        &format!(
                            "`storage.memory_limit` {:?} is not a size like \"128MB\" or \"1GB\"",
                            text.get_ref()
                        ),
                    );
                    None
                }
                Some(bytes) if bytes < 32 * 1024 * 1024 => {
                    self.at(text.span(), "`storage.memory_limit` must be at least 32MiB");
                    None
                }
                Some(bytes) => Some(bytes),
            },
        };
        Some(Storage {
            database: raw.database.unwrap_or(defaults.database),
            spool_dir: raw
                .spool_dir
                .map_or(defaults.spool_dir, Spanned::into_inner),
            queries_dir: raw.queries_dir.unwrap_or(defaults.queries_dir),
            memory_limit: memory_limit?,
        })
    }

    fn export(&mut self, raw: RawExport) -> Option<Export> {
        let defaults = Export::default();
        let formats = match raw.formats {
            None => defaults.formats,
            Some(formats) => {
                if formats.get_ref().is_empty() {
                    self.at(
                        formats.span(),
                        "`export.formats` is empty: list `csv`, `parquet` or both",
                    );
                }
                formats.into_inner()
            }
        };
        let csv_delimiter = match raw.csv_delimiter {
            None => Some(defaults.csv_delimiter),
            Some(text) => match text.get_ref().as_str() {
                "," => Some(b','),
                ";" => Some(b';'),
                "\t" => Some(b'\t'),
                _ => {
                    self.at(
                        text.span(),
                        "`export.csv_delimiter` must be \",\", \";\" or \"\\t\"",
                    );
                    None
                }
            },
        };
        let mut partitioned = Vec::new();
        for name in raw.partitioned.unwrap_or_default() {
            if !is_view_name(name.get_ref()) {
                self.at(
                    name.span(),
                    &format!(
                        "`export.partitioned`: {:?} is not a view name (the name of a file in queries/, without .sql)",
                        name.get_ref()
                    ),
                );
            }
            partitioned.push(name.into_inner());
        }
        Some(Export {
            dir: raw.dir.unwrap_or(defaults.dir),
            formats,
            csv_formula_guard: raw.csv_formula_guard.unwrap_or(defaults.csv_formula_guard),
            csv_delimiter: csv_delimiter?,
            csv_bom: raw.csv_bom.unwrap_or(defaults.csv_bom),
            partitioned,
        })
    }

    fn retention(&mut self, raw: RawRetention) -> Retention {
        let defaults = Retention::default();
        let hours = raw.hours.map_or(defaults.hours, |hours| {
            if *hours.get_ref() == 0 {
                self.at(hours.span(), "`retention.hours` must be at least 1");
            } else if *hours.get_ref() > MAX_RETENTION_HOURS {
                self.at(
                    hours.span(),
                    &format!("`retention.hours` must be at most {MAX_RETENTION_HOURS} (ten years)"),
                );
            }
            hours.into_inner()
        });
        Retention {
            hours,
            keep_postings: raw.keep_postings.unwrap_or(defaults.keep_postings),
        }
    }

    fn profile(&mut self, raw: RawProfile) -> Profile {
        let hourly_rate = raw.hourly_rate.map(|rate| {
            let value = *rate.get_ref();
            if !(value > 0.0 && value < 10_000.0) {
                self.at(
                    rate.span(),
                    "`profile.hourly_rate` must be between 0 and 10000",
                );
            }
            value
        });
        Profile {
            skills: raw.skills,
            hourly_rate,
        }
    }

    /// A `[[search]]` or `[[alert]]` name: its characters, and unique among `seen` ignoring case.
    fn unique_name(
        &mut self,
        what: &str,
        name: &Spanned<String>,
        seen: &mut BTreeMap<String, Range<usize>>,
    ) {
        let text = name.get_ref();
        let valid_name = !text.is_empty()
            && text.len() <= 64
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid_name {
            self.at(
                name.span(),
                &format!("{what} name {text:?} must be 1 to 64 letters, digits, `-` or `_`"),
            );
        }
        // Names that differ only in case share a spool folder on a case-insensitive file
        // system (macOS, Windows): they are the same name.
        let key = text.to_ascii_lowercase();
        if let Some(first) = seen.get(&key) {
            let (line, _) = self.problems.line_col(first.start);
            self.at(
                name.span(),
                &format!("duplicate {what} name {text:?} (first used on line {line}; names that differ only in case are the same)"),
            );
        } else {
            seen.insert(key, name.span());
        }
    }

    fn serve(&mut self, raw: RawServe) -> Serve {
        let Some(labels) = raw.labels else {
            return Serve::default();
        };
        if labels.get_ref().len() > MAX_LABELS {
            self.at(
                labels.span(),
                &format!("`serve.labels` lists more than {MAX_LABELS} labels"),
            );
        }
        let mut seen: Vec<String> = Vec::new();
        for label in labels.get_ref() {
            let name = label.get_ref();
            if !is_label_name(name) {
                self.at(
                    label.span(),
                    &format!(
                        "`serve.labels`: {name:?} must be 1 to 32 lowercase letters, digits, `-` or `_`, starting with a letter"
                    ),
                );
            } else if BUILT_IN_LABELS.contains(&name.as_str()) {
                self.at(
                    label.span(),
                    &format!("`serve.labels`: {name:?} is built in: list only your own labels"),
                );
            } else if seen.contains(name) {
                self.at(
                    label.span(),
                    &format!("`serve.labels`: {name:?} is listed twice"),
                );
            }
            seen.push(name.clone());
        }
        Serve { labels: seen }
    }

    fn signals(&mut self, raw: RawSignals) -> Signals {
        let defaults = Signals::default();
        let top = self.bounded("signals.top", raw.top, 0..=200, defaults.top);
        let min_fit_score = raw
            .min_fit_score
            .map(|v| self.score("signals.min_fit_score", v));
        let saved_refresh_mins = match raw.saved_refresh_mins {
            Some(v) if *v.get_ref() == 0 => 0,
            v => self.bounded(
                "signals.saved_refresh_mins",
                v,
                5..=10_080,
                defaults.saved_refresh_mins,
            ),
        };
        Signals {
            top,
            min_fit_score,
            saved_refresh_mins,
        }
    }

    fn searches(&mut self, raws: Vec<RawSearch>, retention_hours: u32) -> Vec<Search> {
        let mut seen: BTreeMap<String, Range<usize>> = BTreeMap::new();
        let mut searches = Vec::new();
        for raw in raws {
            self.unique_name("search", &raw.name, &mut seen);
            if let Some(search) = self.search(raw, retention_hours) {
                searches.push(search);
            }
        }
        searches
    }

    fn search(&mut self, raw: RawSearch, retention_hours: u32) -> Option<Search> {
        let before = self.problems.count();
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
        let expression = raw.expression.and_then(|text| self.expression(text));
        let title = raw.title.and_then(|text| self.expression(text));
        let budget = raw.budget.and_then(|r| self.range("budget", r));
        let hourly_rate = raw.hourly_rate.and_then(|r| self.range("hourly_rate", r));
        let client_hires = raw.client_hires.and_then(|r| self.range("client_hires", r));
        let proposals = raw.proposals.and_then(|r| self.range("proposals", r));
        let page_size = self.bounded("page_size", raw.page_size, 1..=100, DEFAULT_PAGE_SIZE);
        let max_pages = self.bounded("max_pages", raw.max_pages, 1..=10_000, DEFAULT_MAX_PAGES);
        let max_age_hours = self.bounded(
            "max_age_hours",
            raw.max_age_hours,
            1..=24 * 366,
            retention_hours,
        );
        if self.problems.count() > before {
            return None;
        }
        Some(Search {
            name: raw.name.into_inner(),
            criteria: Criteria {
                expression,
                title,
                skills: raw.skills,
                category_ids: raw.category_ids,
                subcategory_ids: raw.subcategory_ids,
                occupation_ids: raw.occupation_ids,
                job_type: raw.job_type,
                workload: raw.workload,
                experience: raw.experience,
                budget,
                hourly_rate,
                client_hires,
                proposals,
                verified_payment_only: raw.verified_payment_only.unwrap_or(false),
                enterprise_only: raw.enterprise_only.unwrap_or(false),
                locations: raw.locations,
            },
            sort: raw.sort,
            page_size,
            max_pages,
            max_age_hours,
        })
    }

    fn alerts(&mut self, raws: Vec<RawAlert>, searches: &[Search]) -> Vec<Alert> {
        let mut seen: BTreeMap<String, Range<usize>> = BTreeMap::new();
        let mut alerts = Vec::new();
        for raw in raws {
            self.unique_name("alert", &raw.name, &mut seen);
            if let Some(alert) = self.alert(raw, searches) {
                alerts.push(alert);
            }
        }
        alerts
    }

    fn alert(&mut self, raw: RawAlert, searches: &[Search]) -> Option<Alert> {
        let before = self.problems.count();
        let name_span = raw.name.span();
        let mut names = Vec::new();
        for search in raw.searches.unwrap_or_default() {
            if !searches.iter().any(|s| s.name == *search.get_ref()) {
                self.at(
                    search.span(),
                    &format!(
                        "alert `searches`: there is no `[[search]]` named {:?}",
                        search.get_ref()
                    ),
                );
            }
            names.push(search.into_inner());
        }
        let min_fit_score = raw.min_fit_score.map(|v| self.score("min_fit_score", v));
        let min_client_quality = raw
            .min_client_quality
            .map(|v| self.score("min_client_quality", v));
        let max_interviewing = raw
            .max_interviewing
            .map(|v| self.bounded("max_interviewing", Some(v), 0..=1000, 0));
        let title_required = self.words("title_required", raw.title_required);
        let title_excluded = self.words("title_excluded", raw.title_excluded);
        let min_budget = raw
            .min_budget
            .map(|v| self.bounded("min_budget", Some(v), 0..=i32::MAX as u32, 0));
        let min_hourly_rate = raw
            .min_hourly_rate
            .map(|v| self.bounded("min_hourly_rate", Some(v), 0..=i32::MAX as u32, 0));
        if raw.job_type == Some(JobType::Hourly) && min_budget.is_some() {
            self.at(
                name_span.clone(),
                "`min_budget` applies to fixed-price jobs but `job_type` is \"hourly\": use `min_hourly_rate`",
            );
        }
        if raw.job_type == Some(JobType::Fixed) && min_hourly_rate.is_some() {
            self.at(
                name_span.clone(),
                "`min_hourly_rate` applies to hourly jobs but `job_type` is \"fixed\": use `min_budget`",
            );
        }
        let timeout_secs = self.bounded(
            "timeout_secs",
            raw.timeout_secs,
            1..=120,
            DEFAULT_ALERT_TIMEOUT_SECS,
        );
        let format = raw.format.as_ref().map(|f| *f.get_ref());
        let channel = self.channel(
            &raw.name,
            raw.webhook_env,
            raw.format,
            raw.chat_id,
            raw.command,
            timeout_secs,
        );
        let max_postings_span = raw.max_postings.as_ref().map(|m| m.span());
        let max_postings = self.bounded(
            "max_postings",
            raw.max_postings,
            1..=20,
            DEFAULT_ALERT_MAX_POSTINGS,
        );
        if format == Some(WebhookFormat::Discord) && max_postings > 10 {
            self.at(
                max_postings_span.unwrap_or(name_span),
                "`max_postings` must be at most 10 with `format = \"discord\"` (Discord's limit of embeds per message)",
            );
        }
        let max_per_hour = self.bounded(
            "max_per_hour",
            raw.max_per_hour,
            1..=3600,
            DEFAULT_ALERT_MAX_PER_HOUR,
        );
        if self.problems.count() > before {
            return None;
        }
        Some(Alert {
            name: raw.name.into_inner(),
            searches: names,
            filter: AlertFilter {
                min_fit_score,
                min_client_quality,
                title_required,
                title_excluded,
                job_type: raw.job_type,
                min_budget,
                min_hourly_rate,
                payment_verified: raw.payment_verified.unwrap_or(false),
                max_interviewing,
            },
            channel: channel?,
            digest: raw.digest.unwrap_or(false),
            max_postings,
            max_per_hour,
        })
    }

    /// `[notify]`: one channel (a rule's, by name, or its own) and the thresholds.
    fn notify(&mut self, raw: RawNotify, alerts: &[Alert]) -> Option<Notify> {
        let before = self.problems.count();
        let set: Vec<(&str, Range<usize>)> = [
            ("channel", raw.channel.as_ref().map(|c| c.span())),
            ("webhook_env", raw.webhook_env.as_ref().map(|c| c.span())),
            ("command", raw.command.as_ref().map(|c| c.span())),
        ]
        .into_iter()
        .filter_map(|(key, span)| span.map(|s| (key, s)))
        .collect();
        let timeout_span = raw.timeout_secs.as_ref().map(|t| t.span());
        let timeout_secs = self.bounded(
            "timeout_secs",
            raw.timeout_secs,
            1..=120,
            DEFAULT_ALERT_TIMEOUT_SECS,
        );
        let channel = match (&set[..], raw.channel) {
            ([], _) => {
                self.problems.whole(
                    "`[notify]` has no channel: set `channel` to an [[alert]] rule's name, or `webhook_env` (with `format`) or `command`",
                );
                None
            }
            ([_, (second, span), ..], _) => {
                self.at(
                    span.clone(),
                    &format!(
                        "`[notify]` has two channels: set one of `channel`, `webhook_env` or `command`, not `{}` and `{second}`",
                        set[0].0
                    ),
                );
                None
            }
            (_, Some(name)) => {
                for (key, span) in [
                    ("format", raw.format.as_ref().map(|f| f.span())),
                    ("chat_id", raw.chat_id.as_ref().map(|c| c.span())),
                    ("timeout_secs", timeout_span.clone()),
                ] {
                    if let Some(span) = span {
                        self.at(
                            span,
                            &format!(
                                "`notify.{key}` is the rule's when `channel` names a rule: set it in the [[alert]] table"
                            ),
                        );
                    }
                }
                if !alerts.iter().any(|a| a.name == *name.get_ref()) {
                    self.at(
                        name.span(),
                        &format!(
                            "`notify.channel`: there is no [[alert]] rule named {:?} (it names the rule whose channel the notices use)",
                            name.get_ref()
                        ),
                    );
                }
                Some(NotifyChannel::Rule(name.into_inner()))
            }
            (_, None) => {
                let anchor = Spanned::new(set[0].1.clone(), String::new());
                self.channel(
                    &anchor,
                    raw.webhook_env,
                    raw.format,
                    raw.chat_id,
                    raw.command,
                    timeout_secs,
                )
                .map(NotifyChannel::Own)
            }
        };
        let search_failures = self.bounded(
            "notify.search_failures",
            raw.search_failures,
            1..=1000,
            DEFAULT_NOTIFY_SEARCH_FAILURES,
        );
        let daily_budget = self.at_least(
            "notify.daily_budget",
            raw.daily_budget,
            1,
            DEFAULT_NOTIFY_DAILY_BUDGET,
        );
        let budget_percent = self.bounded(
            "notify.budget_percent",
            raw.budget_percent,
            1..=100,
            DEFAULT_NOTIFY_BUDGET_PERCENT,
        );
        let min_free_mb = self.at_least(
            "notify.min_free_mb",
            raw.min_free_mb,
            0,
            DEFAULT_NOTIFY_MIN_FREE_MB,
        );
        if self.problems.count() > before {
            return None;
        }
        Some(Notify {
            channel: channel?,
            search_failures,
            daily_budget,
            budget_percent,
            min_free_mb,
        })
    }

    /// The one channel of an alert: `webhook_env` (with `format`, `chat_id`) or `command`.
    fn channel(
        &mut self,
        name: &Spanned<String>,
        webhook_env: Option<Spanned<String>>,
        format: Option<Spanned<WebhookFormat>>,
        chat_id: Option<Spanned<String>>,
        command: Option<Spanned<Vec<String>>>,
        timeout_secs: u32,
    ) -> Option<Channel> {
        match (webhook_env, command) {
            (None, None) => {
                self.at(
                    name.span(),
                    "alert has no channel: set `webhook_env` (with `format`) or `command`",
                );
                None
            }
            (Some(_), Some(command)) => {
                self.at(
                    command.span(),
                    "alert has two channels: set `webhook_env` or `command`, not both (write two rules to use both)",
                );
                None
            }
            (None, Some(command)) => {
                for (key, span) in [
                    ("format", format.map(|f| f.span())),
                    ("chat_id", chat_id.map(|c| c.span())),
                ] {
                    if let Some(span) = span {
                        self.at(
                            span,
                            &format!("`{key}` is for `webhook_env` channels, not `command`"),
                        );
                    }
                }
                let argv = command.get_ref();
                if argv.first().is_none_or(|program| program.trim().is_empty()) {
                    self.at(
                        command.span(),
                        "`command` needs a program: a list like [\"notify-send\", \"New job\"] (run without a shell)",
                    );
                    return None;
                }
                Some(Channel::Command {
                    argv: command.into_inner(),
                    timeout_secs,
                })
            }
            (Some(env), None) => {
                let valid_env = env
                    .get_ref()
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && env
                        .get_ref()
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !valid_env {
                    self.at(
                        env.span(),
                        &format!(
                            "`webhook_env` {:?} is not an environment variable name: name the variable that holds the URL, not the URL",
                            env.get_ref()
                        ),
                    );
                }
                let format_value = format
                    .as_ref()
                    .map_or(WebhookFormat::Json, |f| *f.get_ref());
                match (&chat_id, format_value) {
                    (None, WebhookFormat::Telegram) => self.at(
                        format.as_ref().map_or(name.span(), |f| f.span()),
                        "`format = \"telegram\"` needs `chat_id` (the chat the bot posts to)",
                    ),
                    (Some(id), WebhookFormat::Telegram) if id.get_ref().trim().is_empty() => {
                        self.at(id.span(), "`chat_id` is empty");
                    }
                    (Some(id), other) if other != WebhookFormat::Telegram => self.at(
                        id.span(),
                        &format!("`chat_id` is for `format = \"telegram\"`, not \"{other}\""),
                    ),
                    _ => {}
                }
                valid_env.then(|| Channel::Webhook {
                    env: env.into_inner(),
                    format: format_value,
                    chat_id: chat_id.map(Spanned::into_inner),
                    timeout_secs,
                })
            }
        }
    }

    /// A score threshold, 0 to 100.
    fn score(&mut self, key: &str, value: Spanned<f64>) -> f64 {
        let score = *value.get_ref();
        if !(0.0..=100.0).contains(&score) {
            self.at(value.span(), &format!("`{key}` must be between 0 and 100"));
        }
        score
    }

    /// Title words: each a non-blank word.
    fn words(&mut self, key: &str, words: Vec<Spanned<String>>) -> Vec<String> {
        let mut out = Vec::new();
        for word in words {
            if word.get_ref().trim().is_empty() {
                self.at(word.span(), &format!("`{key}` holds an empty word"));
            }
            out.push(word.into_inner().trim().to_lowercase());
        }
        out
    }

    /// A search expression (`expression`, `title`) that can match something.
    fn expression(&mut self, text: Spanned<String>) -> Option<String> {
        if text.get_ref().trim().is_empty() {
            self.at(
                text.span(),
                "an empty expression matches nothing: remove the key",
            );
            None
        } else if text.get_ref().len() > 2000 {
            self.at(text.span(), "expression longer than 2000 characters");
            None
        } else {
            Some(text.into_inner())
        }
    }

    fn range(&mut self, name: &str, range: Spanned<IntRange>) -> Option<IntRange> {
        let IntRange { min, max } = *range.get_ref();
        let limit = i64::from(i32::MAX);
        let problem = if min.is_none() && max.is_none() {
            format!("`{name}` needs `min`, `max` or both")
        } else if min.is_some_and(|v| v < 0) || max.is_some_and(|v| v < 0) {
            format!("`{name}` cannot be negative")
        } else if min.is_some_and(|v| v > limit) || max.is_some_and(|v| v > limit) {
            format!("`{name}` is larger than {limit}")
        } else if let (Some(lo), Some(hi)) = (min, max)
            && lo > hi
        {
            format!("`{name}` is an impossible range: min {lo} is above max {hi}")
        } else {
            return Some(range.into_inner());
        };
        self.at(range.span(), &problem);
        None
    }

    /// A whole number of at least `min`, else `default` and a problem.
    fn at_least(&mut self, key: &str, value: Option<Spanned<i64>>, min: u64, default: u64) -> u64 {
        let Some(value) = value else {
            return default;
        };
        match u64::try_from(*value.get_ref()) {
            Ok(number) if number >= min => number,
            _ => {
                self.at(
                    value.span(),
                    &format!("`{key}` must be {min} or more, not {}", value.get_ref()),
                );
                default
            }
        }
    }

    /// A whole number from a `[[search]]` table within `allowed`, else `default` and a problem.
    fn bounded(
        &mut self,
        key: &str,
        value: Option<Spanned<i64>>,
        allowed: RangeInclusive<u32>,
        default: u32,
    ) -> u32 {
        let Some(value) = value else {
            return default;
        };
        match u32::try_from(*value.get_ref()) {
            Ok(number) if allowed.contains(&number) => number,
            _ => {
                self.at(
                    value.span(),
                    &format!(
                        "`{key}` must be between {} and {}, not {}",
                        allowed.start(),
                        allowed.end(),
                        value.get_ref()
                    ),
                );
                default
            }
        }
    }

    fn at(&mut self, span: Range<usize>, message: &str) {
        self.problems.at(span, message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigError, Problem};

    fn problems(text: &str) -> Vec<Problem> {
        match Config::parse(text, Path::new("/tmp/p/pipeline.toml")) {
            Err(ConfigError::Invalid { problems, .. }) => problems,
            other => panic!("{text:?} should be invalid, got {other:?}"),
        }
    }

    const MINIMAL: &str =
        "[upwork]\nclient_id = \"abc\"\n\n[[search]]\nname = \"rust\"\nexpression = \"rust\"\n";

    #[test]
    fn sizes_read_as_duckdb_reads_them_and_bad_memory_limits_are_refused() {
        assert_eq!(parse_size("128MB"), Some(128_000_000));
        assert_eq!(parse_size("1.5 GiB"), Some(1_610_612_736));
        assert_eq!(parse_size("512kib"), Some(524_288));
        assert_eq!(parse_size("100"), Some(100));
        for bad in ["", "MB", "12 parsecs", "-5MB", "1.2.3GB"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
        let config = Config::parse(MINIMAL, Path::new("p.toml")).expect("valid");
        assert_eq!(config.storage.memory_limit, 128_000_000);
        let config = Config::parse(
            &format!("[storage]\nmemory_limit = \"1GiB\"\n{MINIMAL}"),
            Path::new("p.toml"),
        )
        .expect("valid");
        assert_eq!(config.storage.memory_limit, 1024 * 1024 * 1024);
        let found = problems(&format!("[storage]\nmemory_limit = \"lots\"\n{MINIMAL}"));
        assert!(found[0].message.contains("not a size"), "{found:?}");
        let found = problems(&format!("[storage]\nmemory_limit = \"8MB\"\n{MINIMAL}"));
        assert!(found[0].message.contains("at least 32MiB"), "{found:?}");
    }

    #[test]
    fn an_out_of_range_value_reports_the_line_of_that_value() {
        let text = "[upwork]\nclient_id = \"abc\"\nconcurrency = 4\nrequests_per_minute = 500\n\n[[search]]\nname = \"a\"\n";
        let found = problems(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].line, found[0].column), (4, 23), "{found:?}");
        assert!(found[0].message.contains("between 1 and 300"), "{found:?}");
    }

    #[test]
    fn delimiters_become_bytes() {
        for (written, byte) in [(",", b','), (";", b';'), ("\\t", b'\t')] {
            let text = format!("[export]\ncsv_delimiter = \"{written}\"\n{MINIMAL}");
            let config = Config::parse(&text, Path::new("p.toml")).expect("valid");
            assert_eq!(config.export.csv_delimiter, byte, "{written}");
        }
        let found = problems(&format!("[export]\ncsv_delimiter = \"|\"\n{MINIMAL}"));
        assert_eq!((found[0].line, found[0].column), (2, 17), "{found:?}");
    }

    #[test]
    fn view_names_are_letters_digits_and_underscores_after_a_letter() {
        for good in ["new_postings", "fit_score", "a", "v2"] {
            assert!(is_view_name(good), "{good}");
        }
        for bad in ["", "2v", "_v", "new-postings", "a.b", "a b", "ünï"] {
            assert!(!is_view_name(bad), "{bad}");
        }
    }

    #[test]
    fn criteria_carry_what_the_file_says() {
        let text = "[upwork]\nclient_id = \"abc\"\n[[search]]\nname = \"a\"\ntitle = \"shopify\"\nskills = [\"rust\"]\njob_type = \"fixed\"\nbudget = { max = 500 }\nverified_payment_only = true\n";
        let config = Config::parse(text, Path::new("p.toml")).expect("valid");
        let criteria = &config.searches[0].criteria;
        assert_eq!(criteria.title.as_deref(), Some("shopify"));
        assert_eq!(criteria.expression, None);
        assert_eq!(criteria.skills, ["rust"]);
        assert_eq!(criteria.job_type, Some(JobType::Fixed));
        assert_eq!(
            criteria.budget,
            Some(IntRange {
                min: None,
                max: Some(500)
            })
        );
        assert!(criteria.verified_payment_only && !criteria.enterprise_only);
    }

    #[test]
    fn notify_takes_one_channel_and_reports_every_bad_value_at_once() {
        let rule = "[[alert]]\nname = \"hook\"\nwebhook_env = \"HOOK\"\n";
        let config = Config::parse(
            &format!("{MINIMAL}{rule}[notify]\nchannel = \"hook\"\n"),
            Path::new("/tmp/p/pipeline.toml"),
        )
        .expect("valid");
        let notify = config.notify.expect("notify");
        assert_eq!(notify.channel, NotifyChannel::Rule("hook".into()));
        assert_eq!(notify.search_failures, DEFAULT_NOTIFY_SEARCH_FAILURES);
        let own = Config::parse(
            &format!("{MINIMAL}[notify]\nwebhook_env = \"N\"\nformat = \"ntfy\"\n"),
            Path::new("/tmp/p/pipeline.toml"),
        )
        .expect("valid");
        assert!(matches!(
            own.notify.expect("notify").channel,
            NotifyChannel::Own(Channel::Webhook {
                format: WebhookFormat::Ntfy,
                ..
            })
        ));

        let cases = [
            ("[notify]\nmin_free_mb = 5\n", "has no channel"),
            (
                "[notify]\nchannel = \"nope\"\n",
                "no [[alert]] rule named \"nope\"",
            ),
            (
                "[notify]\nchannel = \"hook\"\ncommand = [\"x\"]\n",
                "has two channels",
            ),
            (
                "[notify]\nchannel = \"hook\"\nformat = \"slack\"\n",
                "`notify.format` is the rule's",
            ),
        ];
        for (table, says) in cases {
            let found = problems(&format!("{MINIMAL}{rule}{table}"));
            assert!(
                found.iter().any(|p| p.message.contains(says)),
                "{table}: {found:?}"
            );
        }
        let found = problems(&format!(
            "{MINIMAL}[notify]\ncommand = [\"x\"]\nsearch_failures = 0\ndaily_budget = 0\nbudget_percent = 101\nmin_free_mb = -1\n"
        ));
        assert_eq!(found.len(), 4, "{found:?}");
        for key in [
            "search_failures",
            "daily_budget",
            "budget_percent",
            "min_free_mb",
        ] {
            assert!(
                found.iter().any(|p| p.message.contains(key)),
                "{key}: {found:?}"
            );
        }
    }
}
