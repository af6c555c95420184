//! Job search over the synthetic market, with the semantics `upwork/API.md` documents.
//!
//! The GraphQL layer validates a `marketplaceJobPostingsSearch` call against the schema, hands the
//! `marketPlaceJobFilter` argument (as JSON) to [`Filter::from_json`] and the `sortAttributes`
//! fields to [`SortField::from_name`], then calls [`Market::search`], which returns every open
//! posting that matches, in sort order. Paging (`pagination_eq`, caps, cursors) stays with the
//! server; the filter only carries the parsed [`Pagination`].
//!
//! Text matching works on words, as Lucene's standard analyzer does: text and query are split into
//! runs of letters and digits, compared case-insensitively, and a term matches where its words
//! appear consecutively. So `rust` matches "Rust," but not "trust", `node.js` matches "Node.js",
//! and the phrase `"react native"` matches the skill `react-native`. `searchExpression_eq` looks at
//! the title, the description and the skills (slugs and pretty names); words are AND-ed, an
//! uppercase `OR` between two terms makes them alternatives (OR binds tighter than the implicit
//! AND), `"…"` makes a phrase, `-term` or `NOT term` excludes, `AND` and parentheses are accepted
//! and ignored. When it is set, `searchTerm_eq` is ignored.
//!
//! The server runs the same search once per page, and scanning every description for every term
//! each time would make paging through a large market slow. Posting text never changes once
//! generated, so the market keeps a [`WordIndex`]: for each word searched for, which postings
//! contain it, found by one scan and extended as postings arrive. It answers one-word terms
//! exactly; phrases are only scanned for in postings that have all their words.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use crate::market::index::{Places, WordIndex};
use crate::market::{
    ExperienceLevel, JobType, Market, Posting, SearchCache, VerificationStatus, Workload,
};

/// A parsed `MarketplaceJobPostingsSearchFilter`; `None`/`false`/empty means "no constraint".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// `searchExpression_eq`.
    pub search_expression: Option<Query>,
    /// `skillExpression_eq`: lowercased skill names or pretty names, any of which must match.
    pub skill_expression: Vec<String>,
    /// `titleExpression_eq`: terms that must all appear in the title.
    pub title_expression: Vec<Term>,
    /// `searchTerm_eq`.
    pub search_term: Option<SearchTerm>,
    /// `categoryIds_any`.
    pub category_ids: Vec<String>,
    /// `subcategoryIds_any`.
    pub subcategory_ids: Vec<String>,
    /// `occupationIds_any`.
    pub occupation_ids: Vec<String>,
    /// `ontologySkillIds_all`: skill uids the posting must all have.
    pub ontology_skill_ids: Vec<String>,
    /// `jobType_eq`.
    pub job_type: Option<JobType>,
    /// `workload_eq` (hourly jobs only; fixed-price jobs always pass).
    pub workload: Option<Workload>,
    /// `clientHiresRange_eq`, over the client's total hires.
    pub client_hires: Option<IntRange>,
    /// `budgetRange_eq` (fixed-price jobs only; hourly jobs always pass).
    pub budget: Option<IntRange>,
    /// `hourlyRate_eq` (hourly jobs only; fixed-price jobs always pass).
    pub hourly_rate: Option<IntRange>,
    /// `verifiedPaymentOnly_eq`.
    pub verified_payment_only: bool,
    /// `experienceLevel_eq`.
    pub experience_level: Option<ExperienceLevel>,
    /// `locations_any`: lowercased countries (full name or ISO-3) or cities.
    pub locations: Vec<String>,
    /// `timezone_eq`: the client's IANA time zone, lowercased.
    pub timezone: Option<String>,
    /// `enterpriseOnly_eq`.
    pub enterprise_only: bool,
    /// `proposalRange_eq`, over the posting's total applicants.
    pub proposals: Option<IntRange>,
    /// `pagination_eq`, for the server.
    pub pagination: Option<Pagination>,
}

/// An `IntRange` input: inclusive bounds, either optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IntRange {
    /// `rangeStart`.
    pub start: Option<i64>,
    /// `rangeEnd`.
    pub end: Option<i64>,
}

impl IntRange {
    /// Whether `value` lies within the bounds.
    pub fn contains(&self, value: i64) -> bool {
        self.start.is_none_or(|s| value >= s) && self.end.is_none_or(|e| value <= e)
    }

    /// Whether `[low, high]` and the range share at least one value.
    pub fn overlaps(&self, low: i64, high: i64) -> bool {
        self.start.is_none_or(|s| high >= s) && self.end.is_none_or(|e| low <= e)
    }
}

/// A `Pagination` input: `after` is an offset written as a string, `first` the page size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pagination {
    /// `after`, as sent (the server decides what a missing or bad one means).
    pub after: Option<String>,
    /// `first`.
    pub first: i64,
}

/// A `SearchTerm` input; each entry is one term (a word or a phrase).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchTerm {
    /// `andTerms_all`: all must appear.
    pub and_all: Vec<Term>,
    /// `orTerms_any`: at least one must appear.
    pub or_any: Vec<Term>,
    /// `exactTerms_any`: at least one of these phrases must appear.
    pub exact_any: Vec<Term>,
    /// `excludeTerms_any`: none may appear.
    pub exclude_any: Vec<Term>,
}

