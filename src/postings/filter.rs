//! The postings list's filters and sort, read from the URL's query string (so a filtered list
//! can be bookmarked) and turned into the parameters of `sql/postings.sql`, its text looked up
//! in the text index as [`TextPlan`] says.
//!
//! Every value is checked here: a value that cannot mean anything (a rate that is not a number,
//! an unknown sort) is a 400 naming the parameter, never a query error. Empty values mean "not
//! set", as an HTML form sends them.

use duckdb::types::Value;
use serde::Serialize;

/// Postings per page.
pub const PAGE_SIZE: u32 = 50;

/// One parameter that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("query parameter `{name}`: {problem}")]
pub struct FilterError {
    /// The parameter.
    pub name: String,
    /// What is wrong with it.
    pub problem: String,
}

/// The filters, sort and page of the postings list.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Filter {
    /// Found by this search.
    pub search: Option<String>,
    /// `any`, `none`, or a label; unset shows everything but ignored postings.
    pub label: Option<String>,
    /// Words in the title or (while retained) the description.
    pub text: Option<String>,
    /// `hourly` or `fixed`.
    pub job_type: Option<String>,
    /// Hourly jobs whose top rate reaches this (USD).
    pub rate_min: Option<f64>,
    /// Hourly jobs whose lowest rate is at most this.
    pub rate_max: Option<f64>,
    /// Fixed-price jobs with at least this budget.
    pub budget_min: Option<f64>,
    /// Fixed-price jobs with at most this budget.
    pub budget_max: Option<f64>,
    /// Asking for this skill (Upwork's name or its label, any case).
    pub skill: Option<String>,
    /// `entry_level`, `intermediate` or `expert`.
    pub experience: Option<String>,
    /// Only clients whose payment is verified.
    pub verified: bool,
    /// Client hire rate at least, in percent.
    pub hire_rate_min: Option<f64>,
    /// Client spent at least (USD).
    pub spend_min: Option<f64>,
    /// Client country.
    pub country: Option<String>,
    /// At most this many proposals so far.
    pub proposals_max: Option<i64>,
    /// Fit score at least (0-100).
    pub fit_min: Option<f64>,
    /// Published on or after this day (`YYYY-MM-DD`, UTC).
    pub since: Option<String>,
    /// `date` (the default), `fit`, `budget` or `client`.
    pub sort: String,
    /// 1-based.
    pub page: u32,
}

/// How the text index answers the text filter (`db/words.rs`): the default looks nothing
/// up, and the text is matched with ILIKE in every posting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextPlan {
    /// The text's tokens to look up in the index, space-separated; `None` when none narrows.
    pub tokens: Option<String>,
    /// Whether the postings the index finds are exactly the ILIKE's matches (no ILIKE needed).
    pub exact: bool,
}

/// The sort orders, as the form offers them.
pub const SORTS: [(&str, &str); 4] = [
    ("date", "newest"),
    ("fit", "fit score"),
    ("budget", "budget"),
    ("client", "client quality"),
];

/// The experience levels, as stored and as the form offers them.
pub const EXPERIENCE: [(&str, &str); 3] = [
    ("entry_level", "entry level"),
    ("intermediate", "intermediate"),
    ("expert", "expert"),
];

impl Filter {
    /// The list's defaults: every posting but ignored ones, newest first, page 1.
    pub fn new() -> Filter {
        Filter {
            sort: "date".into(),
            page: 1,
            ..Filter::default()
        }
    }

