//! Alerts: the new postings that match an `[[alert]]` rule, pushed to its channel once each.
//!
//! Three steps, each its own short use of the database so that delivering (network, a command)
//! never holds the file:
//!
//! 1. [`plan`], inside a sync right after the load commits: the postings the load stored as new
//!    wait in `alerts_queue` (written in the load's transaction), are matched against every rule,
//!    and each match becomes a row of `alerts_sent` (rule, posting: the primary key, so once per
//!    posting per rule), grouped into messages that share a delivery key. The queue is emptied in
//!    the same transaction. The flood guard lives here: a rule's first evaluation, or its first
//!    after more than [`OUTAGE_HOURS`] without one, sends one digest of its best `max_postings`
//!    matches and records the rest as `suppressed`; so do matches past the rule's `max_per_hour`.
//! 2. [`due`]: the messages to attempt now (pending, or failed with their backoff passed).
//! 3. [`channel::send`] for each, then [`record`]: sent, or failed with the next attempt after
//!    an exponential backoff (30 s doubling to an hour). [`FAILING_AFTER`] failures in a row
//!    mark the rule failing: `alerts status`, `status` and `doctor` say so and each sync logs an
//!    error, but a sync's exit status never depends on alerts: the data is safe.
//!
//! The health notices about the pipeline itself ([`notices`]) go through the same channels,
//! keys and backoff.
//!
//! [`deliver_due`] runs steps 2 and 3 after the sync has released the pipeline lock, under a
//! delivery lock of its own, within [`DELIVERY_BUDGET`]; what it leaves for later and why is in
//! the summary `alerts status` shows ([`files`]). The delivery key is the idempotency key
//! (`Idempotency-Key` header, `idempotency_key` in the JSON). Each outcome goes to a journal on
//! disk as soon as it is known and into the database after the deliveries, so a crash can only
//! repeat the one message in flight, with the same key: that is the only duplicate possible, and
//! a receiver that keeps keys can drop it. [`crate::pipeline`] calls [`plan`] and
//! [`deliver_due`], and `upjobpilot alerts` uses [`status`] and [`sample`].

pub mod channel;
pub mod files;
pub mod notices;
pub mod payload;

use crate::config::{Alert, Config, JobType};
use crate::db::{self, DbError, sql};
use chrono::{DateTime, Utc};
use duckdb::{Connection, params};
pub use files::{Deferred, LastDelivery, Outcome};
use payload::{Message, Posting};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Failed deliveries in a row after which a rule is reported as failing.
pub const FAILING_AFTER: i64 = 10;
/// Hours without an evaluation after which a rule's next matches are sent as one digest.
pub const OUTAGE_HOURS: i64 = 3;
const BACKOFF_BASE_SECS: i64 = 30;
const BACKOFF_MAX_SECS: i64 = 3600;

/// Why the alert bookkeeping failed (a failed delivery is not an error: it is recorded).
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// DuckDB refused.
    #[error("alert bookkeeping failed: {0}")]
    Db(#[from] duckdb::Error),
    /// The database could not be opened.
    #[error(transparent)]
    Open(#[from] DbError),
    /// The delivery lock or journal beside the database.
    #[error("alert delivery: {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl AlertError {
    /// Whether DuckDB ran out of memory (the sync plans again with a higher limit).
    pub fn is_out_of_memory(&self) -> bool {
        matches!(self, AlertError::Db(e) if db::is_out_of_memory(e))
    }
}

/// A queued posting with what the rules filter on.
#[derive(Debug, Clone)]
struct Candidate {
    id: String,
    title: Option<String>,
    job_type: String,
    fixed_budget: Option<f64>,
    hourly_max: Option<f64>,
    payment_verified: Option<bool>,
    searches: Vec<String>,
    fit_score: f64,
    quality_score: f64,
    published: Option<DateTime<Utc>>,
    /// Its latest competition signals' interview count; `None` without a snapshot.
    interviewing: Option<i64>,
}

/// Whether `candidate` passes every filter of `alert`.
fn matches(alert: &Alert, candidate: &Candidate) -> bool {
    let filter = &alert.filter;
    let title = candidate
        .title
        .as_deref()
        .unwrap_or_default()
        .to_lowercase();
    let words: Vec<&str> = title
        .split(|c: char| !c.is_alphanumeric() && c != '+' && c != '#')
        .filter(|w| !w.is_empty())
        .collect();
    let has = |word: &str| {
        if word.contains(|c: char| !c.is_alphanumeric() && c != '+' && c != '#') {
            title.contains(word)
        } else {
            words.contains(&word)
        }
    };
    let hourly = candidate.job_type == "HOURLY";
    (alert.searches.is_empty()
        || alert
            .searches
            .iter()
            .any(|s| candidate.searches.contains(s)))
        && filter
            .min_fit_score
            .is_none_or(|min| candidate.fit_score >= min)
        && filter
            .min_client_quality
            .is_none_or(|min| candidate.quality_score >= min)
        && filter.title_required.iter().all(|w| has(w))
        && !filter.title_excluded.iter().any(|w| has(w))
        && filter.job_type.is_none_or(|t| match t {
            JobType::Hourly => hourly,
            JobType::Fixed => !hourly,
        })
        && filter
            .min_budget
            .is_none_or(|min| hourly || candidate.fixed_budget.is_some_and(|b| b >= f64::from(min)))
        && filter
            .min_hourly_rate
            .is_none_or(|min| !hourly || candidate.hourly_max.is_some_and(|r| r >= f64::from(min)))
        && (!filter.payment_verified || candidate.payment_verified == Some(true))
        // Unknown is not excluded: a posting outside `[signals] top` has no snapshot.
        && filter.max_interviewing.is_none_or(|max| {
            candidate
                .interviewing
                .is_none_or(|n| n <= i64::from(max))
        })
}

/// What [`plan`] did for one rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RulePlan {
    /// The rule.
    pub rule: String,
    /// New postings that matched it.
    pub matched: usize,
    /// Messages queued for delivery.
    pub messages: usize,
    /// Matches recorded as suppressed (flood guard, digest size, hourly cap).
    pub suppressed: usize,
}