/// A search term: the lowercased words a word or phrase splits into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term(pub Vec<String>);

impl Term {
    /// The term for `text`, or `None` when it has no letters or digits.
    pub fn new(text: &str) -> Option<Term> {
        let words: Vec<String> = words(text).map(str::to_lowercase).collect();
        (!words.is_empty()).then_some(Term(words))
    }

    /// Whether the term occurs in `text` (see the module documentation).
    pub fn occurs_in(&self, text: &str) -> bool {
        let Some(first) = self.0.first() else {
            return false;
        };
        let bytes = text.as_bytes();
        match first.as_bytes().first() {
            // Fast path: only try positions whose byte can start the first word.
            Some(&b0) if b0.is_ascii() => {
                let upper = b0.to_ascii_uppercase();
                for (i, &b) in bytes.iter().enumerate() {
                    // Most candidates sit inside a word; reject those before decoding anything.
                    if (b == b0 || b == upper)
                        && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
                        && starts_word(text, i)
                        && self.matches_at(&text[i..])
                    {
                        return true;
                    }
                }
                false
            }
            _ => text
                .char_indices()
                .any(|(i, _)| starts_word(text, i) && self.matches_at(&text[i..])),
        }
    }

    /// Whether the term's words start `text`, each ending at a word boundary.
    fn matches_at(&self, text: &str) -> bool {
        let mut rest = text;
        for (k, word) in self.0.iter().enumerate() {
            if k > 0 {
                match rest.find(char::is_alphanumeric) {
                    Some(skip) if skip > 0 => rest = &rest[skip..],
                    _ => return false,
                }
            }
            let Some(len) = lowercase_prefix(rest, word) else {
                return false;
            };
            rest = &rest[len..];
            if rest.chars().next().is_some_and(char::is_alphanumeric) {
                return false;
            }
        }
        true
    }

    /// Whether the term occurs anywhere `searchExpression_eq` looks: title, description, skills.
    fn occurs_in_posting(&self, posting: &Posting) -> bool {
        self.occurs_in(&posting.title)
            || self.occurs_in(&posting.description)
            || self.occurs_in_skills(posting)
    }

    fn occurs_in_skills(&self, posting: &Posting) -> bool {
        posting
            .skills
            .iter()
            .any(|s| self.occurs_in(s.name) || self.occurs_in(s.pretty_name))
    }
}

/// Runs of letters and digits in `text`.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Whether a word starts at byte `i` of `text` (a letter or digit not preceded by one).
fn starts_word(text: &str, i: usize) -> bool {
    text[i..].chars().next().is_some_and(char::is_alphanumeric)
        && !text[..i]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
}

/// If `text` starts with `lower` compared case-insensitively, the byte length it spans in `text`.
fn lowercase_prefix(text: &str, lower: &str) -> Option<usize> {
    let mut want = lower.chars();
    for (i, c) in text.char_indices() {
        if c.is_ascii() {
            match want.next() {
                None => return Some(i),
                Some(w) if w == c.to_ascii_lowercase() => {}
                Some(_) => return None,
            }
        } else {
            let mut lowered = c.to_lowercase();
            let first = lowered.next();
            match want.next() {
                None => return Some(i),
                Some(w) if Some(w) == first => {}
                Some(_) => return None,
            }
            for l in lowered {
                if want.next() != Some(l) {
                    return None;
                }
            }
        }
    }
    want.next().is_none().then_some(text.len())
}

/// Case-insensitive equality of `text` with an already lowercased `lower`.
fn eq_lowercase(text: &str, lower: &str) -> bool {
    text.chars().flat_map(char::to_lowercase).eq(lower.chars())
}

/// A parsed `searchExpression_eq`: every clause must match (one of its alternatives), no
/// excluded term may.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    /// Clauses AND-ed together; the terms inside a clause are OR-ed.
    pub clauses: Vec<Vec<Term>>,
    /// Terms that must not occur.
    pub excluded: Vec<Term>,
}

enum Token {
    Term { term: Term, excluded: bool },
    Or,
    Not,
}

impl Query {
    /// Parses the partial Lucene syntax described in the module documentation. It never fails:
    /// an unclosed quote runs to the end, a dangling `OR` or `NOT` is ignored.
    pub fn parse(text: &str) -> Query {
        let mut query = Query::default();
        let mut previous_or = false;
        let mut negate_next = false;
        for token in tokenize(text) {
            match token {
                Token::Or => previous_or = true,
                Token::Not => negate_next = true,
                Token::Term { term, excluded } => {
                    if excluded || negate_next {
                        query.excluded.push(term);
                    } else if let Some(last) = query.clauses.last_mut().filter(|_| previous_or) {
                        last.push(term);
                    } else {
                        query.clauses.push(vec![term]);
                    }
                    previous_or = false;
                    negate_next = false;
                }
            }
        }
        query
    }

    /// Whether the posting matches the query.
    pub fn matches(&self, posting: &Posting) -> bool {
        self.matches_by(|t| t.occurs_in_posting(posting))
    }

