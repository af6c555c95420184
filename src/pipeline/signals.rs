//! Signals: after each sync's load, how crowded the postings that matter are.
//!
//! Right after the scores are written and before the alert rules are matched (so a new posting's
//! first alert can carry its activity, and `max_interviewing` can filter on it), [`run`] picks
//! the `[signals] top` best new postings by fit score and the `saved` postings due for a refresh
//! (`db/sql/signals_wanted.sql`), asks Upwork's `marketplaceJobPosting` for them,
//! [`BATCH_POSTINGS`] postings a request, through the sync's own client (its rate limiter,
//! retries and request count), and appends one snapshot per posting to `job_activity`.
//!
//! Nothing here fails a sync: a failed request is logged and its postings are asked again by a
//! later sync (a saved posting's refresh comes due again, a new posting is not new any more and
//! keeps no snapshot), and a closed or removed posting is stored as such and not asked again.
//! What Upwork refuses is remembered in `signals_refusals` for [`REFUSAL_HOURS`]: the bid
//! statistics (the key lacks the permission: the other figures are still asked, and `doctor`
//! names the permission) or several postings in one request (then one posting a request).

use crate::config::Signals;
use crate::db::sql;
use crate::upwork::activity::{BID_STATS_FIELD, Snapshot};
use crate::upwork::{UpworkClient, UpworkError, page::parse_timestamp};
use chrono::{DateTime, Duration, Utc};
use duckdb::types::Value;
use duckdb::{Connection, appender_params_from_iter, params};
use serde::Serialize;
use std::collections::VecDeque;

/// Postings asked in one request: a sync's `top = 20` and a few saved postings fit in one.
pub const BATCH_POSTINGS: usize = 25;
/// Hours a refusal is remembered; after that the field (or the batching) is asked again, so a
/// permission ticked in the API Center is picked up within a day.
pub const REFUSAL_HOURS: i64 = 24;
/// The refusal of several postings in one request, in `signals_refusals`.
pub const BATCHING: &str = "batching";

/// What one sync's signals did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignalsReport {
    /// Postings asked for.
    pub wanted: usize,
    /// Snapshots stored.
    pub stored: usize,
    /// Requests sent (every attempt counts).
    pub requests: u64,
    /// What Upwork refused this time (`applicationsBidStats`, `batching`).
    pub refused: Vec<String>,
}

/// A refusal in force: what, Upwork's message, when.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// `applicationsBidStats` or `batching`.
    pub what: String,
    /// Upwork's message.
    pub message: String,
    /// When it was refused.
    pub refused_at: DateTime<Utc>,
}

/// The refusals still in force at `now`.
pub fn refusals(conn: &Connection, now: DateTime<Utc>) -> Result<Vec<Refusal>, duckdb::Error> {
    let cutoff = now - Duration::hours(REFUSAL_HOURS);
    let mut stmt = conn.prepare(sql::SIGNALS_REFUSALS)?;
    let rows = stmt.query_map(params![cutoff], |row| {
        Ok(Refusal {
            what: row.get(0)?,
            message: row.get(1)?,
            refused_at: row.get(2)?,
        })
    })?;
    rows.collect()
}

/// What the `[signals]` settings cost in requests to Upwork, as `status` shows it and `watch`
/// plans with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SignalsCost {
    /// `[signals] top`.
    pub top: u32,
    /// Postings labelled saved that are still refreshed.
    pub saved: i64,
    /// `[signals] saved_refresh_mins` (0: never).
    pub saved_refresh_mins: u32,
    /// Requests a sync that stores at least `top` new postings spends on their signals (fewer
    /// new postings: as many or fewer; none: nothing).
    pub per_sync_with_new: u64,
    /// Requests a day the saved postings' refreshes cost, whatever the interval.
    pub saved_per_day: u64,
    /// What Upwork refused and is not asked again for now (`applicationsBidStats`, `batching`).
    pub refused: Vec<String>,
}

