//! Realism switches: the ways live Upwork answers differ from the documented ideal, each one off
//! unless a test or `upjobpilot sandbox` turns it on.
//!
//! Every behaviour here is reported in `shared/upwork/API.md`, and every one is a pure function of
//! the market seed and the posting id, so the same posting looks the same on every request and in
//! every run with the same seed:
//!
//! - [`Realism::null_rate`]: "Fields the schema marks non-null have been seen null in live
//!   responses (`totalApplicants`, `applied`). The server is graphql-java: a null in a non-null
//!   field nulls the nearest nullable parent […] and adds an `errors` entry with its `path`, while
//!   the rest of `data` is still returned" (API.md, "Value formats"). A broken posting loses one
//!   non-null field in the data; apollo-compiler's executor propagates the null by the schema and
//!   `graphql/execute.rs` words the error as graphql-java does.
//! - [`Realism::sparse_rate`]: the node fields the schema leaves nullable (budgets, duration,
//!   client location and spend, occupations, …) are often missing live: "hourly jobs: min/max set
//!   or null", "`client.verificationStatus` may be null" (API.md). Only nullable fields are
//!   nulled, so this never produces an error.
//! - [`Realism::renewals_to_top`]: "nothing public says whether [`RECENCY`] sorts by
//!   `publishedDateTime` or by renewal (`renewedDateTime`); treat the order as not strict"
//!   (API.md, "Job search"). With the switch, `RECENCY` orders by the later of the two, so a
//!   renewed old posting comes back on top with its old `publishedDateTime`. The market renews a
//!   fifth of the postings it changes (about 6 an hour at the default 30 changes an hour).
//! - [`Realism::missing_after`]: a search without `pagination_eq.after` "fails: seen as HTTP
//!   500s, and in a 2026 report as an `errors` entry "Exception occurred" (reports disagree)".
//! - [`Realism::display_value`]: "`displayValue` is also reported as `"$60.00"` (and the
//!   schema's example is `"$1.23"`)", besides the plain `"40.0"` seen in real responses.
//! - [`Realism::verification`]: "`client.verificationStatus` may be null ("VERIFIED or
//!   empty")" instead of the schema's five-value enum.
//!
//! The GraphQL resolvers render search nodes through [`Realism::search_node`] and job aggregates
//! through [`Realism::job_posting`]; the search reads `renewals_to_top` from the market, which
//! `Sandbox::start` sets from here so the ground truth tests compare against sorts the same way.

use chrono::{DateTime, Utc};
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::Value;

use crate::market::{Posting, mix};

/// How a search with `pagination_eq` but no usable `after` fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MissingAfter {
    /// The whole request fails with HTTP 500 (the older reports; the default).
    #[default]
    Http500,
    /// HTTP 200, `{"errors":[{"message":"Exception occurred",…}],"data":{"marketplaceJobPostingsSearch":null}}`
    /// (a 2026 report).
    ErrorsEntry,
}

/// How `Money.displayValue` is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DisplayValue {
    /// The same text as `rawValue`, e.g. `"40.0"` (seen in real responses; the default).
    #[default]
    Plain,
    /// Formatted as US dollars, e.g. `"$1,250.00"` (reported, and the schema's example).
    Currency,
    /// Plain or currency, chosen per posting from the seed.
    Mixed,
}

/// How `client.verificationStatus` is sent on search results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum VerificationForm {
    /// Any value of the `ClientVerificationStatus` enum, or null (the default).
    #[default]
    Enum,
    /// `"VERIFIED"`, or null for every other status.
    VerifiedOrNull,
}

/// The realism switches; [`Default`] turns them all off (the sandbox as it always answered).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Realism {
    /// Probability (0 to 1) that a posting served by search has one non-null field null.
    pub null_rate: f64,
    /// Scale (0 to 1) of how often nullable node fields come back null; each field has its own
    /// weight, so at 1 the commonly missing ones are always null and the rest often.
    pub sparse_rate: f64,
    /// `RECENCY` sorts by the later of publication and renewal instead of by publication.
    pub renewals_to_top: bool,
    /// How a search without `pagination_eq.after` fails.
    pub missing_after: MissingAfter,
    /// How `Money.displayValue` is written.
    pub display_value: DisplayValue,
    /// How `client.verificationStatus` is sent.
    pub verification: VerificationForm,
    /// Refuse a document with more than one root field (a batch of aliased searches) as a
    /// validation error: nothing public says whether Upwork accepts them.
    pub refuse_batches: bool,
}

/// A path into a search node: object keys, or list indices written as digits.
type Path = &'static [&'static str];

