//! `upjobpilot status`: the searches, their watermarks and postings, the last runs, the token.
//!
//! Reads the database read-only ([`crate::pipeline::status`], shared with the dashboard), so it
//! works while a sync is fetching, and prints a table (or JSON with `--json` for scripts), then
//! whether a schedule is installed (from its files, without asking the scheduler).

use crate::config::Config;
use crate::exit::Exit;
use crate::failure::Failure;
use crate::pipeline::signals::SignalsCost;
use crate::pipeline::status::read;
use std::path::Path;

/// Prints the status.
pub fn run(config_path: &Path, json: bool) -> Result<Exit, Failure> {
    let config = Config::load(config_path)?;
    let database = config.database_path();
    let status = read(&config, &database).map_err(|e| {
        Failure::msg(
            Exit::Failure,
            format!("cannot read {}: {e}", database.display()),
        )
        .hint("run `upjobpilot sync` first")
    })?;
    if json {
        let mut value = serde_json::to_value(&status).map_err(Failure::other)?;
        value["schedule"] = super::schedule::installed_json();
        let text = serde_json::to_string_pretty(&value).map_err(Failure::other)?;
        println!("{text}");
        return Ok(Exit::Ok);
    }
    println!("database: {}", status.database);
    println!(
        "{:<24} {:<20} {:<9} {:<20} {:>8} {:>8}",
        "SEARCH", "LAST SYNC", "STATUS", "WATERMARK", "POSTINGS", "NEW 24H"
    );
    for s in &status.searches {
        println!(
            "{:<24} {:<20} {:<9} {:<20} {:>8} {:>8}",
            s.search,
            s.last_synced_at.as_deref().unwrap_or("never"),
            s.last_status.as_deref().unwrap_or("-"),
            s.watermark.as_deref().unwrap_or("-"),
            s.postings,
            s.new_last_24h
        );
    }
    println!();
    println!(
        "{:<32} {:<8} {:>6} {:>8} {:>6} {:>11} {:>8}",
        "RUN", "STATUS", "PAGES", "POSTINGS", "NEW", "QUARANTINED", "REQUESTS"
    );
    for r in &status.runs {
        println!(
            "{:<32} {:<8} {:>6} {:>8} {:>6} {:>11} {:>8}",
            r.run_id, r.status, r.pages, r.postings_seen, r.postings_new, r.quarantined, r.requests
        );
    }
    if !status.alerts.is_empty() {
        println!();
        println!(
            "{:<24} {:>6} {:>8} {:<20}  STATE",
            "ALERT", "SENT", "WAITING", "LAST SENT"
        );
        for a in &status.alerts {
            println!(
                "{:<24} {:>6} {:>8} {:<20}  {}",
                a.rule,
                a.sent,
                a.waiting,
                a.last_sent_at.as_deref().unwrap_or("never"),
                super::alerts::state(a)
            );
        }
    }
    println!();
    if let Some(cost) = &status.signals {
        println!("{}", signals_line(&config, cost));
    }
    match &status.token_expires_at {
        Some(at) => println!("access token expires at {at}"),
        None => println!("not signed in (run `upjobpilot auth login`)"),
    }
    println!("{}", super::schedule::summary_line(&config, false));
    Ok(Exit::Ok)
}

/// What the `[signals]` settings cost: per sync with new postings, for the saved postings a day,
/// and at most a day at `watch`'s default interval.
fn signals_line(config: &Config, cost: &SignalsCost) -> String {
    let interval = super::watch::default_interval(config, cost, crate::cli::DEFAULT_DAILY_BUDGET);
    let mut line = if cost.top == 0 {
        "signals: off for new postings".to_string()
    } else {
        format!(
            "signals: the best {} new postings of a sync cost {} request{} when it stores new postings",
            cost.top,
            cost.per_sync_with_new,
            if cost.per_sync_with_new == 1 { "" } else { "s" }
        )
    };
    if cost.saved_refresh_mins == 0 {
        line.push_str("; saved postings are not refreshed");
    } else {
        line.push_str(&format!(
            "; {} saved postings every {} min cost {} requests a day",
            cost.saved, cost.saved_refresh_mins, cost.saved_per_day
        ));
    }
    line.push_str(&format!(
        "; at most {} signals requests a day at `watch`'s default {interval} s",
        cost.most_per_day(interval)
    ));
    for refused in &cost.refused {
        line.push_str(&format!(
            "\nsignals: Upwork refused {refused} to this key; not asked again for a day (see `upjobpilot doctor`)"
        ));
    }
    line
}
