//! `upjobpilot status`: the searches, their watermarks and postings, the last runs, the token,
//! and the alert rules' deliveries.
//!
//! Reads the database read-only, so it works while a sync is fetching, and prints a table (or
//! JSON with `--json` for scripts).

use crate::config::Config;
use crate::db::sql;
use crate::exit::Exit;
use crate::failure::Failure;
use duckdb::{AccessMode, Connection};
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Serialize)]
struct Status {
    database: String,
    searches: Vec<SearchRow>,
    runs: Vec<RunRow>,
    token_expires_at: Option<String>,
    alerts: Vec<crate::alerts::RuleStatus>,
}

#[derive(Debug, Serialize)]
struct SearchRow {
    search: String,
    last_synced_at: Option<String>,
    last_status: Option<String>,
    watermark: Option<String>,
    postings: i64,
    new_last_24h: i64,
}

#[derive(Debug, Serialize)]
struct RunRow {
    run_id: String,
    status: String,
    pages: i64,
    postings_seen: i64,
    postings_new: i64,
    quarantined: i64,
    requests: i64,
}

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
        let text = serde_json::to_string_pretty(&status).map_err(Failure::other)?;
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
    match &status.token_expires_at {
        Some(at) => println!("access token expires at {at}"),
        None => println!("not signed in (run `upjobpilot auth login`)"),
    }
    Ok(Exit::Ok)
}

fn read(config: &Config, database: &Path) -> Result<Status, duckdb::Error> {
    let conn = Connection::open_with_flags(
        database,
        duckdb::Config::default().access_mode(AccessMode::ReadOnly)?,
    )?;
    const TIME: &str = "%Y-%m-%dT%H:%M:%SZ";
    let mut searches = Vec::new();
    for search in &config.searches {
        let row = conn.query_row(
            sql::STATUS_SEARCH,
            duckdb::params![
                TIME,
                search.name,
                search.name,
                TIME,
                search.name,
                search.name,
                search.name
            ],
            |row| {
                Ok(SearchRow {
                    search: search.name.clone(),
                    last_synced_at: row.get(0)?,
                    last_status: row.get(1)?,
                    watermark: row.get(2)?,
                    postings: row.get(3)?,
                    new_last_24h: row.get(4)?,
                })
            },
        )?;
        searches.push(row);
    }
    let mut stmt = conn.prepare(sql::STATUS_RUNS)?;
    let runs = stmt
        .query_map([], |row| {
            Ok(RunRow {
                run_id: row.get(0)?,
                status: row.get(1)?,
                pages: row.get(2)?,
                postings_seen: row.get(3)?,
                postings_new: row.get(4)?,
                quarantined: row.get(5)?,
                requests: row.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let token_expires_at =
        crate::auth::TokenStore::for_client(&config.upwork.client_id, &config.upwork.token_url)
            .ok()
            .and_then(|store| store.load().ok().flatten())
            .map(|tokens| tokens.expires_at.format(TIME).to_string());
    let alerts = crate::alerts::status(&conn, &config.alerts)?;
    Ok(Status {
        database: database.display().to_string(),
        searches,
        runs,
        token_expires_at,
        alerts,
    })
}
