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
//! The delivery key is the idempotency key (`Idempotency-Key` header, `idempotency_key` in the
//! JSON). A crash (or a database taken by another program) between a delivery and its
//! bookkeeping leaves the message pending, so the next sync sends it again with the same key:
//! that is the only duplicate possible, and a receiver that keeps keys can drop it.
//! [`deliver_due`] runs steps 2 and 3; [`crate::pipeline`] calls [`plan`] and [`deliver_due`],
//! and `upjobpilot alerts` uses [`status`] and [`sample`].

pub mod channel;
pub mod payload;

use crate::config::{Alert, Config, JobType};
use crate::db::{self, DbError, sql};
use chrono::{DateTime, Utc};
use duckdb::{Connection, params};
use payload::{Message, Posting};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

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

/// Matches the postings waiting in `alerts_queue` against `alerts` and queues the messages;
/// empties the queue. One transaction.
pub fn plan(
    conn: &Connection,
    alerts: &[Alert],
    now: DateTime<Utc>,
) -> Result<Vec<RulePlan>, AlertError> {
    let tx = conn.unchecked_transaction()?;
    let queued: i64 = tx.query_row("SELECT count(*) FROM alerts_queue", [], |r| r.get(0))?;
    if queued == 0 {
        return Ok(Vec::new());
    }
    let candidates = candidates(&tx)?;
    tx.execute_batch(
        "CREATE OR REPLACE TEMP TABLE alert_plan (rule VARCHAR, job_id VARCHAR, delivery_key VARCHAR, status VARCHAR, digest BOOLEAN, fit_score DOUBLE, last_error VARCHAR)",
    )?;
    let mut plans = Vec::new();
    {
        let mut appender = tx.appender("alert_plan")?;
        for alert in alerts {
            let plan = plan_rule(&tx, &mut appender, alert, &candidates, now)?;
            if plan.matched > 0 {
                tracing::info!(stage = "alerts", rule = %plan.rule, matched = plan.matched, messages = plan.messages, suppressed = plan.suppressed, "alert rule matched new postings");
            }
            plans.push(plan);
        }
        appender.flush()?;
    }
    tx.execute(
        "INSERT INTO alerts_sent SELECT rule, job_id, delivery_key, status, digest, fit_score, ?, NULL, 0, NULL, last_error FROM alert_plan ON CONFLICT DO NOTHING",
        params![now],
    )?;
    tx.execute_batch("DROP TABLE alert_plan; DELETE FROM alerts_queue;")?;
    tx.commit()?;
    Ok(plans)
}

fn candidates(conn: &Connection) -> Result<Vec<Candidate>, duckdb::Error> {
    let mut stmt = conn.prepare(sql::ALERT_CANDIDATES)?;
    let rows = stmt.query_map([], |row| {
        let searches: String = row.get(6)?;
        Ok(Candidate {
            id: row.get(0)?,
            title: row.get(1)?,
            job_type: row.get(2)?,
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
        })
    })?;
    rows.collect()
}