impl SignalsCost {
    /// The most requests a day signals cost when syncs run every `interval_secs` and every one
    /// of them stores new postings.
    pub fn most_per_day(&self, interval_secs: u64) -> u64 {
        86_400u64.div_ceil(interval_secs.max(1)) * self.per_sync_with_new + self.saved_per_day
    }
}

/// What the settings cost with what the database holds now ([`SignalsCost`]).
pub fn cost(
    conn: &Connection,
    signals: &Signals,
    now: DateTime<Utc>,
) -> Result<SignalsCost, duckdb::Error> {
    let refused: Vec<String> = refusals(conn, now)?.into_iter().map(|r| r.what).collect();
    let batching = !refused.iter().any(|r| r == BATCHING);
    let saved: i64 = conn.query_row(sql::SIGNALS_SAVED, [], |r| r.get(0))?;
    let saved_per_day = if signals.saved_refresh_mins == 0 {
        0
    } else {
        1440u64.div_ceil(u64::from(signals.saved_refresh_mins))
            * requests_for(usize::try_from(saved).unwrap_or(0), batching)
    };
    Ok(SignalsCost {
        top: signals.top,
        saved,
        saved_refresh_mins: signals.saved_refresh_mins,
        per_sync_with_new: requests_for(signals.top as usize, batching),
        saved_per_day,
        refused,
    })
}

/// What the settings cost with what the database at `database` holds (read-only); with no
/// database yet, or one an older version wrote, the settings alone (no saved postings).
pub fn cost_now(signals: &Signals, database: &std::path::Path) -> SignalsCost {
    let stored = database
        .exists()
        .then(|| crate::db::open_read_only(database).ok())
        .flatten()
        .and_then(|conn| cost(&conn, signals, Utc::now()).ok());
    stored.unwrap_or_else(|| SignalsCost {
        top: signals.top,
        saved: 0,
        saved_refresh_mins: signals.saved_refresh_mins,
        per_sync_with_new: requests_for(signals.top as usize, true),
        saved_per_day: 0,
        refused: Vec::new(),
    })
}

/// Requests that asking `postings` postings costs, batched or one posting a request.
pub fn requests_for(postings: usize, batching: bool) -> u64 {
    if batching {
        postings.div_ceil(BATCH_POSTINGS) as u64
    } else {
        postings as u64
    }
}

/// Fetches and stores the signals of this sync ([the module doc](self)), adding their requests
/// to the record of the run `run_id`: blocks on `runtime` for the requests. Choosing the
/// postings (it ranks every queued one: 950,005 after a first sync of a million, which once ran
/// out of the default limit, see signals_wanted.sql) and storing the answers run under DuckDB's
/// memory `limit`, raised as the load's is if they run out; the requests are made once. An
/// error is the database's; the caller logs it and the sync goes on.
pub fn run(
    conn: &Connection,
    client: &UpworkClient,
    runtime: &tokio::runtime::Handle,
    signals: &Signals,
    run_id: &str,
    limit: &mut Option<u64>,
    configured: u64,
) -> Result<SignalsReport, duckdb::Error> {
    let now = Utc::now();
    let wanted = retried(conn, limit, configured, || wanted(conn, signals, now))?;
    if wanted.is_empty() {
        return Ok(SignalsReport::default());
    }
    let refused = refusals(conn, now)?;
    let plan = Plan {
        bid_stats: !refused.iter().any(|r| r.what == BID_STATS_FIELD),
        batching: !refused.iter().any(|r| r.what == BATCHING),
    };
    let ids: Vec<String> = wanted.iter().map(|(id, _)| id.clone()).collect();
    let before = client.requests();
    let fetched = runtime.block_on(fetch(client, &ids, plan));
    let requests = client.requests() - before;
    for (what, message) in &fetched.refusals {
        conn.execute(sql::SIGNALS_REFUSE, params![what, message, now])?;
    }
    let stored = retried(conn, limit, configured, || {
        store(conn, &wanted, &fetched.snapshots, now)
    })?;
    conn.execute(
        sql::SIGNALS_COUNT_REQUESTS,
        params![i64::try_from(requests).unwrap_or(i64::MAX), run_id],
    )?;
    let report = SignalsReport {
        wanted: wanted.len(),
        stored,
        requests,
        refused: fetched.refusals.into_iter().map(|(what, _)| what).collect(),
    };
    if let Some(why) = &fetched.stopped {
        tracing::warn!(stage = "signals", error = %why, "fetching signals stopped; the next sync asks again");
    }
    tracing::info!(
        stage = "signals",
        wanted = report.wanted,
        stored = report.stored,
        failed = fetched.failed,
        requests = report.requests,
        "signals fetched"
    );
    Ok(report)
}

