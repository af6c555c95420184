//! The tools' arguments as the assistant sends them, with their JSON schemas (the doc comments
//! are what the assistant reads). Unknown arguments are refused, so a misspelt filter is an
//! error the assistant sees, not a filter silently left out.

use schemars::JsonSchema;
use serde::Deserialize;

/// How the list is sorted.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Newest first (the default).
    Date,
    /// Best fit score first.
    Fit,
    /// Largest budget first (hourly jobs count 40 hours at their top rate).
    Budget,
    /// Best client quality first.
    Client,
}

/// Hourly or fixed-price.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobType {
    /// Paid by the hour.
    Hourly,
    /// A fixed price.
    Fixed,
}

/// The experience level a client asks for.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Experience {
    /// Entry level.
    EntryLevel,
    /// Intermediate.
    Intermediate,
    /// Expert.
    Expert,
}

/// `search_postings`: the dashboard's filters and sorts; every one optional.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// Words in the title or (while retained) the description, any case.
    pub text: Option<String>,
    /// Only postings found by this configured search (see `sync_status` for the names).
    pub search: Option<String>,
    /// `any`, `none`, or one of the user's labels (see `profile`); left out: every posting but
    /// those labelled `ignored`.
    pub label: Option<String>,
    /// Hourly or fixed-price.
    pub job_type: Option<JobType>,
    /// Hourly jobs whose top rate reaches this (USD an hour).
    pub rate_min: Option<f64>,
    /// Hourly jobs whose lowest rate is at most this (USD an hour).
    pub rate_max: Option<f64>,
    /// Fixed-price jobs with at least this budget (USD).
    pub budget_min: Option<f64>,
    /// Fixed-price jobs with at most this budget (USD).
    pub budget_max: Option<f64>,
    /// Asking for this skill (Upwork's name like `rust` or its label, any case).
    pub skill: Option<String>,
    /// The experience level asked for.
    pub experience: Option<Experience>,
    /// Only clients whose payment method is verified.
    pub verified: Option<bool>,
    /// Client hire rate at least, in percent (0-100).
    pub hire_rate_min: Option<f64>,
    /// Client spent at least this on Upwork (USD).
    pub spend_min: Option<f64>,
    /// The client's country, as Upwork names it (`United States`).
    pub country: Option<String>,
    /// At most this many proposals so far.
    pub proposals_max: Option<i64>,
    /// Fit score at least (0-100; see `profile` for how it is computed).
    pub fit_min: Option<f64>,
    /// Published on or after this day (`YYYY-MM-DD`, UTC).
    pub since: Option<String>,
    /// The order: `date` (newest first, the default), `fit`, `budget` or `client`.
    pub sort: Option<Sort>,
    /// Postings to answer, 1 to 50 (default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous answer, for the next postings.
    pub cursor: Option<String>,
    /// Characters to answer at most, 2000 to 50000 (default 50000).
    pub max_chars: Option<u32>,
}

/// `get_posting`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostingArgs {
    /// The posting's id, as `search_postings` answers it.
    pub id: String,
    /// Characters to answer at most, 2000 to 50000 (default 50000); the description is cut
    /// first.
    pub max_chars: Option<u32>,
}

/// `label_posting`: give `label`, `note` or both; one left out keeps its value.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelArgs {
    /// The posting's id.
    pub id: String,
    /// One of the user's labels (see `profile`: `saved`, `applied`, `ignored` and their own);
    /// an empty string removes the label.
    pub label: Option<String>,
    /// The user's note on the posting (at most 10000 characters); an empty string removes it.
    pub note: Option<String>,
}

/// A tool without arguments.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

/// What `market_stats` groups by.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// The skills asked for (the default).
    #[default]
    Skill,
    /// Upwork's category.
    Category,
    /// Hourly or fixed.
    JobType,
    /// Bands of fixed budgets and hourly rates.
    BudgetBand,
    /// The client's country.
    ClientCountry,
}

impl Dimension {
    /// The name in `daily_postings`.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Skill => "skill",
            Dimension::Category => "category",
            Dimension::JobType => "job_type",
            Dimension::BudgetBand => "budget_band",
            Dimension::ClientCountry => "client_country",
        }
    }
}

/// The periods of `market_stats`.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Per day.
    Day,
    /// Per week, from Monday (the default).
    #[default]
    Week,
    /// Per calendar month.
    Month,
}

impl Period {
    /// DuckDB's `date_trunc` part.
    pub fn name(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }
}

/// `market_stats`: demand and pay over time, from the daily aggregates every sync keeps (the
/// whole history, also after retention removed the postings).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MarketArgs {
    /// What to count by (default `skill`).
    pub dimension: Option<Dimension>,
    /// One value of it (`rust`, `United States`, any case); left out: the most frequent ones.
    pub value: Option<String>,
    /// The first day (`YYYY-MM-DD`, UTC); default 90 days before `until`.
    pub since: Option<String>,
    /// The last day (`YYYY-MM-DD`, UTC); default today.
    pub until: Option<String>,
    /// `day`, `week` (default) or `month`.
    pub period: Option<Period>,
    /// How many values when `value` is left out, 1 to 50 (default 10).
    pub top: Option<u32>,
    /// Characters to answer at most, 2000 to 50000 (default 50000).
    pub max_chars: Option<u32>,
}

/// `query`: one read-only SQL SELECT.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryArgs {
    /// One DuckDB SELECT over the tables and views (`jobs`, `job_skills`, `search_hits`,
    /// `job_changes`, `labels`, `daily_postings`, `posting_scores`, `sync_runs`, ...). No other
    /// statement, no files, no network.
    pub sql: String,
    /// Rows to answer, 1 to 50 (default 50).
    pub limit: Option<u32>,
    /// Characters to answer at most, 2000 to 50000 (default 50000).
    pub max_chars: Option<u32>,
}