/// Queued postings matched at a time: [`plan`] holds one page of them, however many a sync
/// queued (a first sync queues every posting it stores).
const CANDIDATES_PAGE: i64 = 20_000;

/// Matches the postings waiting in `alerts_queue` against `alerts` and queues the messages;
/// empties the queue. One transaction.
///
/// The queue is read a page at a time in id order; each rule keeps its count of matches and its
/// best few (by fit score, then the newest, then id), which are all that decide its messages:
/// every match is a row of the temp table `alert_plan` at once, and `alert_plan_queue.sql` marks
/// the best ones pending and the rest suppressed with the reason.
pub fn plan(
    conn: &Connection,
    alerts: &[Alert],
    now: DateTime<Utc>,
) -> Result<Vec<RulePlan>, AlertError> {
    plan_paged(conn, alerts, now, CANDIDATES_PAGE)
}

/// [`plan`] reading `page_size` queued postings at a time.
fn plan_paged(
    conn: &Connection,
    alerts: &[Alert],
    now: DateTime<Utc>,
    page_size: i64,
) -> Result<Vec<RulePlan>, AlertError> {
    let tx = conn.unchecked_transaction()?;
    let queued: i64 = tx.query_row("SELECT count(*) FROM alerts_queue", [], |r| r.get(0))?;
    if queued == 0 {
        return Ok(Vec::new());
    }
    if alerts.is_empty() {
        // No rule to match: the queue is emptied as a plan would.
        tx.execute_batch("DELETE FROM alerts_queue")?;
        tx.commit()?;
        return Ok(Vec::new());
    }
    let mut rules = alerts
        .iter()
        .map(|alert| RuleMatches::start(&tx, alert, now))
        .collect::<Result<Vec<_>, _>>()?;
    tx.execute_batch(sql::ALERT_PLAN_CREATE)?;
    {
        let mut appender = tx.appender("alert_plan")?;
        let mut stmt = tx.prepare(sql::ALERT_CANDIDATES)?;
        let mut after = String::new();
        loop {
            let page = candidates(&mut stmt, &after, page_size)?;
            for candidate in page.iter().flatten() {
                for rule in &mut rules {
                    rule.offer(&mut appender, candidate)?;
                }
            }
            match page.last() {
                Some(last) if page.len() as i64 == page_size => after = last_id(last),
                _ => break,
            }
        }
        appender.flush()?;
    }
    let mut plans = Vec::new();
    {
        let mut best = tx.appender("alert_best")?;
        let mut why = tx.appender("alert_why")?;
        for rule in rules {
            let plan = rule.finish(&mut best, &mut why, now)?;
            if plan.matched > 0 {
                tracing::info!(stage = "alerts", rule = %plan.rule, matched = plan.matched, messages = plan.messages, suppressed = plan.suppressed, "alert rule matched new postings");
            }
            plans.push(plan);
        }
        best.flush()?;
        why.flush()?;
    }
    tx.execute(sql::ALERT_PLAN_QUEUE, params![now])?;
    tx.execute_batch(sql::ALERT_PLAN_DONE)?;
    tx.commit()?;
    Ok(plans)
}

/// The id a page of candidates ends at.
fn last_id(row: &Result<Candidate, String>) -> String {
    match row {
        Ok(candidate) => candidate.id.clone(),
        Err(id) => id.clone(),
    }
}