    /// Whether the query holds, given which terms occur.
    fn matches_by(&self, occurs: impl Fn(&Term) -> bool) -> bool {
        self.clauses.iter().all(|clause| clause.iter().any(&occurs))
            && !self.excluded.iter().any(&occurs)
    }

    fn terms(&self) -> impl Iterator<Item = &Term> {
        self.clauses.iter().flatten().chain(&self.excluded)
    }
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut pos = 0;
    while let Some(c) = text[pos..].chars().next() {
        if c.is_whitespace() || c == '(' || c == ')' {
            pos += c.len_utf8();
            continue;
        }
        let mut excluded = false;
        let mut begin = pos;
        if c == '-' || c == '+' {
            begin = pos + 1;
            if text[begin..].chars().next().is_none_or(char::is_whitespace) {
                pos = begin;
                continue;
            }
            excluded = c == '-';
        }
        let (raw, quoted, end) = if text[begin..].starts_with('"') {
            let body = begin + 1;
            match text[body..].find('"') {
                Some(close) => (&text[body..body + close], true, body + close + 1),
                None => (&text[body..], true, text.len()),
            }
        } else {
            let end = text[begin..]
                .find(|ch: char| ch.is_whitespace() || matches!(ch, '"' | '(' | ')'))
                .map_or(text.len(), |e| begin + e);
            (&text[begin..end], false, end)
        };
        pos = end.max(begin);
        if !quoted && !excluded {
            match raw {
                "OR" => {
                    tokens.push(Token::Or);
                    continue;
                }
                "NOT" => {
                    tokens.push(Token::Not);
                    continue;
                }
                "AND" => continue,
                _ => {}
            }
        }
        if let Some(term) = Term::new(raw) {
            tokens.push(Token::Term { term, excluded });
        }
    }
    tokens
}

/// Splits a `titleExpression_eq` into terms: words, or quoted phrases; no operators.
fn title_terms(text: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    for (i, part) in text.split('"').enumerate() {
        if i % 2 == 1 {
            terms.extend(Term::new(part));
        } else {
            terms.extend(part.split_whitespace().filter_map(Term::new));
        }
    }
    terms
}

/// A `MarketplaceJobPostingSearchSortField`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortField {
    /// Newest `publishedDateTime` first, then higher id first; with the market's
    /// `renewals_to_top`, newest of `publishedDateTime` and `renewedDateTime` first.
    Recency,
    /// Best match of the query terms first (title over skills over description), then recency.
    Relevance,
    /// Clients who spent most first (unknown spend last), then recency.
    ClientTotalCharge,
    /// Best client feedback first, then recency.
    ClientRating,
}

impl SortField {
    /// The sort field for its schema name (`RECENCY`, …).
    pub fn from_name(name: &str) -> Option<SortField> {
        match name {
            "RECENCY" => Some(SortField::Recency),
            "RELEVANCE" => Some(SortField::Relevance),
            "CLIENT_TOTAL_CHARGE" => Some(SortField::ClientTotalCharge),
            "CLIENT_RATING" => Some(SortField::ClientRating),
            _ => None,
        }
    }
}

/// Why a filter object could not be read. GraphQL validation normally catches these first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// The filter is not an object.
    #[error("marketPlaceJobFilter must be an input object")]
    NotAnObject,
    /// A field has a value of the wrong type.
    #[error("filter field `{field}` must be {expected}")]
    WrongType {
        /// Field path, e.g. `budgetRange_eq.rangeStart`.
        field: String,
        /// What it must be.
        expected: &'static str,
    },
    /// An enum field has a value the enum does not have.
    #[error("filter field `{field}` has no value `{value}`")]
    UnknownValue {
        /// Field name.
        field: String,
        /// The value sent.
        value: String,
    },
    /// A non-null field inside an input object is missing.
    #[error("filter field `{field}` is missing `{missing}`")]
    Missing {
        /// Field name.
        field: String,
        /// The missing inner field.
        missing: &'static str,
    },
}

/// Reads typed fields out of one input object, treating `null` as absent.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    prefix: &'static str,
}

