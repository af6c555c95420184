//! `upjobpilot alerts status | test NAME`: the alert rules' deliveries, and a sample through one.
//!
//! `status` reads the database read-only (it works while a sync runs), adds what the last
//! delivery left for the next sync and why (its summary beside the database), lists the health
//! notices open now (their state file beside the database), and prints a table, or JSON
//! (`{"rules": [...], "notices": [...]}`) with `--json`. `test` sends a made-up posting through the rule's channel without
//! touching the database, and fails (status 1) with the channel's error when it does not arrive.

use crate::alerts::notices::{self, OpenNotice};
use crate::alerts::{self, RuleStatus, channel};
use crate::config::Config;
use crate::db::DbError;
use crate::exit::Exit;
use crate::failure::Failure;
use std::path::Path;

/// What `alerts status --json` prints.
#[derive(Debug, serde::Serialize)]
struct Status {
    /// Each rule's deliveries.
    rules: Vec<RuleStatus>,
    /// The health notices open now.
    notices: Vec<OpenNotice>,
}

/// Prints each rule's deliveries and the health notices open now.
pub fn status(config_path: &Path, json: bool) -> Result<Exit, Failure> {
    let config = Config::load(config_path)?;
    let rules = read_status(&config).map_err(|e| {
        Failure::msg(
            Exit::Failure,
            format!("cannot read the alerts' deliveries: {e}"),
        )
        .hint("run `upjobpilot sync` first")
    })?;
    let notices = notices::open_now(&config.database_path());
    if json {
        let text =
            serde_json::to_string_pretty(&Status { rules, notices }).map_err(Failure::other)?;
        println!("{text}");
        return Ok(Exit::Ok);
    }
    print_notices(&config, &notices);
    if rules.is_empty() {
        println!("no [[alert]] rules in {}", config_path.display());
        return Ok(Exit::Ok);
    }
    println!(
        "{:<24} {:>6} {:>8} {:>8} {:>10} {:<20} {:>8}  STATE",
        "RULE", "SENT", "WAITING", "DEFERRED", "SUPPRESSED", "LAST SENT", "FAILURES"
    );
    for r in &rules {
        println!(
            "{:<24} {:>6} {:>8} {:>8} {:>10} {:<20} {:>8}  {}",
            r.rule,
            r.sent,
            r.waiting,
            r.deferred,
            r.suppressed,
            r.last_sent_at.as_deref().unwrap_or("never"),
            r.consecutive_failures,
            state(r)
        );
    }
    for r in rules.iter().filter(|r| r.deferred > 0) {
        println!(
            "{}: the last delivery deferred {} message{}: {}",
            r.rule,
            r.deferred,
            if r.deferred == 1 { "" } else { "s" },
            r.deferred_reason.as_deref().unwrap_or_default()
        );
    }
    Ok(Exit::Ok)
}

/// The notices open now, above the rules; a line saying there are none, or that `[notify]` is
/// not set.
fn print_notices(config: &Config, open: &[OpenNotice]) {
    if config.notify.is_none() && open.is_empty() {
        println!("health notices: off (no [notify] table)\n");
        return;
    }
    if open.is_empty() {
        println!("health notices: none open\n");
        return;
    }
    println!("health notices open now:");
    for notice in open {
        println!(
            "  {:<17} since {}  {}{}",
            notice.notice,
            notice
                .opened_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            notice.title,
            if notice.delivered {
                ""
            } else {
                "  (not delivered yet)"
            }
        );
    }
    println!();
}

/// `ok`, `failing: <error>`, or `retrying: <error>`.
pub fn state(rule: &RuleStatus) -> String {
    match (&rule.last_error, rule.failing) {
        (Some(error), true) => format!("failing: {error}"),
        (Some(error), false) => format!("retrying: {error}"),
        (None, _) => "ok".to_string(),
    }
}

/// The rules' status from the database, read-only, with what the last delivery deferred; every
/// rule with zeros when there is no database yet.
pub fn read_status(config: &Config) -> Result<Vec<RuleStatus>, DbError> {
    let mut rules = read_rules(config)?;
    alerts::add_deferred(&mut rules, &config.database_path());
    Ok(rules)
}

fn read_rules(config: &Config) -> Result<Vec<RuleStatus>, DbError> {
    let database = config.database_path();
    if !database.exists() {
        return Ok(config
            .alerts
            .iter()
            .map(|a| RuleStatus {
                rule: a.name.clone(),
                ..RuleStatus::default()
            })
            .collect());
    }
    let conn = crate::db::open_read_only(&database)?;
    alerts::status(&conn, &config.alerts).map_err(|source| DbError::DuckDb {
        path: database.clone(),
        source,
    })
}

/// Sends a sample posting through the rule `name`.
pub fn test(config_path: &Path, name: &str) -> Result<Exit, Failure> {
    let config = Config::load(config_path)?;
    let Some(alert) = config.alerts.iter().find(|a| a.name == name) else {
        let known: Vec<&str> = config.alerts.iter().map(|a| a.name.as_str()).collect();
        return Err(Failure::msg(
            Exit::Usage,
            format!(
                "no [[alert]] rule named {name:?} in {}",
                config_path.display()
            ),
        )
        .hint(if known.is_empty() {
            "add an [[alert]] table to the config (see the commented examples in pipeline.toml)"
                .to_string()
        } else {
            format!("the rules are: {}", known.join(", "))
        }));
    };
    let message = alerts::sample(&alert.name, chrono::Utc::now());
    channel::send(alert, &message, chrono::Utc::now()).map_err(|e| {
        Failure::msg(Exit::Failure, format!("alert {name:?}: {e}")).hint(
            "check the URL in the variable named by `webhook_env` (or the command), then try again",
        )
    })?;
    println!(
        "sent a sample posting through {name:?} (key {})",
        message.key
    );
    Ok(Exit::Ok)
}