/// One page of queued postings after `after`, in id order: a candidate, or the id of a queued
/// posting no longer stored (strict retention deleted it).
fn candidates(
    stmt: &mut duckdb::Statement<'_>,
    after: &str,
    page_size: i64,
) -> Result<Vec<Result<Candidate, String>>, duckdb::Error> {
    let rows = stmt.query_map(params![after, page_size], |row| {
        let id: String = row.get(0)?;
        let Some(job_type) = row.get::<_, Option<String>>(2)? else {
            return Ok(Err(id));
        };
        let searches: String = row.get(6)?;
        Ok(Ok(Candidate {
            id,
            title: row.get(1)?,
            job_type,
            fixed_budget: row.get(3)?,
            hourly_max: row.get(4)?,
            payment_verified: row.get(5)?,
            searches: searches
                .split('\u{1f}')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            fit_score: row.get(7)?,
            quality_score: row.get(8)?,
            published: row.get(9)?,
            interviewing: row.get(10)?,
        }))
    })?;
    rows.collect()
}

/// Whether `a` goes before `b` in a digest: the higher fit score, then the newer, then by id.
fn better(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    b.fit_score
        .total_cmp(&a.fit_score)
        .then_with(|| match (a.published, b.published) {
            (Some(a), Some(b)) => b.cmp(&a),
            // NULLS LAST, as DuckDB sorts `published_at DESC`.
            (a, b) => a.is_none().cmp(&b.is_none()),
        })
        .then_with(|| a.id.cmp(&b.id))
}

/// One rule's part of [`plan`], as the queue streams past it.
struct RuleMatches<'a> {
    alert: &'a Alert,
    /// The queued postings it already has a message for (a queue replayed after a crash).
    already: HashSet<String>,
    /// Messages it sent in the last hour.
    recent: i64,
    /// Its first evaluation, or its first after an outage: one digest.
    flood: bool,
    matched: usize,
    /// Its best matches, best first: as many as it may send one by one, or put in a digest.
    best: Vec<Candidate>,
}