    /// Reads a query string (`a=1&b=2`, without the `?`).
    pub fn parse(query: &str, labels: &[String]) -> Result<Filter, FilterError> {
        let mut filter = Filter::new();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            filter.set(&name, &value, labels)?;
        }
        Ok(filter)
    }

    /// Sets the filter `name` (the query string's name) to `value`, checked; an empty value
    /// leaves it unset, an unknown name is ignored, like any web page does (old bookmarks keep
    /// working).
    pub fn set(&mut self, name: &str, value: &str, labels: &[String]) -> Result<(), FilterError> {
        let filter = self;
        let value = value.trim();
        if value.is_empty() {
            return Ok(());
        }
        let text = || Some(value.to_string());
        let bad = |problem: &str| FilterError {
            name: name.to_string(),
            problem: problem.to_string(),
        };
        let number = || -> Result<Option<f64>, FilterError> {
            value
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .map(Some)
                .ok_or_else(|| bad("must be a number, 0 or more"))
        };
        match name {
            "search" => filter.search = text(),
            "label" => {
                if value != "any" && value != "none" && !labels.iter().any(|l| l == value) {
                    return Err(bad("must be any, none or one of the labels"));
                }
                filter.label = text();
            }
            "q" => filter.text = text(),
            "type" => match value {
                "hourly" | "fixed" => filter.job_type = text(),
                _ => return Err(bad("must be hourly or fixed")),
            },
            "rate_min" => filter.rate_min = number()?,
            "rate_max" => filter.rate_max = number()?,
            "budget_min" => filter.budget_min = number()?,
            "budget_max" => filter.budget_max = number()?,
            "skill" => filter.skill = text(),
            "experience" => {
                if !EXPERIENCE.iter().any(|(v, _)| *v == value) {
                    return Err(bad("must be entry_level, intermediate or expert"));
                }
                filter.experience = text();
            }
            "verified" => filter.verified = matches!(value, "1" | "true" | "on" | "yes"),
            "hire_rate_min" => filter.hire_rate_min = number()?,
            "spend_min" => filter.spend_min = number()?,
            "country" => filter.country = text(),
            "proposals_max" => {
                filter.proposals_max = Some(
                    value
                        .parse::<i64>()
                        .ok()
                        .filter(|n| *n >= 0)
                        .ok_or_else(|| bad("must be a whole number, 0 or more"))?,
                )
            }
            "fit_min" => filter.fit_min = number()?,
            "since" => {
                if chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_err() {
                    return Err(bad("must be a date like 2026-01-31"));
                }
                filter.since = text();
            }
            "sort" => {
                if !SORTS.iter().any(|(v, _)| *v == value) {
                    return Err(bad("must be date, fit, budget or client"));
                }
                filter.sort = value.to_string();
            }
            "page" => {
                filter.page = value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=1_000_000).contains(n))
                    .ok_or_else(|| bad("must be a page number from 1"))?
            }
            _ => {}
        }
        Ok(())
    }

    /// The parameters of `sql/postings.sql` for this filter's page, in order, its text looked
    /// up as `text` says.
    pub fn sql_params(&self, text: &TextPlan) -> Vec<Value> {
        let offset = u64::from(self.page.saturating_sub(1)) * u64::from(PAGE_SIZE);
        self.sql_params_window(PAGE_SIZE, offset, text)
    }

    /// The parameters of `sql/postings.sql` for `limit` postings from the `offset`-th on (the
    /// page number aside), in order, its text looked up as `text` says.
    pub fn sql_params_window(&self, limit: u32, offset: u64, text_plan: &TextPlan) -> Vec<Value> {
        let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::Text);
        let number = |v: Option<f64>| v.map_or(Value::Null, Value::Double);
        vec![
            text(&self.search),
            text(&self.label),
            if text_plan.exact {
                Value::Null
            } else {
                text(&self.text)
            },
            text(&self.job_type.as_ref().map(|t| t.to_ascii_uppercase())),
            number(self.rate_min),
            number(self.rate_max),
            number(self.budget_min),
            number(self.budget_max),
            text(&self.skill),
            text(&self.experience.as_ref().map(|t| t.to_ascii_uppercase())),
            if self.verified {
                Value::Boolean(true)
            } else {
                Value::Null
            },
            number(self.hire_rate_min.map(|p| p / 100.0)),
            number(self.spend_min),
            text(&self.country),
            self.proposals_max.map_or(Value::Null, Value::BigInt),
            number(self.fit_min),
            text(&self.since.as_ref().map(|d| format!("{d} 00:00:00"))),
            Value::Text(self.sort.clone()),
            Value::BigInt(i64::from(limit)),
            Value::BigInt(i64::try_from(offset).unwrap_or(i64::MAX)),
            text(&text_plan.tokens),
        ]
    }

    /// The query string that gives this list on page `page`.
    pub fn query_for_page(&self, page: u32) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        let mut pair = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                out.append_pair(name, &value);
            }
        };
        let number = |n: Option<f64>| n.map(|n| n.to_string());
        pair("search", self.search.clone());
        pair("label", self.label.clone());
        pair("q", self.text.clone());
        pair("type", self.job_type.clone());
        pair("rate_min", number(self.rate_min));
        pair("rate_max", number(self.rate_max));
        pair("budget_min", number(self.budget_min));
        pair("budget_max", number(self.budget_max));
        pair("skill", self.skill.clone());
        pair("experience", self.experience.clone());
        pair("verified", self.verified.then(|| "1".to_string()));
        pair("hire_rate_min", number(self.hire_rate_min));
        pair("spend_min", number(self.spend_min));
        pair("country", self.country.clone());
        pair("proposals_max", self.proposals_max.map(|n| n.to_string()));
        pair("fit_min", number(self.fit_min));
        pair("since", self.since.clone());
        pair("sort", (self.sort != "date").then(|| self.sort.clone()));
        pair("page", (page > 1).then(|| page.to_string()));
        out.finish()
    }

    /// A form field's current value, for the template.
    pub fn field(&self, name: &str) -> String {
        let number = |n: Option<f64>| n.map(|n| n.to_string()).unwrap_or_default();
        match name {
            "search" => self.search.clone().unwrap_or_default(),
            "label" => self.label.clone().unwrap_or_default(),
            "q" => self.text.clone().unwrap_or_default(),
            "type" => self.job_type.clone().unwrap_or_default(),
            "rate_min" => number(self.rate_min),
            "rate_max" => number(self.rate_max),
            "budget_min" => number(self.budget_min),
            "budget_max" => number(self.budget_max),
            "skill" => self.skill.clone().unwrap_or_default(),
            "experience" => self.experience.clone().unwrap_or_default(),
            "hire_rate_min" => number(self.hire_rate_min),
            "spend_min" => number(self.spend_min),
            "country" => self.country.clone().unwrap_or_default(),
            "proposals_max" => self
                .proposals_max
                .map(|n| n.to_string())
                .unwrap_or_default(),
            "fit_min" => number(self.fit_min),
            "since" => self.since.clone().unwrap_or_default(),
            "sort" => self.sort.clone(),
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        vec!["saved".into(), "ignored".into()]
    }

    #[test]
    fn a_query_string_round_trips_through_the_page_links() {
        let query = "search=rust&label=saved&q=tokio+axum&type=hourly&rate_min=40&verified=1&since=2026-01-31&sort=fit&page=3";
        let filter = Filter::parse(query, &labels()).expect("valid");
        assert_eq!(filter.text.as_deref(), Some("tokio axum"));
        assert_eq!(filter.page, 3);
        let again = Filter::parse(&filter.query_for_page(3), &labels()).expect("valid");
        assert_eq!(again, filter);
        assert!(!filter.query_for_page(1).contains("page="));
        assert_eq!(filter.sql_params(&TextPlan::default()).len(), 21);
    }

    #[test]
    fn a_value_that_means_nothing_names_its_parameter() {
        for (query, name) in [
            ("rate_min=abc", "rate_min"),
            ("sort=random", "sort"),
            ("label=mine", "label"),
            ("since=yesterday", "since"),
            ("page=0", "page"),
        ] {
            let error = Filter::parse(query, &labels()).expect_err(query);
            assert_eq!(error.name, name);
        }
        assert_eq!(
            Filter::parse("rate_min=&whatever=1", &labels()).expect("empty is unset"),
            Filter::parse("", &labels()).expect("empty")
        );
    }
}