/// `work` under the out-of-memory retries ([`crate::db::with_memory_retries`]).
fn retried<T>(
    conn: &Connection,
    limit: &mut Option<u64>,
    configured: u64,
    work: impl FnMut() -> duckdb::Result<T>,
) -> duckdb::Result<T> {
    crate::db::with_memory_retries(
        conn,
        limit,
        configured,
        "signals",
        crate::db::is_out_of_memory,
        work,
    )
}

/// The postings to ask, with why (`top` or `saved`), best new postings first.
fn wanted(
    conn: &Connection,
    signals: &Signals,
    now: DateTime<Utc>,
) -> Result<Vec<(String, String)>, duckdb::Error> {
    crate::test_hooks::out_of_memory_once("signals")?;
    let cutoff = now - Duration::minutes(i64::from(signals.saved_refresh_mins));
    let mut stmt = conn.prepare(sql::SIGNALS_WANTED)?;
    let rows = stmt.query_map(
        params![
            signals.min_fit_score.unwrap_or(0.0),
            i64::from(signals.top),
            signals.saved_refresh_mins > 0,
            cutoff
        ],
        |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
    )?;
    rows.collect()
}

/// How to ask: with the bid statistics or without, several postings a request or one.
#[derive(Debug, Clone, Copy)]
struct Plan {
    bid_stats: bool,
    batching: bool,
}

/// What the requests brought.
#[derive(Debug, Default)]
struct Fetched {
    /// Per posting answered, its snapshot.
    snapshots: Vec<(String, Snapshot)>,
    /// What Upwork refused, with its message.
    refusals: Vec<(String, String)>,
    /// Postings whose part of an answer failed.
    failed: usize,
    /// Why the fetch stopped before asking every posting (sign-in, retries exhausted).
    stopped: Option<String>,
}

/// Whether `field` (`Type.field`) is part of the bid statistics.
fn is_bid_stats(field: &str) -> bool {
    field.ends_with(&format!(".{BID_STATS_FIELD}")) || field.starts_with("ApplicationsBidStats.")
}