/// The non-null fields a broken posting may lose, with how often each is the one (relative
/// weights). The first two are the ones API.md names as seen null live.
const BREAKABLE: &[(Path, u32)] = &[
    (&["totalApplicants"], 4),
    (&["applied"], 3),
    (&["premium"], 2),
    (&["client", "totalHires"], 2),
    (&["client", "totalPostedJobs"], 2),
    (&["occupations", "category"], 2),
    (&["amount"], 1),
    (&["skills", "0", "prettyName"], 1),
];

/// The nullable node fields [`Realism::sparse_rate`] nulls, with their weights: a field is null
/// with probability `sparse_rate × weight` (at most 1). Never `renewedDateTime`: a missing renewal
/// would be a different posting, not a sparse one.
const SPARSE: &[(Path, f64)] = &[
    (&["duration"], 1.0),
    (&["durationLabel"], 1.0),
    (&["engagement"], 0.5),
    (&["category"], 0.25),
    (&["subcategory"], 0.25),
    (&["preferredFreelancerLocation"], 0.5),
    (&["preferredFreelancerLocationMandatory"], 0.5),
    (&["clientNotSureFields"], 1.0),
    (&["clientPrivateFields"], 1.0),
    (&["occupations"], 0.25),
    (&["occupations", "subCategories"], 0.5),
    (&["occupations", "occupationService"], 0.5),
    (&["hourlyBudgetType"], 0.5),
    (&["hourlyBudgetMin"], 1.0),
    (&["hourlyBudgetMax"], 1.0),
    (&["weeklyBudget"], 1.5),
    (&["engagementDuration"], 1.0),
    (&["relevance", "publishTime"], 0.5),
    (&["client", "totalSpent"], 1.5),
    (&["client", "verificationStatus"], 1.0),
    (&["client", "location"], 0.25),
    (&["client", "location", "city"], 2.0),
    (&["client", "location", "state"], 2.0),
    (&["client", "location", "country"], 0.25),
    (&["client", "location", "timezone"], 1.0),
    (&["client", "location", "offsetToUTC"], 1.0),
];

/// Weight of each `skills` entry (the list's items are nullable).
const SPARSE_SKILL_WEIGHT: f64 = 0.25;

const SALT_BREAK: u64 = 0x0042_5245_414B;
const SALT_BREAK_FIELD: u64 = 0x0046_4945_4C44;
const SALT_SPARSE: u64 = 0x5350_4152_5345;
const SALT_SPARSE_SKILL: u64 = 0x0053_4B49_4C4C;
const SALT_DISPLAY: u64 = 0x4449_5350;

impl Realism {
    /// Every switch off: what [`Default`] gives.
    pub fn none() -> Realism {
        Realism::default()
    }

    /// The search node of `posting` (its `MarketplaceJobPostingSearchResult` JSON) as this
    /// sandbox serves it, for a market with this `seed`.
    pub(crate) fn search_node(&self, seed: u64, posting: &Posting) -> Value {
        let mut node = posting.to_node();
        let key = posting_key(posting);
        if self.sparse_rate > 0.0 {
            self.sparsify(seed, key, &mut node);
        }
        if self.verification == VerificationForm::VerifiedOrNull
            && let Some(status) = slot(&mut node, &["client", "verificationStatus"])
            && status.as_str() != Some("VERIFIED")
        {
            *status = Value::Null;
        }
        self.write_display_values(seed, key, &mut node);
        if let Some(path) = self.broken_field(seed, posting) {
            set_null(&mut node, path);
        }
        node
    }

    /// The `MarketplaceJobPosting` aggregate of `posting` at `now` as this sandbox serves it.
    pub(crate) fn job_posting(&self, seed: u64, posting: &Posting, now: DateTime<Utc>) -> Value {
        let mut job = posting.to_job_posting(now);
        self.write_display_values(seed, posting_key(posting), &mut job);
        job
    }

    /// The non-null field this posting's search node loses, if it is one of the broken ones.
    pub(crate) fn broken_field(&self, seed: u64, posting: &Posting) -> Option<Path> {
        let key = posting_key(posting);
        if unit(seed ^ SALT_BREAK, key, 0) >= self.null_rate {
            return None;
        }
        let total: u32 = BREAKABLE.iter().map(|(_, w)| w).sum();
        let mut pick = (mix(seed ^ SALT_BREAK_FIELD, key) % u64::from(total)) as u32;
        for (path, weight) in BREAKABLE {
            if pick < *weight {
                return Some(path);
            }
            pick -= weight;
        }
        None
    }

