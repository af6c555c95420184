//! `upjobpilot watch`: one long-running process that syncs every interval, so alerts arrive
//! within a poll of a posting's publication, for users who keep one program running instead of a
//! timer.
//!
//! Before the first poll it computes the requests a day its idle polls cost (one batched request
//! for up to 50 searches, or one per search where Upwork refused batches, plus the refreshes of
//! the saved postings' signals: a poll with nothing new asks no other signals). Without
//! `--interval-secs` it chooses the shortest interval, [`MIN_DEFAULT_INTERVAL_SECS`] or more,
//! whose idle polls and signals take at most [`DEFAULT_SHARE_PERCENT`] of the daily budget
//! ([`default_interval_secs`]); a given interval that would take more than
//! [`BUDGET_SHARE_PERCENT`] is refused, leaving the rest for the pages of busy polls. It prints
//! the interval and that figure. Each poll is a whole `sync` (fetch, load,
//! alerts, export) with one Upwork client, and so one rate limiter, for the life of the process;
//! the database is opened only by the steps that need it, so other programs can read it between
//! polls. A poll that fails (another sync holds the lock, a network outage) is logged and the
//! next one runs on schedule; a sign-in that needs the user ends the process with the auth
//! status. SIGTERM or Ctrl-C during a poll lets the poll finish, between polls ends the wait; the
//! exit status is then 0.

use super::context::Context;
use super::sync::finish;
use crate::cli::WatchArgs;
use crate::exit::Exit;
use crate::failure::Failure;
use crate::pipeline::{self, SyncOptions};
use crate::platform;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use tokio::sync::watch;

/// The share of the daily budget idle polls may take.
const BUDGET_SHARE_PERCENT: u64 = 80;
/// The share of the daily budget the default interval's idle polls take at most: the rest is
/// for the pages of busy polls, `sync`s run by hand, the dashboard's users and other tools on
/// the same key.
pub const DEFAULT_SHARE_PERCENT: u64 = 25;
/// The shortest interval chosen by default. A posting waits on average half an interval for the
/// next poll and at most one, plus the poll itself (about a second): 15 s gives alerts in about
/// 8 s median and 16 s worst, and costs 5,760 requests a day for up to 50 searches, 14 % of
/// Upwork's 40,000 (with each poll's signals, at worst twice that: the default is then 18 s).
/// Shorter would spend budget for seconds nobody notices.
pub const MIN_DEFAULT_INTERVAL_SECS: u64 = 15;

/// The interval `watch` uses without `--interval-secs`: the shortest, at least
/// [`MIN_DEFAULT_INTERVAL_SECS`], at which polls costing `per_poll` requests (the searches' and,
/// at worst, the new postings' signals) with `signals_per_day` more for the saved postings'
/// refreshes take at most [`DEFAULT_SHARE_PERCENT`] of `daily_budget`.
pub fn default_interval_secs(per_poll: u64, signals_per_day: u64, daily_budget: u64) -> u64 {
    let allowed = (daily_budget * DEFAULT_SHARE_PERCENT / 100)
        .saturating_sub(signals_per_day)
        .max(1);
    (86_400 * per_poll)
        .div_ceil(allowed)
        .clamp(MIN_DEFAULT_INTERVAL_SECS, 86_400)
}

/// The interval `watch` chooses for `config` with `signals` at `daily_budget`: every poll may
/// find new postings and ask their signals, so it counts them with the searches' requests.
pub fn default_interval(
    config: &crate::config::Config,
    signals: &pipeline::signals::SignalsCost,
    daily_budget: u64,
) -> u64 {
    default_interval_secs(
        pipeline::idle_sync_requests(config) + signals.per_sync_with_new,
        signals.saved_per_day,
        daily_budget,
    )
}

/// Requests a day that idle polls costing `per_poll` requests every `interval_secs` cost.
pub fn idle_requests_per_day(per_poll: u64, interval_secs: u64) -> u64 {
    (86_400u64).div_ceil(interval_secs.max(1)) * per_poll
}