impl<'a> RuleMatches<'a> {
    fn start(
        conn: &Connection,
        alert: &'a Alert,
        now: DateTime<Utc>,
    ) -> Result<RuleMatches<'a>, duckdb::Error> {
        let rule = alert.name.as_str();
        let last_evaluated: Option<DateTime<Utc>> = conn
            .query_row(sql::ALERT_RULE_LAST_EVALUATED, [rule], |r| r.get(0))
            .map(Some)
            .or_else(|e| match e {
                duckdb::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        let already = {
            let mut stmt = conn.prepare(sql::ALERT_ALREADY_QUEUED)?;
            stmt.query_map([rule], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        let hour_ago = now - chrono::Duration::hours(1);
        let recent = conn.query_row(sql::ALERT_RECENT_MESSAGES, params![rule, hour_ago], |r| {
            r.get(0)
        })?;
        conn.execute(sql::ALERT_RULE_EVALUATED, params![rule, now, now])?;
        Ok(RuleMatches {
            alert,
            already,
            recent,
            flood: last_evaluated
                .is_none_or(|last| now - last > chrono::Duration::hours(OUTAGE_HOURS)),
            matched: 0,
            best: Vec::new(),
        })
    }

    /// Messages it may still send this hour.
    fn remaining(&self) -> usize {
        usize::try_from(i64::from(self.alert.max_per_hour) - self.recent).unwrap_or(0)
    }

    /// Records `candidate` as a match (a row of `alert_plan`) if it is one, and keeps it if it
    /// is among the best.
    fn offer(
        &mut self,
        plan: &mut duckdb::Appender<'_>,
        candidate: &Candidate,
    ) -> Result<(), duckdb::Error> {
        if self.already.contains(&candidate.id) || !matches(self.alert, candidate) {
            return Ok(());
        }
        let rule = self.alert.name.as_str();
        plan.append_row(params![
            rule,
            candidate.id,
            single_key(rule, &candidate.id),
            candidate.fit_score
        ])?;
        self.matched += 1;
        // Sent one by one while the matches fit in the hour's room; else the best go in one
        // digest (or one message, when the digest would hold one).
        let keep = self.remaining().max(self.alert.max_postings as usize);
        let at = self
            .best
            .binary_search_by(|kept| better(kept, candidate))
            .unwrap_or_else(|at| at);
        if at < keep {
            self.best.insert(at, candidate.clone());
            self.best.truncate(keep);
        }
        Ok(())
    }

    /// Which matches become messages, as rows of `alert_best`, and why the others are
    /// suppressed, as a row of `alert_why`.
    fn finish(
        self,
        best: &mut duckdb::Appender<'_>,
        why: &mut duckdb::Appender<'_>,
        now: DateTime<Utc>,
    ) -> Result<RulePlan, duckdb::Error> {
        let (alert, matched) = (self.alert, self.matched);
        let rule = alert.name.as_str();
        let mut plan = RulePlan {
            rule: rule.to_string(),
            matched,
            ..RulePlan::default()
        };
        if matched == 0 {
            return Ok(plan);
        }
        let remaining = self.remaining();
        if !alert.digest && !self.flood && matched <= remaining {
            for c in &self.best {
                best.append_row(params![rule, c.id, single_key(rule, &c.id), false])?;
            }
            plan.messages = matched;
            return Ok(plan);
        }
        let sent = if remaining == 0 {
            0
        } else {
            matched.min(alert.max_postings as usize)
        };
        let digest = alert.digest || sent > 1;
        let key = format!("upjobpilot:{rule}:digest:{}", now.timestamp_micros());
        for c in &self.best[..sent] {
            let key = if digest {
                key.clone()
            } else {
                single_key(rule, &c.id)
            };
            best.append_row(params![rule, c.id, key, digest])?;
        }
        let reason = if remaining == 0 {
            format!(
                "hourly cap: {} messages were sent in the last hour",
                alert.max_per_hour
            )
        } else if self.flood {
            format!(
                "flood guard: one digest of the best {sent} of {matched} matches (the rule's first sync, or its first after {OUTAGE_HOURS} hours)"
            )
        } else if alert.digest {
            format!("digest: the best {sent} of {matched} matches were sent")
        } else {
            format!(
                "hourly cap: {matched} matches, room for {remaining} messages; sent as one digest of the best {sent}"
            )
        };
        why.append_row(params![rule, reason])?;
        plan.messages = usize::from(sent > 0);
        plan.suppressed = matched - sent;
        if remaining == 0 || !(self.flood || alert.digest) {
            tracing::warn!(stage = "alerts", rule = %rule, suppressed = plan.suppressed, reason = %reason, "alert rule over its hourly cap");
        }
        Ok(plan)
    }
}

fn single_key(rule: &str, job_id: &str) -> String {
    format!("upjobpilot:{rule}:{job_id}")
}

/// One message to attempt.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// What to send.
    pub message: Message,
    /// Attempts made so far.
    pub attempts: i64,
}

/// The messages to attempt at `now`, for the rules in `alerts` (a rule removed from the config
/// keeps its rows, unsent).
pub fn due(
    conn: &Connection,
    alerts: &[Alert],
    now: DateTime<Utc>,
) -> Result<Vec<Delivery>, AlertError> {
    conn.execute_batch(sql::ALERT_EXPIRE)?;
    let mut stmt = conn.prepare(sql::ALERT_DUE)?;
    let rows = stmt.query_map(params![now], |row| {
        let skills: Option<String> = row.get(12)?;
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, bool>(2)?,
            row.get::<_, i64>(3)?,
            Posting {
                id: row.get(4)?,
                title: row.get(5)?,
                url: row.get(6)?,
                job_type: row.get(7)?,
                currency: row.get(8)?,
                fixed_budget: row.get(9)?,
                hourly_min: row.get(10)?,
                hourly_max: row.get(11)?,
                skills: skills
                    .unwrap_or_default()
                    .split('\u{1f}')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                published_at: row.get(13)?,
                client_country: row.get(14)?,
                payment_verified: row.get(15)?,
                fit_score: row.get(16)?,
                activity: crate::activity::Activity::read(row, 17)?,
            },
        ))
    })?;
    let mut deliveries: Vec<Delivery> = Vec::new();
    for row in rows {
        let (rule, key, digest, attempts, posting) = row?;
        if !alerts.iter().any(|a| a.name == rule) {
            continue;
        }
        match deliveries.last_mut() {
            Some(last) if last.message.key == key && last.message.rule == rule => {
                last.message.postings.push(posting);
            }
            _ => deliveries.push(Delivery {
                message: Message {
                    rule,
                    key,
                    digest,
                    postings: vec![posting],
                },
                attempts,
            }),
        }
    }
    Ok(deliveries)
}

/// When a delivery that has failed `attempts` times is tried again.
pub fn next_attempt(attempts: i64, now: DateTime<Utc>) -> DateTime<Utc> {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let secs = BACKOFF_BASE_SECS
        .saturating_mul(1i64 << exponent)
        .min(BACKOFF_MAX_SECS);
    now + chrono::Duration::seconds(secs)
}

