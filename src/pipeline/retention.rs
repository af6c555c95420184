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

/// Postings pruned or deleted a transaction at a time: what DuckDB keeps of a piece until it
/// commits (the old text of every pruned posting, to undo it) stays within the load's memory
/// limit. A first sync of 100k postings, most older than a day, ran out of memory pruning them
/// in one transaction at the default 128 MB.
const PIECE: i64 = 5_000;

/// Applies the retention, [`PIECE`] postings a transaction (a crash between two leaves the rest
/// for the next sync, as if it came later); returns how many postings were pruned or deleted.
///
/// No piece's commit checkpoints: DuckDB checkpoints at a commit once the write-ahead log has
/// grown past its threshold, and a first sync's retention (90k postings pruned of 100k) ran out
/// of memory in that checkpoint, inside the commit, which left the transaction unusable (the
/// retry met "Conflict on tuple deletion"). The log is checkpointed afterwards by
/// [`crate::db::checkpoint`], a statement of its own that can run again with more memory.
pub fn prune(conn: &Connection, retention: &Retention) -> Result<usize, duckdb::Error> {
    conn.execute_batch("SET checkpoint_threshold = '1TB'")?;
    let pruned = prune_pieces(conn, retention);
    conn.execute_batch("RESET checkpoint_threshold")?;
    pruned.inspect_err(|e| {
        if crate::db::is_out_of_memory(e) {
            tracing::warn!(stage = "retention", memory = %crate::db::memory_in_use(conn), "DuckDB's memory when retention ran out");
        }
    })
}

fn prune_pieces(conn: &Connection, retention: &Retention) -> Result<usize, duckdb::Error> {
    // The cutoff is computed here: TIMESTAMPTZ arithmetic in SQL needs the ICU extension,
    // which the bundled DuckDB does not carry.
    let cutoff = chrono::Utc::now() - chrono::Duration::hours(i64::from(retention.hours));
    let cutoff = cutoff.naive_utc();
    let strict = !retention.keep_postings;
    let mut done = 0;
    loop {
        // Explicit statements: after a COMMIT that failed, DuckDB wants a ROLLBACK before the
        // next transaction, which a dropped duckdb::Transaction does not send.
        conn.execute_batch("BEGIN TRANSACTION")?;
        match prune_piece(conn, cutoff, strict).and_then(|piece| {
            conn.execute_batch("COMMIT")?;
            Ok(piece)
        }) {
            Ok(0) => break,
            Ok(piece) => done += piece,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
    }
    if done > 0 {
        conn.execute_batch(sql::RETENTION_VOCABULARY)?;
    }
    Ok(done)
}

/// One piece of [`prune_pieces`], in the caller's transaction; returns its postings.
fn prune_piece(
    conn: &Connection,
    cutoff: chrono::NaiveDateTime,
    strict: bool,
) -> Result<usize, duckdb::Error> {
    conn.execute(
        sql::RETENTION_EXPIRED,
        duckdb::params![cutoff, strict, PIECE],
    )?;
    let piece: usize = conn.query_row("SELECT count(*) FROM retention_piece", [], |r| r.get(0))?;
    if piece > 0 && strict {
        // It drops retention_piece.
        conn.execute_batch(sql::RETENTION_DELETE)?;
        return Ok(piece);
    }
    if piece > 0 {
        conn.execute_batch(sql::RETENTION_PRUNE_WORDS)?;
        conn.execute_batch(sql::RETENTION_PRUNE)?;
    }
    conn.execute_batch("DROP TABLE retention_piece")?;
    Ok(piece)
}
