//! What the dashboard reads and writes, each through one SQL file of `sql/`: the postings list,
//! one posting, the charts' figures, and saving a label.
//!
//! Every function takes an open connection; the caller (the dashboard's pages, the MCP tools)
//! decides how the file is opened (read-only to read, read-write for a moment to save) and
//! never keeps it between requests.

use super::filter::{Filter, PAGE_SIZE, TextPlan};
use crate::activity::Activity;
use crate::pipeline::views::with_shipped_scores;
use duckdb::Connection;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const POSTINGS: &str = include_str!("sql/postings.sql");
const POSTING: &str = include_str!("sql/posting.sql");
const POSTING_LABEL: &str = include_str!("sql/posting_label.sql");
const POSTING_SKILLS: &str = include_str!("sql/posting_skills.sql");
const POSTING_SEARCHES: &str = include_str!("sql/posting_searches.sql");
const POSTING_CHANGES: &str = include_str!("sql/posting_changes.sql");
const POSTING_ACTIVITY: &str = include_str!("sql/posting_activity.sql");
const LABEL_SAVE: &str = include_str!("sql/label_save.sql");
const CHART_PER_SEARCH: &str = include_str!("sql/chart_per_search.sql");
const CHART_SKILLS: &str = include_str!("sql/chart_skills.sql");
const CHART_BUDGETS: &str = include_str!("sql/chart_budgets.sql");
const FILTER_CHOICES: &str = include_str!("sql/filter_choices.sql");

/// The one prefix a posting's link may have: nothing from the database becomes a link elsewhere.
pub const UPWORK_JOB_PREFIX: &str = "https://www.upwork.com/jobs/";

/// One posting's query, with the shipped scoring views put in: one posting is scored as it is
/// now (the list reads the scores the last sync wrote).
fn posting_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| with_shipped_scores(POSTING))
}

/// What the list and a posting's page both show of a posting. Both queries select these
/// columns in this order, from their second column on ([`Summary::read`]).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Summary {
    /// NULL once retention pruned it.
    pub title: Option<String>,
    /// HOURLY or FIXED.
    pub job_type: String,
    /// The budget's currency.
    pub currency: Option<String>,
    /// Fixed-price budget.
    pub fixed_budget: Option<f64>,
    /// Hourly range, low end.
    pub hourly_min: Option<f64>,
    /// Hourly range, high end.
    pub hourly_max: Option<f64>,
    /// ENTRY_LEVEL, INTERMEDIATE or EXPERT.
    pub experience_level: Option<String>,
    /// Proposals so far.
    pub total_applicants: Option<i64>,
    /// The client's country.
    pub client_country: Option<String>,
    /// The client's payment method is verified.
    pub client_payment_verified: Option<bool>,
    /// Hires per posted job, 0 to 1.
    pub client_hire_rate: Option<f64>,
    /// The client's total spend.
    pub client_total_spent: Option<f64>,
    /// Publication time, UTC.
    pub published_at: String,
    /// The fit_score view's score, 0-100.
    pub fit_score: Option<f64>,
    /// The client_quality view's score, 0-100.
    pub client_quality: Option<f64>,
}

impl Summary {
    /// The columns a query selects from column 1 on.
    const FIRST: usize = 1;
    /// The column after them.
    const NEXT: usize = Summary::FIRST + 15;

    fn read(row: &duckdb::Row<'_>) -> duckdb::Result<Summary> {
        let at = |n: usize| Summary::FIRST + n;
        Ok(Summary {
            title: row.get(at(0))?,
            job_type: row.get(at(1))?,
            currency: row.get(at(2))?,
            fixed_budget: row.get(at(3))?,
            hourly_min: row.get(at(4))?,
            hourly_max: row.get(at(5))?,
            experience_level: row.get(at(6))?,
            total_applicants: row.get(at(7))?,
            client_country: row.get(at(8))?,
            client_payment_verified: row.get(at(9))?,
            client_hire_rate: row.get(at(10))?,
            client_total_spent: row.get(at(11))?,
            published_at: row.get(at(12))?,
            fit_score: row.get(at(13))?,
            client_quality: row.get(at(14))?,
        })
    }

    /// The title, or what stands in for it once pruned.
    pub fn title_text(&self) -> &str {
        self.title
            .as_deref()
            .unwrap_or("(title pruned: Upwork's 24-hour rule)")
    }

    /// How it pays, in a few words.
    pub fn pay(&self) -> String {
        pay(
            &self.job_type,
            self.currency.as_deref(),
            self.fixed_budget,
            self.hourly_min,
            self.hourly_max,
        )
    }