/// Records each outcome, and each rule's run of failures. One transaction. An outcome applies
/// only to the attempt it was made on (its `attempts`), so recording the same outcomes twice
/// changes nothing the second time.
pub fn record(conn: &Connection, outcomes: &[Outcome]) -> Result<(), AlertError> {
    let tx = conn.unchecked_transaction()?;
    // Per rule: (a success in this batch, failures after the last success, the last error, the
    // last success's time).
    type RuleOutcome<'a> = (bool, i64, Option<&'a str>, Option<DateTime<Utc>>);
    let mut rules: BTreeMap<&str, RuleOutcome<'_>> = BTreeMap::new();
    for outcome in outcomes {
        let (rule, key) = (outcome.rule.as_str(), outcome.key.as_str());
        let changed = match &outcome.error {
            None => tx.execute(
                sql::ALERT_SENT,
                params![outcome.at, rule, key, outcome.attempts],
            )?,
            Some(error) => tx.execute(
                sql::ALERT_FAILED,
                params![
                    next_attempt(outcome.attempts + 1, outcome.at),
                    error,
                    rule,
                    key,
                    outcome.attempts
                ],
            )?,
        };
        if changed == 0 {
            continue;
        }
        let entry = rules.entry(rule).or_insert((false, 0, None, None));
        match &outcome.error {
            None => *entry = (true, 0, None, Some(outcome.at)),
            Some(error) => {
                entry.1 += 1;
                entry.2 = Some(error.as_str());
            }
        }
    }
    for (rule, (succeeded, failures, error, sent_at)) in rules {
        tx.execute(
            sql::ALERT_RULE_OUTCOME,
            params![
                succeeded, failures, failures, succeeded, sent_at, error, rule
            ],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// The longest a sync spends delivering: a delivery starts only while its timeout still fits
/// in what is left (the first one always starts), and the messages past it stay due for the
/// next sync. Sixty seconds is half of `watch`'s default interval.
pub const DELIVERY_BUDGET: Duration = Duration::from_secs(60);

/// What [`deliver_due`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    /// Messages delivered.
    pub sent: usize,
    /// Messages that failed (retried later).
    pub failed: usize,
    /// Messages left due for the next sync (the delivery budget was spent, or their channel
    /// was down).
    pub deferred: usize,
    /// Why nothing was delivered: another process was delivering, the database was busy.
    pub skipped: Option<String>,
    /// Rules with [`FAILING_AFTER`] or more failures in a row.
    pub failing: Vec<String>,
}

/// Attempts the messages due, within `budget`, and records the outcomes. Run without the
/// pipeline lock: the delivery lock ([`files::DeliveryLock`]) keeps a second process from
/// sending the same messages (it skips delivering rather than wait), and the database is open
/// only before and after the deliveries, waiting up to `busy_wait` for another program that
/// holds it. Each rule's messages go out in turn with the other rules' (one of each rule, then
/// the next of each), so a rule with many messages cannot spend the budget alone; a rule whose
/// channel is down ([`channel::SendError::channel_down`]) is not tried again in this delivery.
pub fn deliver_due(
    config: &Config,
    budget: Duration,
    busy_wait: Duration,
) -> Result<DeliveryReport, AlertError> {
    let database = config.database_path();
    let file_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| AlertError::File { path, source }
    };
    let Some(_lock) = files::DeliveryLock::try_take(&database)
        .map_err(file_error(&files::DeliveryLock::path(&database)))?
    else {
        tracing::info!(
            stage = "alerts",
            "another process is delivering alerts; the messages it did not read wait for the next sync"
        );
        return Ok(DeliveryReport {
            skipped: Some("another process was delivering".into()),
            ..DeliveryReport::default()
        });
    };
    let journal = files::Journal::beside(&database);
    let deliveries = {
        let conn = db::open_waiting(&database, busy_wait)?;
        apply_journal(&conn, &journal)?;
        in_turn(due(&conn, &config.alerts, Utc::now())?)
    };
    let mut report = DeliveryReport::default();
    let started = Instant::now();
    let mut outcomes = Vec::with_capacity(deliveries.len());
    // Per rule: why its remaining messages wait, and how many.
    let mut deferred: BTreeMap<String, (String, usize)> = BTreeMap::new();
    let mut journal_failed = false;
    for delivery in deliveries {
        let rule = delivery.message.rule.clone();
        let Some(alert) = config.alerts.iter().find(|a| a.name == rule) else {
            continue;
        };
        if let Some((_, count)) = deferred.get_mut(&rule) {
            *count += 1;
            continue;
        }
        let timeout = channel::timeout(&alert.channel);
        if !outcomes.is_empty() && started.elapsed() + timeout > budget {
            let reason = format!(
                "this sync's delivery budget of {} s was spent; due again at the next sync",
                budget.as_secs()
            );
            deferred.insert(rule, (reason, 1));
            continue;
        }
        let at = Utc::now();
        let result = channel::send(alert, &delivery.message, at);
        let error = match &result {
            Ok(()) => {
                report.sent += 1;
                tracing::info!(stage = "alerts", rule = %rule, key = %delivery.message.key, postings = delivery.message.postings.len(), "alert delivered");
                None
            }
            Err(error) => {
                report.failed += 1;
                tracing::warn!(stage = "alerts", rule = %rule, key = %delivery.message.key, attempt = delivery.attempts + 1, error = %error, "alert delivery failed; retried on a later sync");
                if error.channel_down() {
                    let reason = format!(
                        "its channel failed in this sync ({error}); due again at the next sync"
                    );
                    deferred.insert(rule.clone(), (reason, 0));
                }
                Some(error.to_string())
            }
        };
        let outcome = Outcome {
            rule,
            key: delivery.message.key,
            attempts: delivery.attempts,
            at,
            error,
        };
        if let Err(e) = journal.append(&outcome) {
            journal_failed = true;
            tracing::warn!(stage = "alerts", journal = %journal.path().display(), error = %e, "cannot write the delivery journal; a crash before the bookkeeping would send this message again");
        }
        outcomes.push(outcome);
    }
    report.deferred = deferred.values().map(|(_, count)| count).sum();
    for (rule, (reason, count)) in deferred.iter().filter(|(_, (_, n))| *n > 0) {
        tracing::warn!(stage = "alerts", rule = %rule, messages = count, reason = %reason, "alert messages deferred");
    }
    if !outcomes.is_empty() {
        match db::open_waiting(&database, busy_wait) {
            Ok(conn) => {
                record(&conn, &outcomes)?;
                journal.remove().map_err(file_error(journal.path()))?;
                for rule in status(&conn, &config.alerts)?
                    .into_iter()
                    .filter(|r| r.failing)
                {
                    tracing::error!(stage = "alerts", rule = %rule.rule, failures = rule.consecutive_failures, last_error = %rule.last_error.as_deref().unwrap_or_default(), "alert rule is failing: its deliveries keep failing (see `upjobpilot alerts status`)");
                    report.failing.push(rule.rule);
                }
            }
            Err(DbError::Busy { path, .. }) if !journal_failed => {
                tracing::warn!(stage = "alerts", database = %path.display(), journal = %journal.path().display(), "database busy after delivering; the outcomes stay in the journal and the next sync records them");
            }
            Err(e) => return Err(e.into()),
        }
    }
    let last = files::LastDelivery {
        finished_at: Utc::now(),
        sent: report.sent,
        failed: report.failed,
        deferred: deferred
            .into_iter()
            .filter(|(_, (_, n))| *n > 0)
            .map(|(rule, (reason, messages))| files::Deferred {
                rule,
                messages,
                reason,
            })
            .collect(),
    };
    if let Err(e) = files::write_last(&database, &last) {
        tracing::warn!(stage = "alerts", error = %e, "cannot write the delivery summary that `alerts status` shows");
    }
    Ok(report)
}