impl<'a> Fields<'a> {
    fn path(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    fn wrong(&self, name: &str, expected: &'static str) -> FilterError {
        FilterError::WrongType {
            field: self.path(name),
            expected,
        }
    }

    fn string(&self, name: &str) -> Result<Option<&'a str>, FilterError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.wrong(name, "a string")),
        }
    }

    /// A list of strings; a single string counts as a list of one, as GraphQL coerces it.
    fn strings(&self, name: &str) -> Result<Vec<&'a str>, FilterError> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![s]),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .ok_or_else(|| self.wrong(name, "a list of strings"))
                })
                .collect(),
            Some(_) => Err(self.wrong(name, "a list of strings")),
        }
    }

    fn boolean(&self, name: &str) -> Result<bool, FilterError> {
        match self.get(name) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(self.wrong(name, "a boolean")),
        }
    }

    fn int(&self, name: &str) -> Result<Option<i64>, FilterError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.wrong(name, "an integer")),
        }
    }

    fn object(&self, name: &'static str) -> Result<Option<Fields<'a>>, FilterError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Fields { map, prefix: name })),
            Some(_) => Err(self.wrong(name, "an input object")),
        }
    }

    fn range(&self, name: &'static str) -> Result<Option<IntRange>, FilterError> {
        let Some(fields) = self.object(name)? else {
            return Ok(None);
        };
        Ok(Some(IntRange {
            start: fields.int("rangeStart")?,
            end: fields.int("rangeEnd")?,
        }))
    }

    fn terms(&self, name: &str) -> Result<Vec<Term>, FilterError> {
        Ok(self
            .strings(name)?
            .into_iter()
            .filter_map(Term::new)
            .collect())
    }

    fn enumeration<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, FilterError> {
        match self.string(name)? {
            None => Ok(None),
            Some(value) => parse(value)
                .map(Some)
                .ok_or_else(|| FilterError::UnknownValue {
                    field: self.path(name),
                    value: value.to_owned(),
                }),
        }
    }
}

fn lowercase_all(items: Vec<&str>) -> Vec<String> {
    items
        .into_iter()
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

fn owned_all(items: Vec<&str>) -> Vec<String> {
    items.into_iter().map(str::to_owned).collect()
}

impl Filter {
    /// Reads a `MarketplaceJobPostingsSearchFilter` given as JSON (`null` is the empty filter).
    /// Fields the sandbox does not model (`previousClients_eq`, `ptcIds_any`, `area_eq`, …) and
    /// fields the schema does not have are ignored.
    pub fn from_json(value: &Value) -> Result<Filter, FilterError> {
        let map = match value {
            Value::Null => return Ok(Filter::default()),
            Value::Object(map) => map,
            _ => return Err(FilterError::NotAnObject),
        };
        let f = Fields { map, prefix: "" };
        let search_term = match f.object("searchTerm_eq")? {
            None => None,
            Some(t) => Some(SearchTerm {
                and_all: t.terms("andTerms_all")?,
                or_any: t.terms("orTerms_any")?,
                exact_any: t.terms("exactTerms_any")?,
                exclude_any: t.terms("excludeTerms_any")?,
            }),
        };
        let pagination = match f.object("pagination_eq")? {
            None => None,
            Some(p) => Some(Pagination {
                after: p.string("after")?.map(str::to_owned),
                first: p.int("first")?.ok_or(FilterError::Missing {
                    field: "pagination_eq".to_owned(),
                    missing: "first",
                })?,
            }),
        };
        Ok(Filter {
            search_expression: f.string("searchExpression_eq")?.map(Query::parse),
            skill_expression: match f.string("skillExpression_eq")? {
                None => Vec::new(),
                Some(text) => lowercase_all(text.split(',').collect()),
            },
            title_expression: f
                .string("titleExpression_eq")?
                .map(title_terms)
                .unwrap_or_default(),
            search_term,
            category_ids: owned_all(f.strings("categoryIds_any")?),
            subcategory_ids: owned_all(f.strings("subcategoryIds_any")?),
            occupation_ids: owned_all(f.strings("occupationIds_any")?),
            ontology_skill_ids: owned_all(f.strings("ontologySkillIds_all")?),
            job_type: f.enumeration("jobType_eq", |v| match v {
                "HOURLY" => Some(JobType::Hourly),
                "FIXED" => Some(JobType::Fixed),
                _ => None,
            })?,
            workload: f.enumeration("workload_eq", |v| {
                Workload::ALL.into_iter().find(|w| w.as_str() == v)
            })?,
            client_hires: f.range("clientHiresRange_eq")?,
            budget: f.range("budgetRange_eq")?,
            hourly_rate: f.range("hourlyRate_eq")?,
            verified_payment_only: f.boolean("verifiedPaymentOnly_eq")?,
            experience_level: f.enumeration("experienceLevel_eq", |v| match v {
                "ENTRY_LEVEL" => Some(ExperienceLevel::EntryLevel),
                "INTERMEDIATE" => Some(ExperienceLevel::Intermediate),
                "EXPERT" => Some(ExperienceLevel::Expert),
                _ => None,
            })?,
            locations: lowercase_all(f.strings("locations_any")?),
            timezone: f.string("timezone_eq")?.map(|t| t.trim().to_lowercase()),
            enterprise_only: f.boolean("enterpriseOnly_eq")?,
            proposals: f.range("proposalRange_eq")?,
            pagination,
        })
    }

    /// `pagination_eq` as `(after, first)`.
    pub fn pagination(&self) -> Option<(Option<String>, i64)> {
        self.pagination.as_ref().map(|p| (p.after.clone(), p.first))
    }

    /// Whether an open or closed posting passes every constraint (search itself skips closed ones).
    pub fn matches(&self, p: &Posting) -> bool {
        self.matches_fields(p) && self.matches_text_by(p, |t| t.occurs_in_posting(p))
    }

    /// The cheap, non-text constraints.
    fn matches_fields(&self, p: &Posting) -> bool {
        let hourly = p.job_type == JobType::Hourly;
        let client = &p.client;
        let location = &client.location;
        (self.category_ids.is_empty() || self.category_ids.iter().any(|id| id == p.category.id))
            && (self.subcategory_ids.is_empty()
                || self.subcategory_ids.iter().any(|id| id == p.subcategory.id))
            && (self.occupation_ids.is_empty()
                || self.occupation_ids.iter().any(|id| id == p.occupation.id))
            && self.job_type.is_none_or(|t| t == p.job_type)
            && self
                .workload
                .is_none_or(|w| !hourly || p.workload == Some(w))
            && self
                .budget
                .is_none_or(|r| hourly || r.contains(decimal_i64(p.amount)))
            && self.hourly_rate.is_none_or(|r| {
                !hourly
                    || match (p.hourly_min, p.hourly_max) {
                        (Some(min), Some(max)) => r.overlaps(decimal_i64(min), decimal_i64(max)),
                        _ => false,
                    }
            })
            && self
                .experience_level
                .is_none_or(|l| l == p.experience_level)
            && self
                .client_hires
                .is_none_or(|r| r.contains(i64::from(client.total_hires)))
            && self
                .proposals
                .is_none_or(|r| r.contains(i64::from(p.total_applicants)))
            && (!self.verified_payment_only
                || client.verification_status == Some(VerificationStatus::Verified))
            && (!self.enterprise_only || p.enterprise)
            && (self.locations.is_empty()
                || self.locations.iter().any(|l| {
                    eq_lowercase(location.country.name, l)
                        || eq_lowercase(location.country.iso3, l)
                        || location.city.is_some_and(|c| eq_lowercase(c, l))
                }))
            && self
                .timezone
                .as_deref()
                .is_none_or(|tz| eq_lowercase(location.timezone, tz))
            && (self.ontology_skill_ids.is_empty()
                || self
                    .ontology_skill_ids
                    .iter()
                    .all(|id| p.skills.iter().any(|s| s.id() == *id)))
            && (self.skill_expression.is_empty()
                || self.skill_expression.iter().any(|want| {
                    p.skills
                        .iter()
                        .any(|s| eq_lowercase(s.name, want) || eq_lowercase(s.pretty_name, want))
                }))
    }

    /// The text constraints: search expression (or search terms) and title expression, given
    /// which terms occur in the posting's title, description or skills.
    fn matches_text_by(&self, p: &Posting, occurs: impl Fn(&Term) -> bool) -> bool {
        let expression = match (&self.search_expression, &self.search_term) {
            (Some(query), _) => query.matches_by(&occurs),
            (None, Some(terms)) => {
                terms.and_all.iter().all(&occurs)
                    && (terms.or_any.is_empty() || terms.or_any.iter().any(&occurs))
                    && (terms.exact_any.is_empty() || terms.exact_any.iter().any(&occurs))
                    && !terms.exclude_any.iter().any(&occurs)
            }
            (None, None) => true,
        };
        expression && self.title_expression.iter().all(|t| t.occurs_in(&p.title))
    }

    /// Every term that is looked for in title, description and skills.
    fn text_terms(&self) -> Vec<&Term> {
        match (&self.search_expression, &self.search_term) {
            (Some(query), _) => query.terms().collect(),
            (None, Some(t)) => t
                .and_all
                .iter()
                .chain(&t.or_any)
                .chain(&t.exact_any)
                .chain(&t.exclude_any)
                .collect(),
            (None, None) => Vec::new(),
        }
    }

    /// The positive terms relevance is scored on.
    fn relevance_terms(&self) -> Vec<&Term> {
        let mut terms: Vec<&Term> = Vec::new();
        match (&self.search_expression, &self.search_term) {
            (Some(query), _) => terms.extend(query.clauses.iter().flatten()),
            (None, Some(t)) => terms.extend(t.and_all.iter().chain(&t.or_any).chain(&t.exact_any)),
            (None, None) => {}
        }
        terms.extend(&self.title_expression);
        terms
    }
}

/// Dollars as a whole number, for comparing against `IntRange` bounds.
fn decimal_i64(amount: rust_decimal::Decimal) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    amount.trunc().to_i64().unwrap_or(i64::MAX)
}

