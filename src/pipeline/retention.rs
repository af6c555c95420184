//! Retention: Upwork's terms allow keeping API responses for 24 hours.
//!
//! After each load, postings published longer ago than `retention.hours` lose their title,
//! description and raw JSON; the typed numbers, skills and dates stay. With
//! `retention.keep_postings = false` the postings themselves (and their skills, hits and
//! changes) are deleted instead, once their days are closed in `daily_closed`: the daily
//! aggregates in `daily_postings`, recomputed by every load, are all that is kept of them.
//! Either way their words leave the text index in the same transaction.
//!
//! A sync's load stores a posting already past the cutoff pruned in the first place (see
//! [`super::load::CurrentRun::retention_cutoff`]), so what is left here is what crossed the
//! cutoff since the last sync, and the postings of a load outside a sync.

use crate::config::Retention;
use crate::db::sql;
use duckdb::Connection;

/// Postings pruned or deleted a transaction at a time, so what DuckDB keeps of a transaction
/// until it commits (the old text of every pruned posting, to undo it) does not grow without
/// bound. Large: every piece scans the whole text index to delete its postings' words (their
/// rows are spread over it), so the pieces' work grows with their number. Measured at a first
/// sync of 100k postings (90k pruned here, before the load stored them pruned): 5,000-posting
/// pieces took 2.2 s, 50,000 0.6-0.8 s, with the same peak memory.
const PIECE: i64 = 50_000;

/// Applies the retention, [`PIECE`] postings a transaction (a crash between two leaves the rest
/// for the next sync, as if it came later); returns how many postings were pruned or deleted.
///
/// No piece's commit checkpoints (DuckDB checkpoints at a commit once the write-ahead log has
/// grown past its threshold): the sync checkpoints afterwards with [`crate::db::checkpoint`], a
/// statement of its own. Measured with `bench sync --scan` at 100k postings: with checkpoints
/// inside the commits, DuckDB ran out of memory at the default limit and the sync's retry with
/// a higher limit met "Conflict on tuple deletion" (three runs of four; the cause, found later:
/// see [`prune_within`]); without them, it ran out too, and the retry went through (four runs
/// of four).
pub fn prune(conn: &Connection, retention: &Retention) -> Result<usize, duckdb::Error> {
    prune_in_pieces(conn, retention, PIECE)
}

/// [`prune`], `piece` postings a transaction (the tests prune in many small pieces).
pub fn prune_in_pieces(
    conn: &Connection,
    retention: &Retention,
    piece: i64,
) -> Result<usize, duckdb::Error> {
    conn.execute_batch("SET checkpoint_threshold = '1TB'")?;
    let pruned = prune_pieces(conn, retention, piece.max(1));
    conn.execute_batch("RESET checkpoint_threshold")?;
    pruned.inspect_err(|e| {
        if crate::db::is_out_of_memory(e) {
            tracing::warn!(stage = "retention", memory = %crate::db::memory_in_use(conn), "DuckDB's memory when retention ran out");
        }
    })
}

/// [`prune`] under the out-of-memory retries ([`crate::db::with_memory_retries`]), the file
/// attached again before each retry ([`crate::db::reattach`]): a piece that ran out in the
/// middle of its `DELETE` left rows that the same DuckDB instance could no longer delete, and
/// every retry failed with "Conflict on tuple deletion". Where another part of the process
/// holds a connection of the file at that moment (a dashboard request of `serve --watch`), it
/// is not attached again and the retry goes on without (with a warning); if that retry meets
/// the conflict, the sync fails with the postings stored and the next sync prunes.
pub fn prune_within(
    db: &crate::db::Db,
    retention: &Retention,
    limit: &mut Option<u64>,
    configured: u64,
) -> Result<usize, duckdb::Error> {
    crate::db::with_memory_retries_reattached(
        db,
        limit,
        configured,
        "retention",
        crate::db::is_out_of_memory,
        |e| e,
        || prune(db, retention),
    )
}

/// The time before which postings lose their text at `now`: computed here, as TIMESTAMPTZ
/// arithmetic in SQL needs the ICU extension, which the bundled DuckDB does not carry.
pub fn cutoff(
    retention: &Retention,
    now: chrono::DateTime<chrono::Utc>,
) -> chrono::DateTime<chrono::Utc> {
    now - chrono::Duration::hours(i64::from(retention.hours))
}

fn prune_pieces(
    conn: &Connection,
    retention: &Retention,
    size: i64,
) -> Result<usize, duckdb::Error> {
    let cutoff = cutoff(retention, chrono::Utc::now()).naive_utc();
    let strict = !retention.keep_postings;
    let mut done = 0;
    loop {
        let tx = conn.unchecked_transaction()?;
        let piece = prune_piece(&tx, cutoff, strict, size)?;
        tx.commit()?;
        if piece == 0 {
            break;
        }
        done += piece;
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
    size: i64,
) -> Result<usize, duckdb::Error> {
    conn.execute(sql::RETENTION_PIECE, duckdb::params![cutoff, strict, size])?;
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