/// Records the outcomes a delivery left in the journal (the database was busy after it, or
/// the process died), then deletes the journal.
fn apply_journal(conn: &Connection, journal: &files::Journal) -> Result<(), AlertError> {
    let file_error = |source| AlertError::File {
        path: journal.path().to_path_buf(),
        source,
    };
    let outcomes = journal.read().map_err(file_error)?;
    if outcomes.is_empty() {
        return journal.remove().map_err(file_error);
    }
    tracing::info!(
        stage = "alerts",
        outcomes = outcomes.len(),
        "recording the outcomes of an earlier delivery"
    );
    record(conn, &outcomes)?;
    journal.remove().map_err(file_error)
}

/// `deliveries` (grouped by rule, oldest first) reordered so the rules take turns: the first
/// of each rule, then the second of each, and so on.
fn in_turn(deliveries: Vec<Delivery>) -> Vec<Delivery> {
    let mut per_rule: BTreeMap<String, std::collections::VecDeque<Delivery>> = BTreeMap::new();
    for delivery in deliveries {
        per_rule
            .entry(delivery.message.rule.clone())
            .or_default()
            .push_back(delivery);
    }
    let mut out = Vec::new();
    while !per_rule.is_empty() {
        per_rule.retain(|_, queue| {
            out.extend(queue.pop_front());
            !queue.is_empty()
        });
    }
    out
}

/// One rule's deliveries, for `alerts status`, `status --json` and `doctor`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RuleStatus {
    /// The rule.
    pub rule: String,
    /// Postings delivered.
    pub sent: i64,
    /// Postings waiting for a (first or repeated) attempt.
    pub waiting: i64,
    /// Postings recorded but not sent (flood guard, digest size, hourly cap).
    pub suppressed: i64,
    /// Postings deleted by retention before they could be sent.
    pub expired: i64,
    /// The last successful delivery (RFC 3339).
    pub last_sent_at: Option<String>,
    /// Failed deliveries since the last success.
    pub consecutive_failures: i64,
    /// Whether `consecutive_failures` reached [`FAILING_AFTER`].
    pub failing: bool,
    /// The last failure's message.
    pub last_error: Option<String>,
    /// Messages the last delivery left due for the next sync (its budget was spent, or this
    /// rule's channel was down).
    pub deferred: usize,
    /// Why, when `deferred` is not zero.
    pub deferred_reason: Option<String>,
}