/// The relevance score of a posting: for each term, 3 if in the title, 2 if in the skills, 1 if
/// in the description; the skill names asked for by `skillExpression_eq` count as skills.
fn relevance(
    p: &Posting,
    fields: impl Fn(&Term) -> Places,
    terms: &[&Term],
    skills: &[String],
) -> u32 {
    let mut score = 0;
    for term in terms {
        let [title, in_skills, description] = fields(term);
        score += 3 * u32::from(title) + 2 * u32::from(in_skills) + u32::from(description);
    }
    for want in skills {
        score += 2 * u32::from(
            p.skills
                .iter()
                .any(|s| eq_lowercase(s.name, want) || eq_lowercase(s.pretty_name, want)),
        );
    }
    score
}

/// What the sort fields compare, computed once per hit.
struct SortKeys {
    score: u32,
    /// Client spend in cents; unknown spend sorts below zero.
    spent_cents: i64,
    feedback: f64,
}

impl SortKeys {
    fn new(p: &Posting, score: u32) -> SortKeys {
        use rust_decimal::prelude::ToPrimitive;
        let spent_cents = p.client.total_spent.map_or(-1, |d| {
            (d * rust_decimal::Decimal::ONE_HUNDRED)
                .trunc()
                .to_i64()
                .unwrap_or(i64::MAX)
        });
        SortKeys {
            score,
            spent_cents,
            feedback: p.client.total_feedback,
        }
    }
}

