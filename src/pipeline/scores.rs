//! The scores: `[profile]` into the `profile` tables (which the `fit_score` view reads), then
//! `posting_scores` (the dashboard's list and the alert rules read it) from the shipped
//! `fit_score` and `client_quality` views, so a formula is written once, in `queries/`.
//!
//! Once per sync, right after the load: alert planning then reads fresh scores, and so does the
//! dashboard whether or not the sync exports. `upjobpilot export` refreshes them too, since the
//! views it writes read the profile tables.

use crate::config::Profile;
use duckdb::Connection;

/// Writes `profile` into the `profile` and `profile_skills` tables, then rewrites
/// `posting_scores`. A run out of memory is retried with a higher limit, as the load is:
/// `limit` is the connection's limit (`None`: none), raised as needed, up to eight times
/// `configured`.
pub fn refresh(
    conn: &Connection,
    profile: &Profile,
    limit: &mut Option<u64>,
    configured: u64,
) -> Result<(), duckdb::Error> {
    crate::test_hooks::fail("scores")?;
    write_profile(conn, profile)?;
    crate::db::with_memory_retries(
        conn,
        limit,
        configured,
        "scores",
        crate::db::is_out_of_memory,
        || write_scores(conn),
    )
}

/// Writes `[profile]` into the `profile_skills` and `profile` tables the `fit_score` view reads.
pub fn write_profile(conn: &Connection, profile: &Profile) -> Result<(), duckdb::Error> {
    conn.execute_batch("DELETE FROM profile; DELETE FROM profile_skills;")?;
    conn.execute(
        "INSERT INTO profile VALUES (?)",
        duckdb::params![profile.hourly_rate],
    )?;
    let mut appender = conn.appender("profile_skills")?;
    for skill in &profile.skills {
        appender.append_row(duckdb::params![skill.trim().to_lowercase()])?;
    }
    appender.flush()
}

/// Rewrites the dashboard's `posting_scores` from the shipped views, in one transaction.
pub fn write_scores(conn: &Connection) -> Result<(), duckdb::Error> {
    let tx = conn.unchecked_transaction()?;
    tx.execute_batch(&super::views::with_shipped_scores(crate::db::sql::SCORES))?;
    tx.commit()
}