/// Adds to `rules` what the last delivery (its summary beside `database`) deferred; the
/// summary's time, if there is one.
pub fn add_deferred(rules: &mut [RuleStatus], database: &Path) -> Option<DateTime<Utc>> {
    let last = files::read_last(database)?;
    for deferred in &last.deferred {
        if let Some(rule) = rules.iter_mut().find(|r| r.rule == deferred.rule) {
            rule.deferred = deferred.messages;
            rule.deferred_reason = Some(deferred.reason.clone());
        }
    }
    Some(last.finished_at)
}

/// Each configured rule's status (zeros for a rule never evaluated), then any recorded rule no
/// longer configured. Empty for a database older than the alert tables.
pub fn status(conn: &Connection, alerts: &[Alert]) -> Result<Vec<RuleStatus>, duckdb::Error> {
    let has_tables: i64 = conn.query_row(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'alert_rules'",
        [],
        |r| r.get(0),
    )?;
    let mut recorded: BTreeMap<String, RuleStatus> = BTreeMap::new();
    if has_tables > 0 {
        let mut stmt = conn.prepare(sql::ALERT_STATUS)?;
        let rows = stmt.query_map([], |row| {
            let failures: i64 = row.get(6)?;
            Ok(RuleStatus {
                rule: row.get(0)?,
                sent: row.get(1)?,
                waiting: row.get(2)?,
                suppressed: row.get(3)?,
                expired: row.get(4)?,
                last_sent_at: row
                    .get::<_, Option<DateTime<Utc>>>(5)?
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                consecutive_failures: failures,
                failing: failures >= FAILING_AFTER,
                last_error: row.get(7)?,
                ..RuleStatus::default()
            })
        })?;
        for row in rows {
            let row = row?;
            recorded.insert(row.rule.clone(), row);
        }
    }
    let mut out: Vec<RuleStatus> = alerts
        .iter()
        .map(|a| {
            recorded.remove(&a.name).unwrap_or_else(|| RuleStatus {
                rule: a.name.clone(),
                ..RuleStatus::default()
            })
        })
        .collect();
    out.extend(recorded.into_values());
    Ok(out)
}