/// One rule's part of [`plan`]: its matches as rows of the temp table `alert_plan`.
fn plan_rule(
    conn: &Connection,
    appender: &mut duckdb::Appender<'_>,
    alert: &Alert,
    candidates: &[Candidate],
    now: DateTime<Utc>,
) -> Result<RulePlan, duckdb::Error> {
    let rule = alert.name.as_str();
    let last_evaluated: Option<DateTime<Utc>> = conn
        .query_row(
            "SELECT last_evaluated_at FROM alert_rules WHERE rule = ?",
            [rule],
            |r| r.get(0),
        )
        .map(Some)
        .or_else(|e| match e {
            duckdb::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    let already: HashSet<String> = {
        let mut stmt = conn.prepare(
            "SELECT job_id FROM alerts_sent WHERE rule = ? AND job_id IN (SELECT job_id FROM alerts_queue)",
        )?;
        stmt.query_map([rule], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    let matched: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| !already.contains(&c.id) && matches(alert, c))
        .collect();
    let hour_ago = now - chrono::Duration::hours(1);
    let recent: i64 = conn.query_row(
        "SELECT count(DISTINCT delivery_key) FROM alerts_sent WHERE rule = ? AND queued_at > ? AND status <> 'suppressed'",
        params![rule, hour_ago],
        |r| r.get(0),
    )?;
    conn.execute(
        "INSERT INTO alert_rules (rule, first_evaluated_at, last_evaluated_at) VALUES (?, ?, ?) ON CONFLICT (rule) DO UPDATE SET last_evaluated_at = excluded.last_evaluated_at",
        params![rule, now, now],
    )?;
    let mut plan = RulePlan {
        rule: rule.to_string(),
        matched: matched.len(),
        ..RulePlan::default()
    };
    if matched.is_empty() {
        return Ok(plan);
    }
    let remaining = usize::try_from(i64::from(alert.max_per_hour) - recent).unwrap_or(0);
    let flood =
        last_evaluated.is_none_or(|last| now - last > chrono::Duration::hours(OUTAGE_HOURS));
    let mut row = |c: &Candidate, key: &str, status: &str, digest: bool, why: Option<&str>| {
        appender.append_row(params![rule, c.id, key, status, digest, c.fit_score, why])
    };
    if !alert.digest && !flood && matched.len() <= remaining {
        for c in &matched {
            row(c, &single_key(rule, &c.id), "pending", false, None)?;
        }
        plan.messages = matched.len();
        return Ok(plan);
    }
    let (best, rest) = if remaining == 0 {
        (&matched[..0], &matched[..])
    } else {
        matched.split_at(matched.len().min(alert.max_postings as usize))
    };
    let digest = alert.digest || best.len() > 1;
    let key = if digest {
        format!("upjobpilot:{rule}:digest:{}", now.timestamp_micros())
    } else {
        best.first()
            .map(|c| single_key(rule, &c.id))
            .unwrap_or_default()
    };
    for c in best {
        row(c, &key, "pending", digest, None)?;
    }
    let why = if remaining == 0 {
        format!(
            "hourly cap: {} messages were sent in the last hour",
            alert.max_per_hour
        )
    } else if flood {
        format!(
            "flood guard: one digest of the best {} of {} matches (the rule's first sync, or its first after {OUTAGE_HOURS} hours)",
            best.len(),
            matched.len()
        )
    } else if alert.digest {
        format!(
            "digest: the best {} of {} matches were sent",
            best.len(),
            matched.len()
        )
    } else {
        format!(
            "hourly cap: {} matches, room for {remaining} messages; sent as one digest of the best {}",
            matched.len(),
            best.len()
        )
    };
    for c in rest {
        row(c, &single_key(rule, &c.id), "suppressed", false, Some(&why))?;
    }
    plan.messages = usize::from(!best.is_empty());
    plan.suppressed = rest.len();
    if remaining == 0 || !(flood || alert.digest) {
        tracing::warn!(stage = "alerts", rule = %rule, suppressed = rest.len(), reason = %why, "alert rule over its hourly cap");
    }
    Ok(plan)
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

/// Records the outcome of each attempted delivery, and each rule's run of failures. One
/// transaction.
pub fn record(
    conn: &Connection,
    outcomes: &[(Delivery, Result<(), String>)],
    now: DateTime<Utc>,
) -> Result<(), AlertError> {
    let tx = conn.unchecked_transaction()?;
    // Per rule: (a success in this batch, failures after the last success, the last error).
    let mut rules: BTreeMap<&str, (bool, i64, Option<&str>)> = BTreeMap::new();
    for (delivery, outcome) in outcomes {
        let (rule, key) = (&delivery.message.rule, &delivery.message.key);
        let entry = rules.entry(rule.as_str()).or_insert((false, 0, None));
        match outcome {
            Ok(()) => {
                tx.execute(
                    "UPDATE alerts_sent SET status = 'sent', sent_at = ?, attempts = attempts + 1, next_attempt_at = NULL, last_error = NULL WHERE rule = ? AND delivery_key = ?",
                    params![now, rule, key],
                )?;
                *entry = (true, 0, None);
            }
            Err(error) => {
                tx.execute(
                    "UPDATE alerts_sent SET status = 'failed', attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE rule = ? AND delivery_key = ?",
                    params![next_attempt(delivery.attempts + 1, now), error, rule, key],
                )?;
                entry.1 += 1;
                entry.2 = Some(error.as_str());
            }
        }
    }
    for (rule, (succeeded, failures, error)) in rules {
        tx.execute(
            "UPDATE alert_rules SET consecutive_failures = CASE WHEN ? THEN ? ELSE consecutive_failures + ? END, last_sent_at = CASE WHEN ? THEN ? ELSE last_sent_at END, last_error = ? WHERE rule = ?",
            params![succeeded, failures, failures, succeeded, now, error, rule],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// What [`deliver_due`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    /// Messages delivered.
    pub sent: usize,
    /// Messages that failed (retried later).
    pub failed: usize,
    /// Rules with [`FAILING_AFTER`] or more failures in a row.
    pub failing: Vec<String>,
}

/// Attempts every message due at `now` and records the outcomes; the database is open only
/// before and after the deliveries, not during them.
pub fn deliver_due(config: &Config, now: DateTime<Utc>) -> Result<DeliveryReport, AlertError> {
    let database = config.database_path();
    let deliveries = due(&*db::open(&database)?, &config.alerts, now)?;
    let mut report = DeliveryReport::default();
    if deliveries.is_empty() {
        return Ok(report);
    }
    let mut outcomes = Vec::with_capacity(deliveries.len());
    for delivery in deliveries {
        let Some(alert) = config
            .alerts
            .iter()
            .find(|a| a.name == delivery.message.rule)
        else {
            continue;
        };
        let outcome = channel::send(alert, &delivery.message, now).map_err(|e| e.to_string());
        match &outcome {
            Ok(()) => {
                report.sent += 1;
                tracing::info!(stage = "alerts", rule = %alert.name, key = %delivery.message.key, postings = delivery.message.postings.len(), "alert delivered");
            }
            Err(error) => {
                report.failed += 1;
                tracing::warn!(stage = "alerts", rule = %alert.name, key = %delivery.message.key, attempt = delivery.attempts + 1, error = %error, "alert delivery failed; retried on a later sync");
            }
        }
        outcomes.push((delivery, outcome));
    }
    let conn = db::open(&database)?;
    record(&conn, &outcomes, now)?;
    for rule in status(&conn, &config.alerts)?
        .into_iter()
        .filter(|r| r.failing)
    {
        tracing::error!(stage = "alerts", rule = %rule.rule, failures = rule.consecutive_failures, last_error = %rule.last_error.as_deref().unwrap_or_default(), "alert rule is failing: its deliveries keep failing (see `upjobpilot alerts status`)");
        report.failing.push(rule.rule);
    }
    Ok(report)
}

/// One rule's deliveries, for `alerts status`, `status --json` and `doctor`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
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
}
