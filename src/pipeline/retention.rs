//! Retention: Upwork's terms allow keeping API responses for 24 hours.
//!
//! After each load, postings published longer ago than `retention.hours` lose their title,
//! description and raw JSON; the typed numbers, skills and dates stay. With
//! `retention.keep_postings = false` the postings themselves (and their skills, hits and
//! changes) are deleted instead, once their days are closed in `daily_closed`: the daily
//! aggregates in `daily_postings`, recomputed by every load, are all that is kept of them.
//! Either way their words leave the text index in the same transaction.

use crate::config::Retention;
use crate::db::sql;
use duckdb::Connection;

/// Applies the retention; returns how many postings were pruned or deleted.
pub fn prune(conn: &Connection, retention: &Retention) -> Result<usize, duckdb::Error> {
    // The cutoff is computed here: TIMESTAMPTZ arithmetic in SQL needs the ICU extension,
    // which the bundled DuckDB does not carry.
    let cutoff = chrono::Utc::now() - chrono::Duration::hours(i64::from(retention.hours));
    let cutoff = cutoff.naive_utc();
    let tx = conn.unchecked_transaction()?;
    let done = if retention.keep_postings {
        tx.execute(sql::RETENTION_PRUNE_WORDS, duckdb::params![cutoff])?;
        tx.execute(sql::RETENTION_PRUNE, duckdb::params![cutoff])?
    } else {
        tx.execute(sql::RETENTION_EXPIRED, duckdb::params![cutoff])?;
        let expired: usize = tx.query_row("SELECT count(*) FROM expired", [], |r| r.get(0))?;
        tx.execute_batch(sql::RETENTION_DELETE)?;
        expired
    };
    if done > 0 {
        tx.execute_batch(sql::RETENTION_VOCABULARY)?;
    }
    tx.commit()?;
    Ok(done)
}
