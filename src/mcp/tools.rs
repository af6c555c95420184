//! The tools: each reads its arguments, opens the database for the call (read-only; a short
//! write for `label_posting`), answers from [`crate::postings`] or its own SQL in `sql/`, and
//! returns a value that matches its declared output schema. Blocking: the server runs each call
//! on a blocking thread.

use super::args::{
    Dimension, LabelArgs, MarketArgs, NoArgs, Period, PostingArgs, QueryArgs, SearchArgs, Sort,
};
use super::clean::{self, MAX_CHARS, MAX_ROWS, MIN_CHARS, UNTRUSTED};
use super::error::ToolError;
use super::query;
use crate::config::Config;
use crate::db::{self, Db};
use crate::postings::data::{self, LabelChange, Posting, SavedLabel};
use crate::postings::filter::Filter;
use crate::postings::label;
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How long `label_posting` waits for a database a sync's load holds, as the dashboard does.
const SAVE_WAIT: Duration = Duration::from_secs(2);

/// The longest posting id accepted.
const MAX_ID: usize = 64;

/// What the tools share: the config, the database, the labels.
pub struct Desk {
    config: Config,
    database: PathBuf,
    labels: Vec<String>,
    /// One call at a time reaches the database: `query`'s sealed instance must be the only
    /// one of the file in this process while it is open (`db::open_sealed`).
    one_at_a_time: Mutex<()>,
}

/// The answer of a tool, as JSON.
pub type Answer = Result<Value, ToolError>;

fn parse<T: DeserializeOwned>(args: Value) -> Result<T, ToolError> {
    serde_json::from_value(args).map_err(|e| ToolError(format!("bad arguments: {e}")))
}

fn answer<T: Serialize>(output: &T) -> Answer {
    let mut value = serde_json::to_value(output)
        .map_err(|e| ToolError(format!("the answer could not be written: {e}")))?;
    clean::value(&mut value);
    Ok(value)
}

fn limit(name: &str, value: Option<u32>, default: u32, max: u32) -> Result<u32, ToolError> {
    match value {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(ToolError::argument(name, format!("must be 1 to {max}"))),
    }
}

fn max_chars(value: Option<u32>) -> Result<usize, ToolError> {
    match value {
        None => Ok(MAX_CHARS as usize),
        Some(n) if (MIN_CHARS..=MAX_CHARS).contains(&n) => Ok(n as usize),
        Some(_) => Err(ToolError::argument(
            "max_chars",
            format!("must be {MIN_CHARS} to {MAX_CHARS}"),
        )),
    }
}

fn posting_id(id: &str) -> Result<&str, ToolError> {
    let id = id.trim();
    if id.is_empty() || id.chars().count() > MAX_ID || id.chars().any(char::is_control) {
        return Err(ToolError::argument(
            "id",
            format!(
                "must be a posting id as search_postings answers it (1 to {MAX_ID} characters)"
            ),
        ));
    }
    Ok(id)
}

fn day(name: &str, value: Option<&str>) -> Result<Option<chrono::NaiveDate>, ToolError> {
    value
        .map(|v| {
            chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
                .map_err(|_| ToolError::argument(name, "must be a date like 2026-01-31"))
        })
        .transpose()
}

/// One posting of `search_postings`: what fits 50 to an assistant's context.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Brief {
    /// The posting's id, for `get_posting` and `label_posting`.
    pub id: String,
    /// Its title (untrusted text from Upwork); null once retention pruned it.
    pub title: Option<String>,
    /// How it pays, in a few words (`hourly $30–50`, `fixed $500`).
    pub pay: String,
    /// How well it fits the user's profile, 0-100, as of the last sync.
    pub fit_score: Option<f64>,
    /// How trustworthy the client looks, 0-100.
    pub client_quality: Option<f64>,
    /// Proposals so far.
    pub proposals: Option<i64>,
    /// Publication time, UTC.
    pub published_at: String,
    /// The posting on Upwork.
    pub url: Option<String>,
    /// The user's label.
    pub label: Option<String>,
}

/// `search_postings`' answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SearchAnswer {
    /// Postings passing the filters, in all.
    pub total: i64,
    /// These postings, in the asked order.
    pub postings: Vec<Brief>,
    /// Pass as `cursor` for the postings after these; null at the end.
    pub next_cursor: Option<String>,
    /// What was left out to stay within the caps, if anything.
    pub truncated: Option<String>,
    /// About the posting text.
    pub untrusted: &'static str,
}

/// `get_posting`'s answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PostingAnswer {
    /// The posting: its stored fields (`job`, null once strict retention deleted it), skills,
    /// the searches that found it, how it changed, the user's label and note.
    pub posting: Posting,
    /// What was left out to stay within the caps, if anything.
    pub truncated: Option<String>,
    /// About the posting text.
    pub untrusted: &'static str,
}