/// `RECENCY` order: by publication, or by the later of publication and renewal.
fn recency(a: &Posting, b: &Posting, renewals_to_top: bool) -> Ordering {
    let listed = if renewals_to_top {
        b.listed_at().cmp(&a.listed_at())
    } else {
        b.published.cmp(&a.published)
    };
    // Ids all have 19 digits, so text order is numeric order.
    listed.then_with(|| b.id.cmp(&a.id))
}

/// Where a term occurs in a posting: title, skills, description.
fn scan_fields(term: &Term, p: &Posting) -> Places {
    [
        term.occurs_in(&p.title),
        term.occurs_in_skills(p),
        term.occurs_in(&p.description),
    ]
}

/// Makes sure every word of `terms` is indexed over all of `postings`.
fn prepare_index(index: &mut WordIndex, terms: &[&Term], postings: &[Posting]) {
    let words = terms.iter().flat_map(|t| t.0.iter().map(String::as_str));
    index.prepare(words, postings, |word| {
        let term = Term(vec![word.to_owned()]);
        move |p: &Posting| scan_fields(&term, p)
    });
}

/// Where `term` occurs in the posting at `i`: exact from the index's bits for one word; for a
/// phrase, the bits narrow the fields and a scan checks that the words stand together.
fn indexed_fields(index: &WordIndex, term: &Term, i: usize, posting: &Posting) -> Places {
    let Some(mut candidates) = index.places(&term.0, i) else {
        return scan_fields(term, posting);
    };
    if term.0.len() > 1 {
        candidates[0] &= term.occurs_in(&posting.title);
        candidates[1] &= term.occurs_in_skills(posting);
        candidates[2] &= term.occurs_in(&posting.description);
    }
    candidates
}

impl Market {
    /// Every open posting matching `filter`, in the order of `sort` (each field breaking the ties
    /// of the one before, recency breaking the rest; no fields means `RECENCY`). Recency is by
    /// publication, or by [`Posting::listed_at`] when the market has `renewals_to_top`.
    pub fn search(&self, filter: &Filter, sort: &[SortField]) -> Vec<&Posting> {
        let postings = self.postings();
        self.search_indices(filter, sort)
            .into_iter()
            .map(|i| &postings[i])
            .collect()
    }

    /// One page of [`Market::search`], `len` postings from `offset`, and the number of all
    /// matches. The whole result is kept for the next page of the same search (`key` names it:
    /// the filter without its pagination, and the sort), so paging through a result of N
    /// postings scans the market once, not once a page: a page costs O(page) until the market
    /// changes.
    pub fn search_page(
        &self,
        key: &str,
        filter: &Filter,
        sort: &[SortField],
        offset: usize,
        len: usize,
    ) -> (usize, Vec<&Posting>) {
        let postings = self.postings();
        let mut cache = self.search_cache();
        let fresh = cache
            .as_ref()
            .is_some_and(|c| c.key == key && c.revision == self.revision());
        if !fresh {
            *cache = Some(SearchCache {
                key: key.to_owned(),
                revision: self.revision(),
                hits: self.search_indices(filter, sort),
            });
        }
        let hits = cache.as_ref().map_or(&[][..], |c| c.hits.as_slice());
        let end = offset.saturating_add(len).min(hits.len()).max(offset);
        let page = hits
            .get(offset..end)
            .unwrap_or_default()
            .iter()
            .map(|&i| &postings[i])
            .collect();
        (hits.len(), page)
    }

