//! Decoding: a spooled page, or a stored node, into the rows of the staging tables, each posting
//! checked on the way. A posting that cannot be stored as it is (a missing id, an unreadable or
//! future date, an absurd amount) is quarantined with the reason, never dropped silently and
//! never allowed to fail the load's merge; the rest of its page is stored.
//!
//! The load ([`super::load`]) appends the rows and merges them; renormalize decodes stored nodes
//! through the same [`Sink::stage`].

use crate::upwork::page::parse_timestamp;
use crate::upwork::wire::{Envelope, Money, Node, SearchData, SearchResponse};
use chrono::{DateTime, Utc};
use duckdb::types::{TimeUnit, Value};
use rust_decimal::Decimal;
use std::path::Path;
use std::str::FromStr;

/// The longest title and description accepted; longer ones are quarantined as implausible.
const MAX_TITLE_CHARS: usize = 1_000;
const MAX_DESCRIPTION_BYTES: usize = 200_000;

/// The largest amount accepted per money field, in the posting's currency. Each is far above
/// anything real and below what its column holds (`DECIMAL(10,2)` for rates, `(14,2)` for
/// budgets, `(16,2)` for client spend), so one absurd number is quarantined with its posting
/// instead of failing the cast in the merge, and with it every later load of the same pages.
const MAX_HOURLY_RATE: i64 = 100_000;
const MAX_BUDGET: i64 = 1_000_000_000;
const MAX_CLIENT_SPENT: i64 = 100_000_000_000;

/// A page's rows, decoded and checked, ready for the staging tables.
#[derive(Default)]
pub struct Rows {
    pub jobs: Vec<Vec<Value>>,
    pub hits: Vec<Vec<Value>>,
    pub quarantine: Vec<Vec<Value>>,
    /// Postings staged.
    pub postings: usize,
    /// Nodes or pages set aside.
    pub quarantined: usize,
}

/// Decodes pages or nodes into [`Rows`].
pub struct Sink<'a> {
    pub rows: &'a mut Rows,
    pub run_id: &'a str,
    pub search: &'a str,
    pub page_file: &'a Path,
    /// The latest a posting's dates may be: the fetch time plus the skew.
    pub latest: DateTime<Utc>,
    pub fetched_us: i64,
    pub now: DateTime<Utc>,
    /// A posting published before this is staged already pruned, as retention would leave it
    /// (see [`super::load::CurrentRun::retention_cutoff`]): no description, raw JSON or words,
    /// its title staged for the alert queue alone.
    pub prune_before: Option<DateTime<Utc>>,
}