/// `profile`'s answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProfileAnswer {
    /// The user's skills (`[profile] skills` in pipeline.toml).
    pub skills: Vec<String>,
    /// The user's hourly rate in USD, if set.
    pub hourly_rate: Option<f64>,
    /// How the fit score is computed (from the shipped `fit_score` view).
    pub fit_score: String,
    /// The labels a posting can have.
    pub labels: Vec<String>,
}

/// One period of a `market_stats` series.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MarketPoint {
    /// The period's first day (`YYYY-MM-DD`).
    pub period: String,
    /// Postings published.
    pub postings: i64,
    /// Of them hourly.
    pub hourly: i64,
    /// Of them fixed-price.
    pub fixed: i64,
    /// Median hourly rate (USD; the median of the days' medians, each the middle of a range).
    pub median_hourly_rate: Option<f64>,
    /// Median fixed budget (USD; the median of the days' medians).
    pub median_fixed_budget: Option<f64>,
}

/// One value's series.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MarketSeries {
    /// The value (`rust`, `United States`, ...).
    pub value: String,
    /// Its postings over the whole range.
    pub postings: i64,
    /// Per period, oldest first.
    pub points: Vec<MarketPoint>,
}

/// `market_stats`' answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MarketAnswer {
    /// What was counted by.
    pub dimension: &'static str,
    /// The period.
    pub period: &'static str,
    /// The first day.
    pub since: String,
    /// The last day.
    pub until: String,
    /// The most frequent values first.
    pub series: Vec<MarketSeries>,
    /// What was left out to stay within the caps, if anything.
    pub truncated: Option<String>,
}

impl Desk {
    /// The desk over `config`'s database.
    pub fn new(config: Config) -> Desk {
        let database = config.database_path();
        let labels = config.serve.all_labels();
        Desk {
            config,
            database,
            labels,
            one_at_a_time: Mutex::new(()),
        }
    }

    /// The database file.
    pub fn database(&self) -> &std::path::Path {
        &self.database
    }

    /// The config.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// This call's turn at the database: held while it uses it.
    pub fn turn(&self) -> MutexGuard<'_, ()> {
        self.one_at_a_time
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs the tool `name` on `args` (a JSON object).
    pub fn call(&self, name: &str, args: Value) -> Answer {
        let _turn = self.turn();
        match name {
            "search_postings" => self.search(parse(args)?),
            "get_posting" => self.posting(parse(args)?),
            "label_posting" => self.label(parse(args)?),
            "profile" => parse::<NoArgs>(args).and_then(|_| self.profile()),
            "sync_status" => parse::<NoArgs>(args).and_then(|_| self.sync_status()),
            "market_stats" => self.market(parse(args)?),
            "query" => self.query(parse(args)?),
            other => Err(ToolError(format!("no tool {other}"))),
        }
    }

    /// A reading connection for one call.
    pub fn read(&self) -> Result<Db, ToolError> {
        if !self.database.exists() {
            return Err(ToolError::db(db::DbError::Io {
                path: self.database.clone(),
                source: std::io::ErrorKind::NotFound.into(),
            }));
        }
        db::open_read_only(&self.database).map_err(ToolError::db)
    }

    /// The dashboard's filter for these arguments, every value checked by the same rules.
    fn filter(&self, args: &SearchArgs) -> Result<Filter, ToolError> {
        let mut filter = Filter::new();
        let number = |n: Option<f64>| n.map(|n| n.to_string());
        let text = |t: &Option<String>| t.clone();
        let sort = args.sort.map(|s| {
            match s {
                Sort::Date => "date",
                Sort::Fit => "fit",
                Sort::Budget => "budget",
                Sort::Client => "client",
            }
            .to_string()
        });
        let job_type = args.job_type.map(|t| {
            match t {
                super::args::JobType::Hourly => "hourly",
                super::args::JobType::Fixed => "fixed",
            }
            .to_string()
        });
        let experience = args.experience.map(|e| {
            match e {
                super::args::Experience::EntryLevel => "entry_level",
                super::args::Experience::Intermediate => "intermediate",
                super::args::Experience::Expert => "expert",
            }
            .to_string()
        });
        // (the dashboard's query-string name, this tool's argument name, the value)
        let fields = [
            ("q", "text", text(&args.text)),
            ("search", "search", text(&args.search)),
            ("label", "label", text(&args.label)),
            ("type", "job_type", job_type),
            ("rate_min", "rate_min", number(args.rate_min)),
            ("rate_max", "rate_max", number(args.rate_max)),
            ("budget_min", "budget_min", number(args.budget_min)),
            ("budget_max", "budget_max", number(args.budget_max)),
            ("skill", "skill", text(&args.skill)),
            ("experience", "experience", experience),
            ("verified", "verified", args.verified.map(|v| v.to_string())),
            ("hire_rate_min", "hire_rate_min", number(args.hire_rate_min)),
            ("spend_min", "spend_min", number(args.spend_min)),
            ("country", "country", text(&args.country)),
            (
                "proposals_max",
                "proposals_max",
                args.proposals_max.map(|n| n.to_string()),
            ),
            ("fit_min", "fit_min", number(args.fit_min)),
            ("since", "since", text(&args.since)),
            ("sort", "sort", sort),
        ];
        for (name, argument, value) in fields {
            if let Some(value) = value {
                filter
                    .set(name, &value, &self.labels)
                    .map_err(|e| ToolError::argument(argument, e.problem))?;
            }
        }
        Ok(filter)
    }