    /// [`Market::search`] as indices into [`Market::postings`].
    fn search_indices(&self, filter: &Filter, sort: &[SortField]) -> Vec<usize> {
        self.count_scan();
        let postings = self.postings();
        let score_needed = sort.contains(&SortField::Relevance);
        let relevance_terms = if score_needed {
            filter.relevance_terms()
        } else {
            Vec::new()
        };
        let mut index = self.word_index();
        let mut indexed = filter.text_terms();
        indexed.extend(&relevance_terms);
        prepare_index(&mut index, &indexed, postings);
        // Postings are stored oldest first, so walking backwards gives recency order.
        let hits = postings.iter().enumerate().rev().filter_map(|(i, p)| {
            let hit = p.open
                && filter.matches_fields(p)
                && filter.matches_text_by(p, |t| indexed_fields(&index, t, i, p).contains(&true));
            hit.then_some((i, p))
        });
        let hits: Vec<(usize, &Posting)> = hits.collect();
        let renewals_to_top = self.renewals_to_top();
        if sort.iter().all(|s| *s == SortField::Recency) {
            let mut hits = hits;
            if renewals_to_top {
                hits.sort_by(|(_, a), (_, b)| recency(a, b, true));
            }
            return hits.into_iter().map(|(i, _)| i).collect();
        }
        let mut keyed: Vec<(SortKeys, usize, &Posting)> = hits
            .into_iter()
            .map(|(i, p)| {
                let score = if score_needed {
                    let fields = |t: &Term| indexed_fields(&index, t, i, p);
                    relevance(p, fields, &relevance_terms, &filter.skill_expression)
                } else {
                    0
                };
                (SortKeys::new(p, score), i, p)
            })
            .collect();
        drop(index);
        // A stable sort keeps publication order among equal keys; renewals need the explicit
        // tie-break.
        keyed.sort_by(|(a, _, pa), (b, _, pb)| {
            sort.iter()
                .map(|field| match field {
                    SortField::Recency => recency(pa, pb, renewals_to_top),
                    SortField::Relevance => b.score.cmp(&a.score),
                    SortField::ClientTotalCharge => b.spent_cents.cmp(&a.spent_cents),
                    SortField::ClientRating => b.feedback.total_cmp(&a.feedback),
                })
                .find(|o| o.is_ne())
                .unwrap_or_else(|| {
                    if renewals_to_top {
                        recency(pa, pb, true)
                    } else {
                        Ordering::Equal
                    }
                })
        });
        keyed.into_iter().map(|(_, i, _)| i).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::index::MAX_INDEXED_WORDS;
    use serde_json::json;

    fn term(text: &str) -> Term {
        Term::new(text).unwrap_or(Term(Vec::new()))
    }

    fn terms(words: &[&str]) -> Vec<Term> {
        words.iter().map(|w| term(w)).collect()
    }

    #[test]
    fn words_are_anded() {
        let q = Query::parse("rust  developer");
        assert_eq!(q.clauses, vec![terms(&["rust"]), terms(&["developer"])]);
        assert!(q.excluded.is_empty());
    }

    #[test]
    fn or_joins_neighbours_and_binds_tighter_than_and() {
        let q = Query::parse("rust OR go OR zig developer");
        assert_eq!(
            q.clauses,
            vec![terms(&["rust", "go", "zig"]), terms(&["developer"])]
        );
    }

    #[test]
    fn lowercase_or_is_a_word() {
        let q = Query::parse("rust or go");
        assert_eq!(q.clauses.len(), 3);
    }

    #[test]
    fn quoted_phrases_stay_together() {
        let q = Query::parse("\"React   Native\" app");
        assert_eq!(
            q.clauses,
            vec![
                vec![Term(vec!["react".into(), "native".into()])],
                terms(&["app"])
            ]
        );
    }

    #[test]
    fn unclosed_quote_runs_to_the_end() {
        let q = Query::parse("shopify \"store redesign");
        assert_eq!(
            q.clauses,
            vec![
                terms(&["shopify"]),
                vec![Term(vec!["store".into(), "redesign".into()])]
            ]
        );
    }

    #[test]
    fn minus_and_not_exclude() {
        let q = Query::parse("python -django NOT flask -\"data entry\"");
        assert_eq!(q.clauses, vec![terms(&["python"])]);
        assert_eq!(
            q.excluded,
            vec![
                term("django"),
                term("flask"),
                Term(vec!["data".into(), "entry".into()])
            ]
        );
    }

    #[test]
    fn dangling_operators_and_parentheses_are_ignored() {
        let q = Query::parse("OR (rust OR go) AND developer OR");
        assert_eq!(
            q.clauses,
            vec![terms(&["rust", "go"]), terms(&["developer"])]
        );
        assert_eq!(Query::parse("NOT"), Query::default());
        assert_eq!(Query::parse("- + \"\" ()"), Query::default());
    }

    #[test]
    fn punctuation_splits_terms_into_words() {
        let q = Query::parse("node.js c++");
        assert_eq!(
            q.clauses,
            vec![vec![Term(vec!["node".into(), "js".into()])], terms(&["c"])]
        );
    }

    #[test]
    fn terms_match_whole_words_case_insensitively() {
        assert!(term("rust").occurs_in("Senior Rust, async"));
        assert!(!term("rust").occurs_in("We trust you"));
        assert!(!term("rust").occurs_in("rusty code"));
        assert!(term("node.js").occurs_in("Node.js developer"));
        assert!(term("react native").occurs_in("react-native"));
        assert!(!term("react native").occurs_in("react, then native"));
        assert!(term("zürich").occurs_in("a studio in ZÜRICH"));
        assert!(term("são paulo").occurs_in("based in São Paulo."));
        assert!(!term("caf").occurs_in("café"));
        assert!(term("café").occurs_in("Our CAFÉ app"));
    }

    #[test]
    fn title_expression_has_no_operators() {
        assert_eq!(title_terms("rust OR go"), terms(&["rust", "or", "go"]));
        assert_eq!(
            title_terms("\"store redesign\" shopify"),
            vec![
                Term(vec!["store".into(), "redesign".into()]),
                term("shopify")
            ]
        );
    }

    #[test]
    fn filter_reads_schema_fields() {
        let f = Filter::from_json(&json!({
            "searchExpression_eq": "rust",
            "skillExpression_eq": "Rust, node.js ,",
            "categoryIds_any": "531770282580668418",
            "jobType_eq": "HOURLY",
            "workload_eq": "PART_TIME",
            "budgetRange_eq": {"rangeStart": 100},
            "hourlyRate_eq": {"rangeStart": 20, "rangeEnd": 40},
            "experienceLevel_eq": "EXPERT",
            "locations_any": ["United States", "GBR"],
            "verifiedPaymentOnly_eq": true,
            "previousClients_eq": true,
            "area_eq": {"latitude": 1.0, "longitude": 2.0, "radius": 3.0},
            "pagination_eq": {"after": "0", "first": 50},
        }));
        let Ok(f) = f else {
            panic!("filter should parse: {f:?}");
        };
        assert_eq!(
            f.skill_expression,
            vec!["rust".to_owned(), "node.js".to_owned()]
        );
        assert_eq!(f.category_ids, vec!["531770282580668418".to_owned()]);
        assert_eq!(f.job_type, Some(JobType::Hourly));
        assert_eq!(f.workload, Some(Workload::PartTime));
        assert_eq!(
            f.budget,
            Some(IntRange {
                start: Some(100),
                end: None
            })
        );
        assert_eq!(
            f.locations,
            vec!["united states".to_owned(), "gbr".to_owned()]
        );
        assert!(f.verified_payment_only);
        assert_eq!(f.pagination(), Some((Some("0".to_owned()), 50)));
    }

    #[test]
    fn filter_errors_name_the_field() {
        assert_eq!(Filter::from_json(&json!(3)), Err(FilterError::NotAnObject));
        assert_eq!(Filter::from_json(&Value::Null), Ok(Filter::default()));
        let err = Filter::from_json(&json!({"budgetRange_eq": {"rangeStart": "x"}}));
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("filter field `budgetRange_eq.rangeStart` must be an integer".to_owned())
        );
        let err = Filter::from_json(&json!({"jobType_eq": "FIXED_PRICE"}));
        assert!(matches!(err, Err(FilterError::UnknownValue { .. })));
        let err = Filter::from_json(&json!({"pagination_eq": {"after": "0"}}));
        assert!(matches!(
            err,
            Err(FilterError::Missing {
                missing: "first",
                ..
            })
        ));
    }