impl Sink<'_> {
    /// Decodes one page: its postings staged, its malformed nodes (or the page) quarantined.
    pub fn page(&mut self, body: &[u8], seq: &mut i64) {
        let edges = match serde_json::from_slice::<SearchResponse<'_>>(body) {
            Ok(Envelope {
                data: Some(SearchData { search: Some(c) }),
                ..
            }) => c.edges.unwrap_or_default(),
            Ok(_) => {
                self.quarantine(
                    None,
                    "page has no job search result",
                    &String::from_utf8_lossy(body),
                );
                return;
            }
            Err(e) => {
                self.quarantine(
                    None,
                    &format!("page is not valid JSON: {e}"),
                    &String::from_utf8_lossy(body),
                );
                return;
            }
        };
        for edge in edges {
            let Some(raw) = edge.and_then(|e| e.node) else {
                self.quarantine(None, "edge without a node", "");
                continue;
            };
            match serde_json::from_str::<Node>(raw.get()) {
                Ok(node) => match self.stage(&node, raw.get(), *seq) {
                    Ok(()) => *seq += 1,
                    Err(Reject(reason)) => {
                        self.quarantine(node.id.as_deref(), &reason, raw.get());
                    }
                },
                Err(e) => {
                    let id = serde_json::from_str::<serde_json::Value>(raw.get())
                        .ok()
                        .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_string));
                    self.quarantine(
                        id.as_deref(),
                        &format!("node does not match the schema: {e}"),
                        raw.get(),
                    );
                }
            }
        }
    }

    pub fn stage(&mut self, node: &Node, raw: &str, seq: i64) -> Result<(), Reject> {
        // 1 to 32 digits: what the text index can key (its key checks it).
        let (id, key) = node
            .id
            .as_deref()
            .and_then(|id| Some((id, crate::db::words::job_key(id)?)))
            .ok_or_else(|| reject("missing or malformed id"))?;
        let ciphertext = node
            .ciphertext
            .as_deref()
            .filter(|c| !c.is_empty() && c.len() <= 64 && !c.contains(['/', '?', '#', ' ']))
            .ok_or_else(|| reject("missing or malformed ciphertext"))?;
        let title = node
            .title
            .as_deref()
            .ok_or_else(|| reject("missing title"))?;
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(reject("title is implausibly long"));
        }
        let description = node
            .description
            .as_deref()
            .ok_or_else(|| reject("missing description"))?;
        if description.len() > MAX_DESCRIPTION_BYTES {
            return Err(reject("description is implausibly long"));
        }
        let published = node
            .published_date_time
            .as_deref()
            .and_then(parse_timestamp)
            .ok_or_else(|| reject("missing or unreadable publishedDateTime"))?;
        let created = optional_time(node.created_date_time.as_deref(), "createdDateTime")?;
        let renewed = optional_time(node.renewed_date_time.as_deref(), "renewedDateTime")?;
        // A date past the fetch would raise the search's watermark for good (fetch.rs leaves
        // such a posting out of its decisions); it is a broken posting.
        for (field, time) in [
            ("publishedDateTime", Some(published)),
            ("renewedDateTime", renewed),
        ] {
            if let Some(time) = time.filter(|t| *t > self.latest) {
                return Err(Reject(format!(
                    "{field} {} is in the future (fetched before {})",
                    time.format("%Y-%m-%dT%H:%M:%SZ"),
                    self.latest.format("%Y-%m-%dT%H:%M:%SZ")
                )));
            }
        }
        let amount = node
            .amount
            .as_ref()
            .ok_or_else(|| reject("missing amount"))?;
        let fixed = money(Some(amount), "amount", MAX_BUDGET)?.unwrap_or_default();
        // No contract type on the node: a positive amount means fixed price (API.md).
        let is_fixed = fixed > Decimal::ZERO;
        let hourly_min = money(
            node.hourly_budget_min.as_ref(),
            "hourlyBudgetMin",
            MAX_HOURLY_RATE,
        )?;
        let hourly_max = money(
            node.hourly_budget_max.as_ref(),
            "hourlyBudgetMax",
            MAX_HOURLY_RATE,
        )?;
        let weekly = money(node.weekly_budget.as_ref(), "weeklyBudget", MAX_BUDGET)?;
        let currency = amount.currency.clone().or_else(|| {
            node.hourly_budget_min
                .as_ref()
                .and_then(|m| m.currency.clone())
        });
        let client = node.client.as_ref();
        let spent = money(
            client.and_then(|c| c.total_spent.as_ref()),
            "client.totalSpent",
            MAX_CLIENT_SPENT,
        )?;
        let feedback = client.and_then(|c| c.total_feedback);
        if feedback.is_some_and(|f| !(0.0..=5.0).contains(&f)) {
            return Err(reject("client.totalFeedback is outside 0-5"));
        }
        let location = client.and_then(|c| c.location.as_ref());
        let (mut names, mut labels) = (String::new(), String::new());
        for skill in node.skills.iter().flatten().flatten() {
            let Some(name) = skill.name.as_deref().filter(|n| !n.is_empty()) else {
                continue;
            };
            if name.contains('\u{1f}') {
                return Err(reject("skill name contains a control character"));
            }
            if !names.is_empty() {
                names.push('\u{1f}');
                labels.push('\u{1f}');
            }
            names.push_str(name);
            labels.push_str(
                skill
                    .pretty_name
                    .as_deref()
                    .unwrap_or(name)
                    .replace('\u{1f}', " ")
                    .as_str(),
            );
        }
        let pruned = self.prune_before.is_some_and(|cutoff| published < cutoff);
        let (description, raw, (words, words_lowered)) = if pruned {
            (None, None, (String::new(), true))
        } else {
            let words = crate::db::words::index_words(title, description);
            (Some(description), Some(raw), words)
        };
        let text = |v: Option<&str>| Value::from(v.map(str::to_string));
        let decimal = |v: Option<Decimal>| Value::from(v.map(|d| d.to_string()));
        let int = |v: Option<i64>| Value::from(v.and_then(|v| i32::try_from(v).ok()));
        self.rows.jobs.push(vec![
            text(Some(id)),
            text(Some(ciphertext)),
            text(node.record_number.as_deref()),
            text(Some(title)),
            text(description),
            text(Some(if is_fixed { "FIXED" } else { "HOURLY" })),
            text(currency.as_deref()),
            decimal(is_fixed.then_some(fixed)),
            decimal(hourly_min),
            decimal(hourly_max),
            decimal(weekly),
            text(node.hourly_budget_type.as_deref()),
            text(node.experience_level.as_deref()),
            text(node.duration.as_deref()),
            text(node.duration_label.as_deref()),
            text(node.engagement.as_deref()),
            text(node.category.as_deref()),
            text(node.subcategory.as_deref()),
            text(
                node.occupations
                    .as_ref()
                    .and_then(|o| o.category.as_ref())
                    .and_then(|c| c.pref_label.as_deref()),
            ),
            Value::from(names),
            Value::from(labels),
            int(node.freelancers_to_hire),
            int(node.total_applicants),
            Value::from(node.premium),
            Value::from(node.enterprise),
            Value::from(created.map(|t| t.timestamp_micros())),
            Value::from(published.timestamp_micros()),
            Value::from(renewed.map(|t| t.timestamp_micros())),
            text(location.and_then(|l| l.country.as_deref())),
            text(location.and_then(|l| l.city.as_deref())),
            text(location.and_then(|l| l.timezone.as_deref())),
            int(client.and_then(|c| c.total_hires)),
            int(client.and_then(|c| c.total_posted_jobs)),
            decimal(spent),
            text(client.and_then(|c| c.verification_status.as_deref())),
            int(client.and_then(|c| c.total_reviews)),
            Value::from(feedback),
            Value::from(self.fetched_us),
            Value::from(seq),
            text(raw),
            text(Some(self.run_id)),
            Value::from(words),
            Value::from(words_lowered),
            Value::from(pruned),
            Value::from(key),
        ]);
        self.rows.hits.push(vec![
            text(Some(self.search)),
            text(Some(id)),
            Value::from(self.fetched_us),
            text(Some(self.run_id)),
        ]);
        self.rows.postings += 1;
        Ok(())
    }

    pub fn quarantine(&mut self, id: Option<&str>, reason: &str, raw: &str) {
        tracing::warn!(
            stage = "load",
            search = self.search,
            job_id = id.unwrap_or("?"),
            reason,
            "quarantined a malformed posting"
        );
        self.rows.quarantine.push(vec![
            Value::from(self.run_id.to_string()),
            Value::from(self.search.to_string()),
            Value::from(self.page_file.display().to_string()),
            Value::from(id.map(str::to_string)),
            Value::from(reason.to_string()),
            Value::from(truncate(raw, 16_384).to_string()),
            Value::Timestamp(TimeUnit::Microsecond, self.now.timestamp_micros()),
        ]);
        self.rows.quarantined += 1;
    }
}