/// Syncs every `args.interval_secs` (or the [default](default_interval_secs)) until a signal.
pub fn run(
    config_path: &Path,
    args: &WatchArgs,
    quiet: bool,
    runtime: &Runtime,
) -> Result<Exit, Failure> {
    let context = Context::load(config_path)?;
    let searches = context.config.searches.len();
    let per_poll = pipeline::idle_sync_requests(&context.config);
    // An idle poll stores nothing new, so its only signals are the saved postings' refreshes.
    let signals =
        pipeline::signals::cost_now(&context.config.signals, &context.config.database_path());
    let interval_secs = args
        .interval_secs
        .unwrap_or_else(|| default_interval(&context.config, &signals, args.daily_budget));
    let per_day = idle_requests_per_day(per_poll, interval_secs) + signals.saved_per_day;
    let allowed = args.daily_budget * BUDGET_SHARE_PERCENT / 100;
    if per_day > allowed {
        let shortest =
            (86_400 * per_poll).div_ceil(allowed.saturating_sub(signals.saved_per_day).max(1));
        return Err(Failure::msg(
            Exit::Usage,
            format!(
                "polling {searches} searches every {interval_secs} s costs about {per_day} requests a day, more than {BUDGET_SHARE_PERCENT}% of the daily budget of {}",
                args.daily_budget
            ),
        )
        .hint(format!("use --interval-secs {shortest} or more")));
    }
    let chosen = if args.interval_secs.is_some() {
        ""
    } else {
        " (the default for this budget)"
    };
    tracing::info!(
        stage = "watch",
        interval_secs,
        default = args.interval_secs.is_none(),
        searches,
        requests_per_day = per_day,
        saved_signals_per_day = signals.saved_per_day,
        signals_per_sync_with_new = signals.per_sync_with_new,
        daily_budget = args.daily_budget,
        "watching"
    );
    if !quiet {
        println!(
            "watching {searches} searches every {interval_secs} s{chosen}: about {per_day} requests a day when idle (budget {})",
            args.daily_budget
        );
    }
    let options = SyncOptions {
        export: !args.no_export,
        // A sync from cron running at the same time: skip this poll, not wait.
        lock_wait: Duration::ZERO,
        progress: false,
        busy_wait: super::sync::BUSY_WAIT,
    };
    let interval = Duration::from_secs(interval_secs);
    let daily_budget = args.daily_budget;
    runtime.block_on(async {
        let stop = stop_signal()?;
        let client = super::sync::client(&context).await?;
        let mut poll: u64 = 0;
        let watching = Instant::now();
        let mut requests_used: u64 = 0;
        loop {
            poll += 1;
            let started = Instant::now();
            let mut stopping = stop.clone();
            let mut signalled = *stopping.borrow();
            let sync = pipeline::sync(&context.config, client.clone(), &options);
            tokio::pin!(sync);
            // The poll in progress finishes (its load is one transaction, its requests have
            // timeouts); a signal meanwhile only ends the loop after it.
            let result = loop {
                tokio::select! {
                    result = &mut sync => break result,
                    _ = stopping.changed(), if !signalled => {
                        signalled = true;
                        tracing::info!(stage = "watch", poll, "stopping after this poll");
                    }
                }
            };
            let mut busy = false;
            match result {
                Ok(report) => {
                    requests_used += report.requests;
                    // A search that needed more than its first page had a page full of new
                    // postings: more are likely on their way.
                    busy = report.searches.iter().any(|s| s.pages > 1);
                    if let Err(failure) = finish(&report)
                        && failure.exit == Exit::Auth
                    {
                        return Err(failure);
                    }
                    let new = report.load.as_ref().map_or(0, |l| l.new_postings);
                    let alerts = report.alerts.as_ref().map_or(0, |a| a.sent);
                    tracing::info!(stage = "watch", poll, new, requests = report.requests, alerts, "poll done");
                    if !quiet {
                        println!(
                            "poll {poll}: {new} new postings, {} requests, {alerts} alerts sent",
                            report.requests
                        );
                    }
                }
                Err(error) if error.exit() == Exit::Auth => return Err(error.into()),
                Err(error) => {
                    tracing::error!(stage = "watch", poll, error = %error, "poll failed; the next one runs on schedule");
                }
            }
            if *stop.borrow() {
                return Ok(Exit::Ok);
            }
            let wait = next_wait(
                interval,
                busy,
                requests_used,
                watching.elapsed(),
                daily_budget,
            );
            if wait < interval {
                tracing::info!(stage = "watch", poll, wait_secs = wait.as_secs(), "a page was full of new postings; polling sooner");
            }
            let mut stopping = stop.clone();
            tokio::select! {
                () = tokio::time::sleep(wait.saturating_sub(started.elapsed())) => {}
                _ = stopping.changed() => return Ok(Exit::Ok),
            }
        }
    })
}