    /// The client's hire rate in percent, or a dash.
    pub fn hire_rate(&self) -> String {
        percent(self.client_hire_rate)
    }

    /// The client's spend, short.
    pub fn spent(&self) -> String {
        self.client_total_spent
            .map_or_else(|| "–".to_string(), |s| format!("${}", money(s)))
    }

    /// The fit score, or a dash.
    pub fn fit(&self) -> String {
        self.fit_score
            .map_or_else(|| "–".to_string(), |f| format!("{f:.0}"))
    }
}

/// One row of the postings list.
#[derive(Debug, Clone, Serialize)]
pub struct PostingRow {
    /// Upwork's id.
    pub id: String,
    /// What the list shows of it.
    #[serde(flatten)]
    pub summary: Summary,
    /// The skills asked for.
    pub skills: Vec<String>,
    /// Your label.
    pub label: Option<String>,
    /// Your note.
    pub note: Option<String>,
    /// First stored by the last sync.
    pub new: bool,
    /// `https://www.upwork.com/jobs/~…`, when the stored URL is one.
    pub url: Option<String>,
    /// Its latest competition signals, when any were fetched.
    pub activity: Option<Activity>,
}

impl PostingRow {
    /// "interviewing 3 · invites 5 · client active 2 h ago", or nothing without signals.
    pub fn signals(&self) -> String {
        self.activity
            .as_ref()
            .map(|a| a.summary(chrono::Utc::now()))
            .unwrap_or_default()
    }

    /// The posting's page.
    pub fn href(&self) -> String {
        posting_href(&self.id)
    }
}

/// The path of a posting's page (ids are digits, but nothing from the database goes into a URL
/// unencoded).
pub fn posting_href(id: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    format!("/postings/{encoded}")
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "–".to_string(), |r| format!("{:.0}%", r * 100.0))
}

fn money(amount: f64) -> String {
    if amount >= 10_000.0 {
        format!("{:.0}k", amount / 1000.0)
    } else {
        format!("{amount:.0}")
    }
}

fn pay(
    job_type: &str,
    currency: Option<&str>,
    fixed: Option<f64>,
    low: Option<f64>,
    high: Option<f64>,
) -> String {
    let symbol = match currency {
        None | Some("USD") => "$".to_string(),
        Some(other) => format!("{other} "),
    };
    match (job_type, fixed, low, high) {
        ("FIXED", Some(budget), _, _) => format!("fixed {symbol}{}", money(budget)),
        ("FIXED", None, _, _) => "fixed, budget not given".into(),
        (_, _, Some(low), Some(high)) if low != high => {
            format!("hourly {symbol}{}–{}", money(low), money(high))
        }
        (_, _, Some(rate), _) | (_, _, None, Some(rate)) => {
            format!("hourly {symbol}{}", money(rate))
        }
        _ => "hourly, rate not given".into(),
    }
}

/// One page of the postings list.
#[derive(Debug, Serialize)]
pub struct PostingsPage {
    /// Postings passing the filters, on every page.
    pub total: i64,
    /// This page, 1-based.
    pub page: u32,
    /// Pages in all (at least 1).
    pub pages: u32,
    /// Postings per page.
    pub per_page: u32,
    /// This page's postings.
    pub postings: Vec<PostingRow>,
}

/// The postings list for `filter`, on its page.
pub fn postings(conn: &Connection, filter: &Filter) -> duckdb::Result<PostingsPage> {
    let offset = u64::from(filter.page.saturating_sub(1)) * u64::from(PAGE_SIZE);
    let (total, postings) = postings_window(conn, filter, PAGE_SIZE, offset)?;
    let size = i64::from(PAGE_SIZE);
    let pages = u32::try_from((total.max(1) + size - 1) / size).unwrap_or(u32::MAX);
    Ok(PostingsPage {
        total,
        page: filter.page,
        pages,
        per_page: PAGE_SIZE,
        postings,
    })
}

/// How the text index answers a text filter (db/words.rs): the text lowered by DuckDB, as
/// ILIKE lowers it, then cut as the index's words are; no text, no lookup.
pub fn text_plan(conn: &Connection, text: Option<&str>) -> duckdb::Result<TextPlan> {
    let Some(text) = text else {
        return Ok(TextPlan::default());
    };
    let lowered: String = conn
        .prepare_cached("SELECT lower(?::VARCHAR)")?
        .query_row([text], |row| row.get(0))?;
    let (tokens, exact) = crate::db::words::search_tokens(&lowered);
    Ok(TextPlan { tokens, exact })
}