    fn search(&self, args: SearchArgs) -> Answer {
        let filter = self.filter(&args)?;
        let limit = limit("limit", args.limit, MAX_ROWS, MAX_ROWS)?;
        let max_chars = max_chars(args.max_chars)?;
        let offset = match args.cursor.as_deref().map(str::trim) {
            None | Some("") => 0,
            Some(cursor) => cursor
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= 50_000_000)
                .ok_or_else(|| {
                    ToolError::argument("cursor", "must be a next_cursor this tool answered")
                })?,
        };
        let conn = self.read()?;
        let (total, rows) =
            data::postings_window(&conn, &filter, limit, offset).map_err(ToolError::query)?;
        drop(conn);
        let mut output = SearchAnswer {
            total,
            postings: Vec::new(),
            next_cursor: None,
            truncated: None,
            untrusted: UNTRUSTED,
        };
        let mut used = clean::chars(&output) + 64;
        let asked = rows.len();
        for row in rows {
            let brief = Brief {
                pay: row.summary.pay(),
                title: row.summary.title,
                fit_score: row.summary.fit_score,
                client_quality: row.summary.client_quality,
                proposals: row.summary.total_applicants,
                published_at: row.summary.published_at,
                url: row.url,
                label: row.label,
                id: row.id,
            };
            let size = clean::chars(&brief) + 1;
            if used + size > max_chars {
                break;
            }
            used += size;
            output.postings.push(brief);
        }
        let shown = output.postings.len();
        if shown < asked {
            output.truncated = Some(format!(
                "{} of {asked} postings left out to stay within {max_chars} characters; next_cursor continues with them",
                asked - shown
            ));
        }
        let next = offset + shown as u64;
        if (next as i64) < total {
            output.next_cursor = Some(next.to_string());
        }
        answer(&output)
    }

    fn posting(&self, args: PostingArgs) -> Answer {
        let id = posting_id(&args.id)?;
        let max_chars = max_chars(args.max_chars)?;
        let conn = self.read()?;
        let posting = data::posting(&conn, id)
            .map_err(ToolError::query)?
            .ok_or_else(|| ToolError(format!("no posting {id} is stored")))?;
        drop(conn);
        let mut output = PostingAnswer {
            posting,
            truncated: None,
            untrusted: UNTRUSTED,
        };
        let mut cuts = Vec::new();
        // The oldest changes go first, then the description's end.
        let over = |o: &PostingAnswer| clean::chars(o).saturating_sub(max_chars);
        if over(&output) > 0 && output.posting.changes.len() > 10 {
            let before = output.posting.changes.len();
            while over(&output) > 0 && output.posting.changes.len() > 10 {
                output.posting.changes.remove(0);
            }
            cuts.push(format!(
                "the {} oldest of {before} changes",
                before - output.posting.changes.len()
            ));
        }
        let excess = over(&output);
        if excess > 0
            && let Some(description) = output
                .posting
                .job
                .as_mut()
                .and_then(|j| j.description.as_mut())
        {
            let length = description.chars().count();
            // JSON escapes can make a character longer than one: cut a little more.
            let keep = length.saturating_sub(excess + excess / 4 + 32);
            *description = clean::cut(description, keep);
            cuts.push(format!(
                "the description after {keep} of its {length} characters"
            ));
        }
        if over(&output) > 0 {
            return Err(ToolError(format!(
                "posting {id} does not fit in {max_chars} characters even without its description: ask with a larger max_chars"
            )));
        }
        if !cuts.is_empty() {
            output.truncated = Some(format!(
                "left out to stay within {max_chars} characters: {}",
                cuts.join("; ")
            ));
        }
        answer(&output)
    }

    fn label(&self, args: LabelArgs) -> Answer {
        let id = posting_id(&args.id)?;
        if args.label.is_none() && args.note.is_none() {
            return Err(ToolError(
                "give `label`, `note` or both (an empty string removes one)".into(),
            ));
        }
        let change = LabelChange {
            label: args
                .label
                .as_deref()
                .map(|l| label::check(&self.labels, Some(l)))
                .transpose()
                .map_err(|e| ToolError::argument("label", e))?,
            note: args.note.as_deref().map(|n| label::note(Some(n))),
        };
        // A save never creates the database (opening it for writing would).
        self.read().map(drop)?;
        let mut conn = db::open_waiting(&self.database, SAVE_WAIT).map_err(ToolError::db)?;
        let saved: SavedLabel = data::save_label(&mut conn, id, &change)
            .map_err(ToolError::query)?
            .ok_or_else(|| ToolError(format!("no posting {id} is stored")))?;
        answer(&saved)
    }

    fn profile(&self) -> Answer {
        let profile = &self.config.profile;
        answer(&ProfileAnswer {
            skills: profile.skills.clone(),
            hourly_rate: profile.hourly_rate,
            fit_score: fit_score_explained(),
            labels: self.labels.clone(),
        })
    }

    fn sync_status(&self) -> Answer {
        if !self.database.exists() {
            self.read()?;
        }
        let status =
            crate::pipeline::status::read(&self.config, &self.database).map_err(ToolError::db)?;
        answer(&status)
    }

    fn market(&self, args: MarketArgs) -> Answer {
        let dimension = args.dimension.unwrap_or(Dimension::Skill);
        let period = args.period.unwrap_or(Period::Week);
        let top = limit("top", args.top, 10, MAX_ROWS)?;
        let max_chars = max_chars(args.max_chars)?;
        let until =
            day("until", args.until.as_deref())?.unwrap_or_else(|| chrono::Utc::now().date_naive());
        let since = day("since", args.since.as_deref())?
            .unwrap_or_else(|| until - chrono::Duration::days(90));
        if since > until {
            return Err(ToolError::argument("since", "must not be after `until`"));
        }
        let value = args
            .value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty());
        let conn = self.read()?;
        let rows = market_rows(&conn, dimension, value, since, until, period, top)
            .map_err(ToolError::query)?;
        drop(conn);
        let mut output = MarketAnswer {
            dimension: dimension.name(),
            period: period.name(),
            since: since.to_string(),
            until: until.to_string(),
            series: Vec::new(),
            truncated: None,
        };
        let mut used = clean::chars(&output) + 128;
        let mut left_out = 0;
        for series in rows {
            let size = clean::chars(&series) + 1;
            if used + size > max_chars {
                left_out += 1;
                continue;
            }
            used += size;
            output.series.push(series);
        }
        if left_out > 0 {
            output.truncated = Some(format!(
                "{left_out} values left out to stay within {max_chars} characters: ask for fewer (`top`), a longer `period` or a shorter range"
            ));
        }
        answer(&output)
    }

    fn query(&self, args: QueryArgs) -> Answer {
        let rows = limit("limit", args.limit, MAX_ROWS, MAX_ROWS)?;
        let max_chars = max_chars(args.max_chars)?;
        if !self.database.exists() {
            self.read()?;
        }
        let output = query::run(&self.database, &args.sql, rows as usize, max_chars)?;
        answer(&output)
    }
}