/// How long after the start of a poll the next one starts: the interval, or half of it after a
/// busy poll (a page full of new postings) while the requests so far, spread over a day, stay
/// under 80 % of the daily budget.
pub fn next_wait(
    interval: Duration,
    busy: bool,
    requests_used: u64,
    watched: Duration,
    daily_budget: u64,
) -> Duration {
    let per_day =
        requests_used as f64 / watched.as_secs_f64().max(interval.as_secs_f64()) * 86_400.0;
    if busy && per_day < daily_budget as f64 * 0.8 {
        interval / 2
    } else {
        interval
    }
}

/// A channel that turns `true` when the system asks us to stop ([`platform::stop_signal`]).
fn stop_signal() -> Result<watch::Receiver<bool>, Failure> {
    let stopped = platform::stop_signal().map_err(Failure::other)?;
    let (sender, receiver) = watch::channel(false);
    tokio::spawn(async move {
        stopped.await;
        tracing::info!(stage = "watch", "signal received: finishing");
        let _ = sender.send(true);
    });
    Ok(receiver)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_poll_brings_the_next_one_sooner_within_the_budget() {
        let minute = Duration::from_secs(60);
        let hour = Duration::from_secs(3600);
        assert_eq!(next_wait(minute, false, 60, hour, 40_000), minute);
        assert_eq!(next_wait(minute, true, 60, hour, 40_000), minute / 2);
        // 2,000 requests an hour would be 48,000 a day: over budget, no sooner poll.
        assert_eq!(next_wait(minute, true, 2_000, hour, 40_000), minute);
    }

    #[test]
    fn the_idle_budget_is_the_requests_of_a_poll_times_the_polls() {
        assert_eq!(idle_requests_per_day(3, 120), 3 * 720);
        assert_eq!(idle_requests_per_day(1, 60), 1440);
        assert_eq!(idle_requests_per_day(10, 7), 10 * 12_343);
    }

    #[test]
    fn the_default_interval_keeps_idle_polls_within_a_quarter_of_the_budget() {
        // One batched request a poll at Upwork's 40,000: 15 s, 5,760 a day.
        assert_eq!(default_interval_secs(1, 0, 40_000), 15);
        // 12 searches Upwork would not batch: 12 requests a poll, 104 s.
        assert_eq!(default_interval_secs(12, 0, 40_000), 104);
        // A small budget: 1,000 a day leaves 250 for idle polls, one every 346 s.
        assert_eq!(default_interval_secs(1, 0, 1_000), 346);
        // The saved postings' signals come out of the same quarter: 9,000 of its 10,000 leave
        // 1,000 for the polls, one every 87 s.
        assert_eq!(default_interval_secs(1, 9_000, 40_000), 87);
        for (per_poll, signals, budget) in [
            (1, 0, 40_000),
            (2, 24, 40_000),
            (12, 0, 40_000),
            (1, 0, 1_000),
            (3, 0, 7),
            (1, 9_000, 40_000),
        ] {
            let secs = default_interval_secs(per_poll, signals, budget);
            assert!(secs >= MIN_DEFAULT_INTERVAL_SECS);
            assert!(
                secs == 86_400
                    || idle_requests_per_day(per_poll, secs) + signals
                        <= budget * DEFAULT_SHARE_PERCENT / 100,
                "{per_poll} a poll every {secs} s and {signals} signals within {budget}"
            );
        }
    }
}