/// Why a node cannot be stored.
pub struct Reject(pub String);

fn reject(reason: &str) -> Reject {
    Reject(reason.to_string())
}

fn optional_time(text: Option<&str>, field: &str) -> Result<Option<DateTime<Utc>>, Reject> {
    match text {
        None => Ok(None),
        Some(t) => parse_timestamp(t)
            .map(Some)
            .ok_or_else(|| Reject(format!("unreadable {field}"))),
    }
}

fn money(value: Option<&Money>, field: &str, max: i64) -> Result<Option<Decimal>, Reject> {
    let Some(raw) = value.and_then(|m| m.raw_value.as_deref()) else {
        return Ok(None);
    };
    let amount = Decimal::from_str(raw.trim())
        .map_err(|_| Reject(format!("{field}.rawValue is not a number")))?;
    if amount.is_sign_negative() || amount > Decimal::from(max) {
        return Err(Reject(format!(
            "{field}.rawValue {raw} is out of range (0 to {max})"
        )));
    }
    Ok(Some(amount.round_dp(2)))
}

fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money_of(raw: &str) -> Money {
        Money {
            raw_value: Some(raw.to_string()),
            currency: Some("USD".to_string()),
        }
    }

    #[test]
    fn money_is_kept_to_the_cent_and_absurd_or_broken_amounts_are_refused() {
        assert_eq!(money(None, "amount", 100).ok(), Some(None));
        assert_eq!(
            money(Some(&money_of(" 12.3 ")), "amount", 100).ok(),
            Some(Some(Decimal::from_str("12.30").expect("decimal")))
        );
        let over = money(Some(&money_of("100.01")), "amount", 100).err();
        assert!(over.is_some_and(|Reject(r)| r.contains("out of range (0 to 100)")));
        let negative = money(Some(&money_of("-1")), "amount", 100).err();
        assert!(negative.is_some_and(|Reject(r)| r.contains("out of range")));
        let text = money(Some(&money_of("$5")), "weeklyBudget", 100).err();
        assert!(text.is_some_and(|Reject(r)| r == "weeklyBudget.rawValue is not a number"));
    }

    #[test]
    fn an_optional_date_is_absent_read_or_refused() {
        assert_eq!(optional_time(None, "createdDateTime").ok(), Some(None));
        let read = optional_time(Some("2025-10-16T06:06:47.123Z"), "createdDateTime").ok();
        assert_eq!(read.flatten().map(|t| t.timestamp()), Some(1_760_594_807));
        let refused = optional_time(Some("yesterday"), "renewedDateTime").err();
        assert!(refused.is_some_and(|Reject(r)| r == "unreadable renewedDateTime"));
    }

    #[test]
    fn truncation_never_splits_a_character() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("héllo", 3), "hé");
        assert_eq!(truncate("abc", 10), "abc");
    }

    fn node(id: &str, published: &str) -> serde_json::Value {
        serde_json::json!({
            "id": id,
            "ciphertext": format!("~01{id}"),
            "title": "Rust developer",
            "description": "Build a pipeline",
            "publishedDateTime": published,
            "amount": { "rawValue": "0.0", "currency": "USD" },
            "hourlyBudgetMax": { "rawValue": "60", "currency": "USD" },
            "skills": [{ "name": "rust", "prettyName": "Rust" }],
        })
    }

    fn decode(body: &[u8]) -> Rows {
        let mut rows = Rows::default();
        let now = Utc::now();
        let mut sink = Sink {
            rows: &mut rows,
            run_id: "run",
            search: "rust",
            page_file: Path::new("page.json"),
            latest: now,
            fetched_us: now.timestamp_micros(),
            now,
            prune_before: None,
        };
        sink.page(body, &mut 0);
        rows
    }

    #[test]
    fn a_page_stores_its_good_postings_and_quarantines_the_rest_with_the_reason() {
        let page = serde_json::json!({ "data": { "marketplaceJobPostingsSearch": { "edges": [
            { "node": node("1001", "2025-10-16T06:06:47Z") },
            { "node": node("", "2025-10-16T06:06:47Z") },
            { "node": node("1003", "2999-01-01T00:00:00Z") },
            { "node": null },
        ] } } });
        let rows = decode(page.to_string().as_bytes());
        assert_eq!((rows.postings, rows.quarantined), (1, 3));
        assert_eq!(rows.jobs.len(), 1);
        assert_eq!(rows.jobs[0][0], Value::from("1001".to_string()));
        assert_eq!(rows.hits.len(), 1);
        let reasons: Vec<String> = rows
            .quarantine
            .iter()
            .map(|row| match &row[4] {
                Value::Text(reason) => reason.clone(),
                other => panic!("reason {other:?}"),
            })
            .collect();
        assert_eq!(reasons[0], "missing or malformed id");
        assert!(reasons[1].starts_with("publishedDateTime 2999-01-01T00:00:00Z is in the future"));
        assert_eq!(reasons[2], "edge without a node");
    }

    #[test]
    fn a_page_that_is_not_a_search_result_is_quarantined_whole() {
        let rows = decode(b"<html>captive portal</html>");
        assert_eq!((rows.postings, rows.quarantined), (0, 1));
        let rows = decode(br#"{"data": {}}"#);
        assert_eq!((rows.postings, rows.quarantined), (0, 1));
    }
}
