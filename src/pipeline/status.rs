//! What `upjobpilot status` shows and the dashboard's runs page: each search's state and
//! watermark, the last runs, and when the sign-in expires (never a token).
//!
//! Reads the database read-only, so it works while a sync is fetching.

use crate::config::Config;
use crate::db::{self, DbError, sql};
use serde::Serialize;
use std::path::Path;

/// The pipeline's state.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Status {
    /// The database file.
    pub database: String,
    /// One row per configured search, in config order.
    pub searches: Vec<SearchRow>,
    /// The last ten runs, newest first.
    pub runs: Vec<RunRow>,
    /// When the stored access token expires (UTC), if signed in.
    pub token_expires_at: Option<String>,
    /// Each alert rule's deliveries and state.
    pub alerts: Vec<crate::alerts::RuleStatus>,
    /// What the `[signals]` settings cost in requests; `None` on a database written by an older
    /// version, until its next sync brings the schema up to date.
    pub signals: Option<super::signals::SignalsCost>,
}

/// One search's state.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SearchRow {
    /// Its name.
    pub search: String,
    /// Its last sync (UTC).
    pub last_synced_at: Option<String>,
    /// How its last sync ended.
    pub last_status: Option<String>,
    /// Every posting published after it is stored (UTC).
    pub watermark: Option<String>,
    /// Postings it found.
    pub postings: i64,
    /// Of them, found in the last 24 hours.
    pub new_last_24h: i64,
}

/// One sync run.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RunRow {
    /// Its id (sortable by start time).
    pub run_id: String,
    /// ok, partial, failed or crashed.
    pub status: String,
    /// Pages fetched.
    pub pages: i64,
    /// Postings seen.
    pub postings_seen: i64,
    /// Of them, new.
    pub postings_new: i64,
    /// Postings set aside as malformed.
    pub quarantined: i64,
    /// Requests made.
    pub requests: i64,
}

/// The last sync run: when it started (UTC) and how it ended.
#[derive(Debug, Clone, Serialize)]
pub struct LastRun {
    /// Its start, `2025-01-31T09:00:00Z`.
    pub started_at: String,
    /// ok, partial, failed or crashed.
    pub status: String,
}

/// The last sync run recorded in `database`; `None` when there is none (or no database yet).
pub fn last_run(database: &Path) -> Result<Option<LastRun>, DbError> {
    if !database.exists() {
        return Ok(None);
    }
    let conn = db::open_read_only(database)?;
    let mut stmt = conn
        .prepare(sql::LAST_RUN)
        .map_err(|e| DbError::duckdb(database, e))?;
    let mut rows = stmt
        .query_map([], |row| {
            Ok(LastRun {
                started_at: row.get(0)?,
                status: row.get(1)?,
            })
        })
        .map_err(|e| DbError::duckdb(database, e))?;
    rows.next()
        .transpose()
        .map_err(|e| DbError::duckdb(database, e))
}

/// Reads the status of `config`'s pipeline from `database`.
pub fn read(config: &Config, database: &Path) -> Result<Status, DbError> {
    let conn = db::open_read_only(database)?;
    read_from(config, database, &conn).map_err(|source| DbError::DuckDb {
        path: database.to_path_buf(),
        source,
    })
}

fn read_from(
    config: &Config,
    database: &Path,
    conn: &duckdb::Connection,
) -> Result<Status, duckdb::Error> {
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
    let mut alerts = crate::alerts::status(conn, &config.alerts)?;
    crate::alerts::add_deferred(&mut alerts, database);
    let signals = super::signals::cost(conn, &config.signals, chrono::Utc::now()).ok();
    Ok(Status {
        database: database.display().to_string(),
        searches,
        runs,
        token_expires_at,
        alerts,
        signals,
    })
}