const MARKET: &str = include_str!("sql/market_stats.sql");

fn market_rows(
    conn: &duckdb::Connection,
    dimension: Dimension,
    value: Option<&str>,
    since: chrono::NaiveDate,
    until: chrono::NaiveDate,
    period: Period,
    top: u32,
) -> duckdb::Result<Vec<MarketSeries>> {
    let mut stmt = conn.prepare_cached(MARKET)?;
    let rows = stmt.query_map(
        duckdb::params![
            dimension.name(),
            value,
            since.to_string(),
            until.to_string(),
            period.name(),
            i64::from(top)
        ],
        |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                MarketPoint {
                    period: row.get(2)?,
                    postings: row.get(3)?,
                    hourly: row.get(4)?,
                    fixed: row.get(5)?,
                    median_hourly_rate: row.get(6)?,
                    median_fixed_budget: row.get(7)?,
                },
            ))
        },
    )?;
    let mut series: Vec<MarketSeries> = Vec::new();
    for row in rows {
        let (value, total, point) = row?;
        match series.last_mut() {
            Some(last) if last.value == value => last.points.push(point),
            _ => series.push(MarketSeries {
                value,
                postings: total,
                points: vec![point],
            }),
        }
    }
    Ok(series)
}

/// The fit score's formula in words: the opening comment of the shipped `fit_score` view, so
/// it is written once.
pub fn fit_score_explained() -> String {
    crate::pipeline::views::DEFAULT_VIEWS
        .iter()
        .find(|(name, _)| *name == "fit_score.sql")
        .map_or("", |(_, sql)| sql)
        .lines()
        .map_while(|line| line.strip_prefix("--"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}