    fn sparsify(&self, seed: u64, key: u64, node: &mut Value) {
        for (i, (path, weight)) in SPARSE.iter().enumerate() {
            if unit(seed ^ SALT_SPARSE, key, i as u64) < self.sparse_rate * weight {
                set_null(node, path);
            }
        }
        if let Some(Value::Array(skills)) = node.get_mut("skills") {
            for (i, skill) in skills.iter_mut().enumerate() {
                let chance = self.sparse_rate * SPARSE_SKILL_WEIGHT;
                if unit(seed ^ SALT_SPARSE_SKILL, key, i as u64) < chance {
                    *skill = Value::Null;
                }
            }
        }
    }

    fn write_display_values(&self, seed: u64, key: u64, value: &mut Value) {
        let currency = match self.display_value {
            DisplayValue::Plain => return,
            DisplayValue::Currency => true,
            DisplayValue::Mixed => mix(seed ^ SALT_DISPLAY, key) & 1 == 1,
        };
        if currency {
            to_currency_display(value);
        }
    }
}

/// A posting's numeric id, the key of its random choices.
fn posting_key(posting: &Posting) -> u64 {
    posting.id.parse().unwrap_or(0)
}

/// A number in [0, 1) drawn from the seed, the posting and a field number.
fn unit(seed: u64, key: u64, field: u64) -> f64 {
    (mix(mix(seed, key), field) >> 11) as f64 / (1u64 << 53) as f64
}

/// The value at `path` (object keys, list indices as digits), if every step exists.
fn slot<'v>(value: &'v mut Value, path: &[&str]) -> Option<&'v mut Value> {
    path.iter().try_fold(value, |at, step| match at {
        Value::Object(map) => map.get_mut(*step),
        Value::Array(items) => step.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
        _ => None,
    })
}

/// Nulls the value at `path` when it exists (a parent already null leaves nothing to null).
fn set_null(value: &mut Value, path: &[&str]) {
    if let Some(at) = slot(value, path) {
        *at = Value::Null;
    }
}

/// Rewrites every `Money` object under `value` with a US-dollar `displayValue`.
fn to_currency_display(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let formatted = match (map.get("rawValue"), map.get("displayValue")) {
                (Some(Value::String(raw)), Some(Value::String(_))) => dollars(raw),
                _ => None,
            };
            if let Some(text) = formatted {
                map.insert("displayValue".to_owned(), Value::String(text));
            }
            map.values_mut().for_each(to_currency_display);
        }
        Value::Array(items) => items.iter_mut().for_each(to_currency_display),
        _ => {}
    }
}

/// A decimal amount written as US dollars: `$`, thousands separated by commas, two decimals.
fn dollars(raw: &str) -> Option<String> {
    let amount: Decimal = raw.parse().ok()?;
    let cents = (amount.round_dp(2) * Decimal::ONE_HUNDRED).to_i128()?;
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let whole = (cents / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    Some(format!("{sign}${grouped}.{:02}", cents % 100))
}

/// A value for a realism flag that is not one of its forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value `{value}` (expected {expected})")]
pub struct ParseFormError {
    value: String,
    expected: &'static str,
}

fn parse_form<T: Copy>(
    text: &str,
    forms: &[(&str, T)],
    expected: &'static str,
) -> Result<T, ParseFormError> {
    forms
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(text.trim()))
        .map(|(_, form)| *form)
        .ok_or_else(|| ParseFormError {
            value: text.to_owned(),
            expected,
        })
}

const MISSING_AFTER_FORMS: [(&str, MissingAfter); 2] = [
    ("500", MissingAfter::Http500),
    ("errors", MissingAfter::ErrorsEntry),
];
const DISPLAY_VALUE_FORMS: [(&str, DisplayValue); 3] = [
    ("plain", DisplayValue::Plain),
    ("currency", DisplayValue::Currency),
    ("mixed", DisplayValue::Mixed),
];
const VERIFICATION_FORMS: [(&str, VerificationForm); 2] = [
    ("enum", VerificationForm::Enum),
    ("verified-or-null", VerificationForm::VerifiedOrNull),
];

fn form_name<T: PartialEq>(forms: &[(&'static str, T)], form: &T) -> &'static str {
    forms
        .iter()
        .find(|(_, f)| f == form)
        .map_or("", |(name, _)| *name)
}

/// Reads the `--missing-after` syntax: `500` or `errors`.
impl FromStr for MissingAfter {
    type Err = ParseFormError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_form(text, &MISSING_AFTER_FORMS, "500 or errors")
    }
}

/// Prints the `--missing-after` syntax.
impl fmt::Display for MissingAfter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(form_name(&MISSING_AFTER_FORMS, self))
    }
}

/// Reads the `--display-value` syntax: `plain`, `currency` or `mixed`.
impl FromStr for DisplayValue {
    type Err = ParseFormError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_form(text, &DISPLAY_VALUE_FORMS, "plain, currency or mixed")
    }
}