/// `limit` postings passing `filter` from the `offset`-th on (in the filter's sort), with the
/// count of all that pass.
pub fn postings_window(
    conn: &Connection,
    filter: &Filter,
    limit: u32,
    offset: u64,
) -> duckdb::Result<(i64, Vec<PostingRow>)> {
    let text = text_plan(conn, filter.text.as_deref())?;
    let mut stmt = conn.prepare_cached(POSTINGS)?;
    let mut total = 0;
    let postings = stmt
        .query_map(
            duckdb::params_from_iter(filter.sql_params_window(limit, offset, &text)),
            |row| {
                let next = Summary::NEXT;
                total = row.get::<_, i64>(next + 4)?;
                let skills: String = row.get(next)?;
                Ok(PostingRow {
                    id: row.get(0)?,
                    summary: Summary::read(row)?,
                    skills: serde_json::from_str(&skills).unwrap_or_default(),
                    label: row.get(next + 1)?,
                    note: row.get(next + 2)?,
                    new: row.get(next + 3)?,
                    url: link(row.get(next + 5)?),
                    activity: Activity::read(row, next + 6)?,
                })
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;
    if postings.is_empty() && offset > 0 {
        // Past the end: the count comes with the rows, so ask for the first ones'.
        let (total, _) = postings_window(conn, filter, 1, 0)?;
        return Ok((total, Vec::new()));
    }
    Ok((total, postings))
}

/// A skill of a posting.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Skill {
    /// Upwork's name.
    pub skill: String,
    /// Its label.
    pub label: String,
    /// One of the profile's skills.
    pub mine: bool,
}

/// A search that found a posting.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Hit {
    /// The search.
    pub search: String,
    /// When it first found it, UTC.
    pub first_hit_at: String,
}

impl Hit {
    /// The postings list of this search.
    pub fn href(&self) -> String {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("search", &self.search)
            .finish();
        format!("/?{query}")
    }
}

/// A posting as one sync saw it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Change {
    /// When, UTC.
    pub observed_at: String,
    /// Proposals.
    pub total_applicants: Option<i64>,
    /// Freelancers wanted.
    pub freelancers_to_hire: Option<i64>,
    /// Fixed budget.
    pub fixed_budget: Option<f64>,
    /// Hourly range, low end.
    pub hourly_min: Option<f64>,
    /// Hourly range, high end.
    pub hourly_max: Option<f64>,
    /// Renewed at, UTC.
    pub renewed_at: Option<String>,
}

/// The stored fields of a posting (absent once strict retention deleted it).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Job {
    /// What the list shows of it too.
    #[serde(flatten)]
    pub summary: Summary,
    /// NULL once pruned.
    pub description: Option<String>,
    /// How long.
    pub duration: Option<String>,
    /// How much a week.
    pub engagement: Option<String>,
    /// Upwork's category.
    pub category: Option<String>,
    /// Freelancers wanted.
    pub freelancers_to_hire: Option<i64>,
    /// Client's city.
    pub client_city: Option<String>,
    /// Hires.
    pub client_total_hires: Option<i64>,
    /// Jobs posted.
    pub client_total_posted_jobs: Option<i64>,
    /// Average feedback, 0-5.
    pub client_total_feedback: Option<f64>,
    /// Reviews.
    pub client_total_reviews: Option<i64>,
    /// When retention pruned its text, UTC.
    pub pruned_at: Option<String>,
    /// How crowded it is, 0-100 (the fit_score view's `competition`); `None` without signals.
    pub competition: Option<f64>,
}

/// One posting with everything the dashboard knows of it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Posting {
    /// Upwork's id.
    pub id: String,
    /// `https://www.upwork.com/jobs/~…`, when the stored URL is one.
    pub url: Option<String>,
    /// The stored posting; `None` once strict retention deleted it (its label stays).
    pub job: Option<Job>,
    /// Its skills.
    pub skills: Vec<Skill>,
    /// The searches that found it.
    pub searches: Vec<Hit>,
    /// How it changed, oldest first.
    pub changes: Vec<Change>,
    /// Its competition signals, oldest first: how interest grew.
    pub activity: Vec<Activity>,
    /// Your label.
    pub label: Option<String>,
    /// Your note.
    pub note: Option<String>,
    /// When you last changed them, UTC.
    pub labelled_at: Option<String>,
}