/// A made-up posting for `upjobpilot alerts test`, with markup characters in its title so the
/// escaping shows.
pub fn sample(rule: &str, now: DateTime<Utc>) -> Message {
    Message {
        rule: rule.to_string(),
        key: format!("upjobpilot:{rule}:test:{}", now.timestamp_micros()),
        digest: false,
        postings: vec![Posting {
            id: "0000000000000000000".into(),
            title: Some("Sample posting from upjobpilot: <Rust> & *DuckDB* pipeline".into()),
            url: "https://www.upwork.com/jobs/~0000000000000000000".into(),
            job_type: "HOURLY".into(),
            currency: Some("USD".into()),
            fixed_budget: None,
            hourly_min: Some(40.0),
            hourly_max: Some(75.0),
            skills: vec!["rust".into(), "duckdb".into()],
            published_at: Some(now),
            client_country: Some("Canada".into()),
            payment_verified: Some(true),
            fit_score: Some(88.0),
            activity: Some(crate::activity::Activity {
                fetched_at: now,
                status: "ACTIVE".into(),
                interviewing: Some(3),
                invites_sent: Some(5),
                hired: Some(0),
                unanswered_invites: Some(2),
                offered: Some(0),
                last_client_activity: Some(now - chrono::Duration::hours(2)),
                bid_avg: None,
            }),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_30_seconds_to_an_hour() {
        let now = Utc::now();
        let secs = |attempts| (next_attempt(attempts, now) - now).num_seconds();
        assert_eq!(secs(1), 30);
        assert_eq!(secs(2), 60);
        assert_eq!(secs(5), 480);
        assert_eq!(secs(8), 3600);
        assert_eq!(secs(1000), 3600);
    }

    fn rule(name: &str, title_required: &[&str], max_postings: u32) -> Alert {
        Alert {
            name: name.into(),
            searches: Vec::new(),
            filter: crate::config::AlertFilter {
                title_required: title_required.iter().map(|w| w.to_string()).collect(),
                ..Default::default()
            },
            channel: crate::config::Channel::Command {
                argv: vec!["true".into()],
                timeout_secs: 10,
            },
            digest: false,
            max_postings,
            max_per_hour: 30,
        }
    }

    /// What a plan queued: (rule, posting, status, digest, reason) in order.
    type Queued = Vec<(String, String, String, bool, Option<String>)>;

    /// Plans 9 queued postings (one deleted since it was queued) with the queue read `page`
    /// at a time.
    fn plan_nine(page: i64) -> (Vec<RulePlan>, Queued) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = db::open(&dir.path().join("a.duckdb")).expect("open");
        let now = Utc::now();
        // Fit scores 10, 20, ..., 90; three postings titled Rust; ties broken by newer first.
        db.execute_batch(
            "INSERT INTO jobs (id, ciphertext, url, title, job_type, published_at, first_seen_at, last_seen_at)
             SELECT (100 + i)::VARCHAR, 'c' || i, 'u', CASE WHEN i % 3 = 0 THEN 'Rust job' ELSE 'Go job' END,
                    'HOURLY', (TIMESTAMP '2026-12-01' + INTERVAL (i) MINUTE)::TIMESTAMPTZ, now(), now()
             FROM range(1, 10) t(i);
             INSERT INTO posting_scores SELECT (100 + i)::VARCHAR, least(i, 8) * 10, 0 FROM range(1, 10) t(i);
             INSERT INTO alerts_queue (job_id, queued_at) SELECT (100 + i)::VARCHAR, now() FROM range(1, 11) t(i);",
        )
        .expect("seed");
        // The Rust rule was evaluated an hour ago: no flood guard, one message per match.
        db.execute(
            sql::ALERT_RULE_EVALUATED,
            params![
                "rust",
                now - chrono::Duration::hours(1),
                now - chrono::Duration::hours(1)
            ],
        )
        .expect("evaluated");
        let alerts = [rule("all", &[], 3), rule("rust", &["rust"], 10)];
        let plans = plan_paged(&db, &alerts, now, page).expect("plan");
        let mut stmt = db
            .prepare(
                "SELECT rule, job_id, status, digest, last_error FROM alerts_sent ORDER BY rule, job_id",
            )
            .expect("prepare");
        let queued = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        (plans, queued)
    }

    #[test]
    fn a_plan_read_page_by_page_sends_the_best_matches_and_suppresses_the_rest() {
        let (plans, queued) = plan_nine(2);
        assert_eq!(
            plans,
            [
                RulePlan {
                    rule: "all".into(),
                    matched: 9,
                    messages: 1,
                    suppressed: 6
                },
                RulePlan {
                    rule: "rust".into(),
                    matched: 3,
                    messages: 3,
                    suppressed: 0
                },
            ]
        );
        let flood = "flood guard: one digest of the best 3 of 9 matches (the rule's first sync, or its first after 3 hours)";
        let pending = |id: &str, digest| ("pending".to_string(), id.to_string(), digest, None);
        let rows: Vec<_> = queued
            .iter()
            .map(|(r, id, s, d, why)| (r.as_str(), (s.clone(), id.clone(), *d, why.clone())))
            .collect();
        // The best of "all": 109 and 108 (fit 80, 109 newer), then 107 (70).
        for (rule, row) in &rows {
            match (*rule, row.1.as_str()) {
                ("all", "107" | "108" | "109") => assert_eq!(row, &pending(&row.1, true)),
                ("all", _) => assert_eq!(
                    row,
                    &(
                        "suppressed".to_string(),
                        row.1.clone(),
                        false,
                        Some(flood.to_string())
                    )
                ),
                ("rust", "103" | "106" | "109") => assert_eq!(row, &pending(&row.1, false)),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(rows.len(), 12);
        assert_eq!(
            plan_nine(1_000),
            (plans, queued),
            "the same whatever the page"
        );
    }

    #[test]
    fn max_interviewing_excludes_crowded_postings_and_lets_unknown_ones_pass() {
        let alert = Alert {
            name: "r".into(),
            searches: Vec::new(),
            filter: crate::config::AlertFilter {
                max_interviewing: Some(2),
                ..Default::default()
            },
            channel: crate::config::Channel::Command {
                argv: vec!["true".into()],
                timeout_secs: 10,
            },
            digest: false,
            max_postings: 10,
            max_per_hour: 30,
        };
        let candidate = |interviewing| Candidate {
            id: "1".into(),
            title: Some("t".into()),
            job_type: "HOURLY".into(),
            fixed_budget: None,
            hourly_max: None,
            payment_verified: None,
            searches: Vec::new(),
            fit_score: 0.0,
            quality_score: 0.0,
            published: None,
            interviewing,
        };
        assert!(matches(&alert, &candidate(Some(2))));
        assert!(!matches(&alert, &candidate(Some(3))));
        assert!(matches(&alert, &candidate(None)), "no signals: unknown");
    }
}