/// Prints the `--display-value` syntax.
impl fmt::Display for DisplayValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(form_name(&DISPLAY_VALUE_FORMS, self))
    }
}

/// Reads the `--verification` syntax: `enum` or `verified-or-null`.
impl FromStr for VerificationForm {
    type Err = ParseFormError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_form(text, &VERIFICATION_FORMS, "enum or verified-or-null")
    }
}

/// Prints the `--verification` syntax.
impl fmt::Display for VerificationForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(form_name(&VERIFICATION_FORMS, self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graphql::schema::schema;
    use crate::market::{Market, MarketConfig};
    use apollo_compiler::ast::Type;

    fn market() -> Market {
        Market::new(MarketConfig {
            seed: 5,
            initial_postings: 200,
            ..MarketConfig::default()
        })
    }

    /// The declared type of the field at `path` below a search node (list indices skipped).
    fn field_type(path: &[&str]) -> Type {
        let mut owner = "MarketplaceJobPostingSearchResult".to_owned();
        let mut found = None;
        for step in path.iter().filter(|s| s.parse::<usize>().is_err()) {
            let Some(object) = schema().get_object(owner.as_str()) else {
                panic!("{owner} is not an object type");
            };
            let Some(field) = object.fields.get(*step) else {
                panic!("{owner} has no field {step}");
            };
            owner = field.ty.inner_named_type().to_string();
            found = Some(field.ty.clone());
        }
        found.unwrap_or_else(|| panic!("empty path"))
    }

    #[test]
    fn breakable_fields_are_non_null_and_sparse_ones_nullable_in_the_schema() {
        for (path, _) in BREAKABLE {
            assert!(field_type(path).is_non_null(), "{path:?} must be non-null");
        }
        for (path, _) in SPARSE {
            assert!(!field_type(path).is_non_null(), "{path:?} must be nullable");
        }
        let skills = field_type(&["skills"]);
        assert!(
            matches!(skills.item_type(), Type::Named(_)),
            "skills items are nullable"
        );
    }

    #[test]
    fn switched_off_realism_serves_the_plain_node() {
        let market = market();
        let realism = Realism::none();
        for posting in market.postings().iter().take(50) {
            assert_eq!(realism.search_node(5, posting), posting.to_node());
            let now = market.now();
            assert_eq!(
                realism.job_posting(5, posting, now),
                posting.to_job_posting(now)
            );
        }
    }

    #[test]
    fn each_posting_breaks_the_same_way_every_time_and_about_as_often_as_asked() {
        let market = market();
        let realism = Realism {
            null_rate: 0.3,
            ..Realism::none()
        };
        let broken = market
            .postings()
            .iter()
            .filter(|p| realism.broken_field(5, p).is_some())
            .count();
        assert!((30..=90).contains(&broken), "{broken} of 200 broken");
        for posting in market.postings() {
            assert_eq!(
                realism.broken_field(5, posting),
                realism.broken_field(5, posting)
            );
            assert_eq!(
                realism.search_node(5, posting),
                realism.search_node(5, posting)
            );
        }
        let other_seed = market
            .postings()
            .iter()
            .filter(|p| realism.broken_field(5, p) != realism.broken_field(6, p))
            .count();
        assert!(other_seed > 0, "the seed picks the broken postings");
    }

    #[test]
    fn dollars_have_a_sign_separators_and_cents() {
        assert_eq!(dollars("0.0").as_deref(), Some("$0.00"));
        assert_eq!(dollars("40.0").as_deref(), Some("$40.00"));
        assert_eq!(dollars("12.5").as_deref(), Some("$12.50"));
        assert_eq!(dollars("1234.567").as_deref(), Some("$1,234.57"));
        assert_eq!(dollars("1000000").as_deref(), Some("$1,000,000.00"));
        assert_eq!(dollars("x"), None);
    }

    #[test]
    fn flag_values_read_back_what_they_print() {
        for form in [MissingAfter::Http500, MissingAfter::ErrorsEntry] {
            assert_eq!(form.to_string().parse(), Ok(form));
        }
        for form in [
            DisplayValue::Plain,
            DisplayValue::Currency,
            DisplayValue::Mixed,
        ] {
            assert_eq!(form.to_string().parse(), Ok(form));
        }
        for form in [VerificationForm::Enum, VerificationForm::VerifiedOrNull] {
            assert_eq!(form.to_string().parse(), Ok(form));
        }
        assert_eq!(
            "502".parse::<MissingAfter>().map_err(|e| e.to_string()),
            Err("unknown value `502` (expected 500 or errors)".to_owned())
        );
    }
}