    #[test]
    fn ranges_are_inclusive_and_open_ended() {
        let r = IntRange {
            start: Some(10),
            end: Some(20),
        };
        assert!(r.contains(10) && r.contains(20) && !r.contains(21) && !r.contains(9));
        assert!(r.overlaps(5, 10) && r.overlaps(20, 30) && !r.overlaps(21, 30));
        assert!(IntRange::default().contains(i64::MIN));
    }

    fn scan(market: &Market, filter: &Filter) -> Vec<String> {
        let mut hits: Vec<&Posting> = market
            .open_postings()
            .filter(|p| filter.matches(p))
            .collect();
        hits.reverse();
        hits.into_iter().map(|p| p.id.clone()).collect()
    }

    fn indexed(market: &Market, filter: &Filter) -> Vec<String> {
        market
            .search(filter, &[])
            .into_iter()
            .map(|p| p.id.clone())
            .collect()
    }

    #[test]
    fn the_word_index_agrees_with_scanning_as_the_market_grows_and_words_are_evicted() {
        use crate::market::MarketConfig;
        let mut market = Market::new(MarketConfig {
            seed: 4,
            initial_postings: 300,
            ..MarketConfig::default()
        });
        let queries = [
            "developer",
            "\"paid trial\" OR zürich",
            "experience -python -\"react native\"",
            "nosuchword OR proposal",
        ];
        for round in 0..3 {
            for query in queries {
                let filter = Filter::from_json(&json!({ "searchExpression_eq": query }));
                let Ok(filter) = filter else {
                    panic!("{query} should parse");
                };
                let want = scan(&market, &filter);
                assert!(!want.is_empty(), "{query}");
                assert_eq!(indexed(&market, &filter), want, "{query} in round {round}");
            }
            let now = market.now();
            market.advance_to(now + chrono::Duration::hours(5));
            market.arrive(3);
        }
        let filler: Vec<Term> = (0..MAX_INDEXED_WORDS)
            .map(|n| term(&format!("w{n}")))
            .collect();
        let filler: Vec<&Term> = filler.iter().collect();
        prepare_index(&mut market.word_index(), &filler, market.postings());
        assert_eq!(market.word_index().len(), MAX_INDEXED_WORDS);
        let filter = Filter::from_json(&json!({ "searchExpression_eq": "developer" }));
        let Ok(filter) = filter else {
            panic!("developer should parse");
        };
        assert_eq!(indexed(&market, &filter), scan(&market, &filter));
        assert_eq!(market.word_index().len(), 1);
        let by_relevance = market.search(&filter, &[SortField::Relevance]);
        assert_eq!(by_relevance.len(), scan(&market, &filter).len());
    }

    #[test]
    fn sort_names_are_the_schema_enum() {
        assert_eq!(
            SortField::from_name("CLIENT_RATING"),
            Some(SortField::ClientRating)
        );
        assert_eq!(SortField::from_name("recency"), None);
    }
}