/// Asks for `ids`: in batches, falling back to one posting a request when a batch is refused,
/// and without the bid statistics once they are refused.
async fn fetch(client: &UpworkClient, ids: &[String], mut plan: Plan) -> Fetched {
    let mut fetched = Fetched::default();
    let size = if plan.batching { BATCH_POSTINGS } else { 1 };
    let mut queue: VecDeque<Vec<String>> = ids.chunks(size).map(<[String]>::to_vec).collect();
    while let Some(chunk) = queue.pop_front() {
        let error = match client.job_activity(&chunk, plan.bid_stats).await {
            Ok(parts) => {
                for (id, part) in chunk.into_iter().zip(parts) {
                    match part {
                        Some(snapshot) => fetched.snapshots.push((id, snapshot)),
                        None => fetched.failed += 1,
                    }
                }
                continue;
            }
            Err(error) => error,
        };
        let message = error.to_string();
        match &error {
            UpworkError::Refused { fields, .. }
                if plan.bid_stats && fields.iter().any(|f| is_bid_stats(f)) =>
            {
                tracing::warn!(stage = "signals", error = %message, "Upwork refused the bid statistics to this key; asking the other figures (`upjobpilot doctor` says which permission to tick)");
                fetched
                    .refusals
                    .push((BID_STATS_FIELD.to_string(), message));
                plan.bid_stats = false;
                queue.push_front(chunk);
            }
            // A permission error about anything else: no other document can do better.
            UpworkError::Refused { .. } => {
                fetched.stopped = Some(message);
                break;
            }
            UpworkError::Rejected(_) if chunk.len() > 1 => {
                tracing::warn!(stage = "signals", error = %message, "Upwork refused several postings in one request; asking one posting a request");
                fetched.refusals.push((BATCHING.to_string(), message));
                plan.batching = false;
                let rest: Vec<String> =
                    chunk.into_iter().chain(queue.drain(..).flatten()).collect();
                queue.extend(rest.into_iter().map(|id| vec![id]));
            }
            UpworkError::Rejected(_) => {
                tracing::warn!(stage = "signals", posting = %chunk.join(","), error = %message, "Upwork refused a posting's detail");
                fetched.failed += chunk.len();
            }
            UpworkError::Auth(_) | UpworkError::GaveUp { .. } => {
                fetched.stopped = Some(message);
                break;
            }
        }
    }
    fetched
}

/// Appends one snapshot per answered posting to `job_activity`; returns how many.
fn store(
    conn: &Connection,
    wanted: &[(String, String)],
    snapshots: &[(String, Snapshot)],
    now: DateTime<Utc>,
) -> Result<usize, duckdb::Error> {
    if snapshots.is_empty() {
        return Ok(0);
    }
    let tx = conn.unchecked_transaction()?;
    tx.execute_batch(sql::SIGNALS_STAGE)?;
    {
        let mut appender = tx.appender("stage_activity")?;
        let micros = |t: DateTime<Utc>| Value::BigInt(t.timestamp_micros());
        for (id, snapshot) in snapshots {
            let reason = wanted
                .iter()
                .find(|(w, _)| w == id)
                .map_or("top", |(_, r)| r.as_str());
            let f = &snapshot.figures;
            let int = |v: Option<i64>| v.map_or(Value::Null, Value::BigInt);
            let float = |v: Option<f64>| v.map_or(Value::Null, Value::Double);
            let last = f.last_client_activity.as_deref();
            appender.append_row(appender_params_from_iter([
                Value::Text(id.clone()),
                micros(now),
                Value::Text(reason.to_string()),
                Value::Text(snapshot.state.as_str().to_string()),
                int(f.invites_sent),
                int(f.interviewing),
                int(f.hired),
                int(f.unanswered_invites),
                int(f.offered),
                int(f.recommended),
                last.and_then(parse_timestamp).map_or(Value::Null, micros),
                last.map_or(Value::Null, |t| Value::Text(t.to_string())),
                float(f.bid_avg),
                float(f.bid_min),
                float(f.bid_max),
                float(f.bid_avg_interviewed),
            ]))?;
        }
        appender.flush()?;
    }
    tx.execute_batch(sql::SIGNALS_STORE)?;
    tx.commit()?;
    Ok(snapshots.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bid_statistics_are_recognized_by_either_end_of_their_coordinates() {
        assert!(is_bid_stats(
            "MarketplacePostingActivityStat.applicationsBidStats"
        ));
        assert!(is_bid_stats("ActivityStat.applicationsBidStats"));
        assert!(is_bid_stats("ApplicationsBidStats.avgRateBid"));
        assert!(!is_bid_stats("Query.marketplaceJobPosting"));
        assert!(!is_bid_stats("JobActivity.totalHired"));
    }

    #[test]
    fn a_batch_request_carries_up_to_its_size() {
        assert_eq!(requests_for(0, true), 0);
        assert_eq!(requests_for(20, true), 1);
        assert_eq!(requests_for(26, true), 2);
        assert_eq!(requests_for(3, false), 3);
    }
}