impl Posting {
    /// Its latest competition signals in a line, or nothing without any.
    pub fn signals(&self) -> String {
        self.activity
            .last()
            .map(|a| a.summary(chrono::Utc::now()))
            .unwrap_or_default()
    }
}

fn link(url: Option<String>) -> Option<String> {
    url.filter(|u| u.starts_with(UPWORK_JOB_PREFIX) && url::Url::parse(u).is_ok())
}

/// One posting; `None` when neither it nor a label of it is stored.
pub fn posting(conn: &Connection, id: &str) -> duckdb::Result<Option<Posting>> {
    let mut stmt = conn.prepare_cached(posting_sql())?;
    let mut rows = stmt.query_map([id], |row| {
        let next = Summary::NEXT;
        Ok((
            row.get::<_, String>(next + 1)?,
            Job {
                summary: Summary::read(row)?,
                description: row.get(next)?,
                duration: row.get(next + 2)?,
                engagement: row.get(next + 3)?,
                category: row.get(next + 4)?,
                freelancers_to_hire: row.get(next + 5)?,
                client_city: row.get(next + 6)?,
                client_total_hires: row.get(next + 7)?,
                client_total_posted_jobs: row.get(next + 8)?,
                client_total_feedback: row.get(next + 9)?,
                client_total_reviews: row.get(next + 10)?,
                pruned_at: row.get(next + 11)?,
                competition: row.get(next + 12)?,
            },
        ))
    })?;
    let stored = rows.next().transpose()?;
    let labelled = conn
        .prepare_cached(POSTING_LABEL)?
        .query_map([id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, String>(3)?,
            ))
        })?
        .next()
        .transpose()?;
    let (url, job) = match (stored, &labelled) {
        (Some((url, job)), _) => (url, Some(job)),
        (None, Some((url, ..))) => (url.clone(), None),
        (None, None) => return Ok(None),
    };
    let skills = conn
        .prepare_cached(POSTING_SKILLS)?
        .query_map([id], |row| {
            Ok(Skill {
                skill: row.get(0)?,
                label: row.get(1)?,
                mine: row.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let searches = conn
        .prepare_cached(POSTING_SEARCHES)?
        .query_map([id], |row| {
            Ok(Hit {
                search: row.get(0)?,
                first_hit_at: row.get(1)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let changes = conn
        .prepare_cached(POSTING_CHANGES)?
        .query_map([id], |row| {
            Ok(Change {
                observed_at: row.get(0)?,
                total_applicants: row.get(1)?,
                freelancers_to_hire: row.get(2)?,
                fixed_budget: row.get(3)?,
                hourly_min: row.get(4)?,
                hourly_max: row.get(5)?,
                renewed_at: row.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let activity = conn
        .prepare_cached(POSTING_ACTIVITY)?
        .query_map([id], |row| Activity::read(row, 0))?
        .filter_map(Result::transpose)
        .collect::<Result<_, _>>()?;
    let (label, note, labelled_at) = match labelled {
        Some((_, label, note, at)) => (label, note, Some(at)),
        None => (None, None, None),
    };
    Ok(Some(Posting {
        id: id.to_string(),
        url: link(Some(url)),
        job,
        skills,
        searches,
        changes,
        activity,
        label,
        note,
        labelled_at,
    }))
}

/// A change to a posting's label and note; a field left `None` keeps its value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelChange {
    /// The new label: `Some(None)` clears it.
    pub label: Option<Option<String>>,
    /// The new note: `Some(None)` clears it.
    pub note: Option<Option<String>>,
}

/// A posting's label and note as saved.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SavedLabel {
    /// The posting.
    pub id: String,
    /// Its label.
    pub label: Option<String>,
    /// Its note.
    pub note: Option<String>,
    /// When, UTC.
    pub updated_at: String,
}

/// Saves a label change in one short transaction; `None` when the posting is unknown.
pub fn save_label(
    conn: &mut Connection,
    id: &str,
    change: &LabelChange,
) -> duckdb::Result<Option<SavedLabel>> {
    let tx = conn.transaction()?;
    let written = tx.execute(
        LABEL_SAVE,
        duckdb::params![
            id,
            change.label.clone().flatten(),
            change.note.clone().flatten(),
            change.label.is_some(),
            change.note.is_some()
        ],
    )?;
    tx.commit()?;
    if written == 0 {
        return Ok(None);
    }
    conn.query_row(POSTING_LABEL, [id], |row| {
        Ok(SavedLabel {
            id: id.to_string(),
            label: row.get(1)?,
            note: row.get(2)?,
            updated_at: row.get(3)?,
        })
    })
    .map(Some)
}

/// Named series of daily counts, for a line chart.
#[derive(Debug, Default, Serialize)]
pub struct DailySeries {
    /// Every day of the chart, in order (`YYYY-MM-DD`).
    pub days: Vec<String>,
    /// Each series' count per day, aligned with `days`.
    pub series: BTreeMap<String, Vec<i64>>,
}

fn daily_series(conn: &Connection, sql: &str) -> duckdb::Result<DailySeries> {
    let rows: Vec<(String, String, i64)> = conn
        .prepare_cached(sql)?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut days: Vec<String> = rows.iter().map(|(_, day, _)| day.clone()).collect();
    days.dedup();
    let mut series: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (name, day, count) in rows {
        let values = series.entry(name).or_insert_with(|| vec![0; days.len()]);
        if let Ok(at) = days.binary_search(&day) {
            values[at] = count;
        }
    }
    Ok(DailySeries { days, series })
}

/// A distribution over bands.
#[derive(Debug, Serialize)]
pub struct Bands {
    /// The bands' names, in order.
    pub bands: Vec<&'static str>,
    /// Postings per band.
    pub postings: Vec<i64>,
}

/// The charts' figures.
#[derive(Debug, Serialize)]
pub struct ChartData {
    /// Postings per day per search.
    pub per_search: DailySeries,
    /// Postings per day for the most wanted skills.
    pub skills: DailySeries,
    /// Fixed-price budgets.
    pub fixed_budgets: Bands,
    /// Hourly rates (the top of each range).
    pub hourly_rates: Bands,
}

/// The bands of `sql/chart_budgets.sql`, in its order.
const FIXED_BANDS: [&str; 5] = ["< $100", "$100–499", "$500–999", "$1k–4.9k", "$5k +"];
const HOURLY_BANDS: [&str; 6] = ["< $15", "$15–29", "$30–49", "$50–74", "$75–99", "$100 +"];

/// The charts' figures.
pub fn charts(conn: &Connection) -> duckdb::Result<ChartData> {
    let mut fixed = vec![0; FIXED_BANDS.len()];
    let mut hourly = vec![0; HOURLY_BANDS.len()];
    let rows: Vec<(String, i64, i64)> = conn
        .prepare_cached(CHART_BUDGETS)?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (kind, band, count) in rows {
        let target = if kind == "fixed" {
            &mut fixed
        } else {
            &mut hourly
        };
        if let Some(slot) = usize::try_from(band).ok().and_then(|b| target.get_mut(b)) {
            *slot = count;
        }
    }
    Ok(ChartData {
        per_search: daily_series(conn, CHART_PER_SEARCH)?,
        skills: daily_series(conn, CHART_SKILLS)?,
        fixed_budgets: Bands {
            bands: FIXED_BANDS.to_vec(),
            postings: fixed,
        },
        hourly_rates: Bands {
            bands: HOURLY_BANDS.to_vec(),
            postings: hourly,
        },
    })
}

/// The filter form's choices: searches and client countries.
pub fn choices(conn: &Connection) -> duckdb::Result<(Vec<String>, Vec<String>)> {
    let rows: Vec<(String, String)> = conn
        .prepare_cached(FILTER_CHOICES)?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let (searches, countries): (Vec<_>, Vec<_>) =
        rows.into_iter().partition(|(kind, _)| kind == "search");
    Ok((
        searches.into_iter().map(|(_, v)| v).collect(),
        countries.into_iter().map(|(_, v)| v).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pay_reads_like_a_person_would_say_it() {
        assert_eq!(
            pay("FIXED", Some("USD"), Some(500.0), None, None),
            "fixed $500"
        );
        assert_eq!(
            pay("HOURLY", None, None, Some(30.0), Some(50.0)),
            "hourly $30–50"
        );
        assert_eq!(
            pay("HOURLY", None, None, None, None),
            "hourly, rate not given"
        );
        assert_eq!(
            pay("FIXED", Some("EUR"), Some(25_000.0), None, None),
            "fixed EUR 25k"
        );
    }

    #[test]
    fn only_upwork_job_urls_become_links() {
        assert!(link(Some("https://www.upwork.com/jobs/~0123".into())).is_some());
        assert!(link(Some("javascript:alert(1)".into())).is_none());
        assert!(link(Some("https://www.upwork.com.evil.example/jobs/".into())).is_none());
        assert_eq!(posting_href("1 /x"), "/postings/1+%2Fx");
    }
}
