//! The `query` tool: one SQL SELECT the assistant wrote, over the user's database, unable to
//! reach anything else.
//!
//! Three locks, each enough for what it guards: DuckDB parses the text and it must be exactly
//! one SELECT (`sql/query_check.sql`; PRAGMA, SET, ATTACH, COPY, INSTALL, writes and a second
//! statement are refused before anything runs), and only its canonical form, written back by
//! DuckDB, is run; the connection is read-only; and its instance is sealed
//! ([`crate::db::open_sealed`]): external access off (no file, URL, glob or extension) and the
//! configuration locked, so no statement can switch it back. The sealed instance is this
//! call's alone: the MCP process runs one call at a time, so no other instance of the file is
//! open beside it. A query runs at most [`TIMEOUT`]; rows and characters are capped.

use super::clean;
use super::error::ToolError;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

const CHECK: &str = include_str!("sql/query_check.sql");

/// How long a query may run before it is interrupted.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// `query`'s answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct QueryAnswer {
    /// The columns' names, in order.
    pub columns: Vec<String>,
    /// The rows, each a list of values in the columns' order (dates and times as text).
    pub rows: Vec<Vec<Value>>,
    /// What was left out to stay within the caps, if anything.
    pub truncated: Option<String>,
    /// About the text in the rows.
    pub untrusted: &'static str,
}

/// The statement as DuckDB parsed it, if it is one SELECT.
fn canonical(conn: &duckdb::Connection, sql: &str) -> Result<String, ToolError> {
    let (parsed, canonical): (String, Option<String>) = conn
        .query_row(CHECK, [sql], |row| Ok((row.get(0)?, row.get(1)?)))
        .map_err(ToolError::query)?;
    if let Some(canonical) = canonical {
        return Ok(canonical);
    }
    let parsed: Value = serde_json::from_str(&parsed).unwrap_or(Value::Null);
    let message = parsed["error_message"].as_str().unwrap_or_default();
    if parsed["error"] == Value::Bool(true) && !message.contains("Only SELECT") {
        return Err(ToolError(format!("the SQL does not parse: {message}")));
    }
    Err(ToolError(
        "only one SELECT statement is allowed (no PRAGMA, SET, ATTACH, COPY, INSTALL, writes or second statement)"
            .into(),
    ))
}

/// Runs `sql` under the caps.
pub fn run(
    database: &Path,
    sql: &str,
    max_rows: usize,
    max_chars: usize,
) -> Result<QueryAnswer, ToolError> {
    if sql.trim().is_empty() {
        return Err(ToolError::argument("sql", "is empty"));
    }
    let conn = crate::db::open_sealed(database).map_err(ToolError::db)?;
    let canonical = canonical(&conn, sql)?;
    let wrapped = format!("SELECT * FROM (\n{canonical}\n) AS q");
    let json = format!(
        "SELECT to_json(q)::VARCHAR FROM (\n{canonical}\n) AS q LIMIT {}",
        max_rows + 1
    );
    let (done, timer) = mpsc::channel::<()>();
    let interrupt = conn.interrupt_handle();
    let watchdog = std::thread::spawn(move || {
        if timer.recv_timeout(TIMEOUT) == Err(mpsc::RecvTimeoutError::Timeout) {
            interrupt.interrupt();
        }
    });
    let result = read(&conn, &wrapped, &json, max_rows, max_chars);
    drop(done);
    let _ = watchdog.join();
    result.map_err(|e| {
        if e.to_string().contains("INTERRUPT") || e.to_string().contains("Interrupt") {
            ToolError(format!(
                "the query ran longer than {} seconds and was stopped",
                TIMEOUT.as_secs()
            ))
        } else {
            ToolError(format!("the query failed: {e}"))
        }
    })
}

fn read(
    conn: &duckdb::Connection,
    wrapped: &str,
    json: &str,
    max_rows: usize,
    max_chars: usize,
) -> duckdb::Result<QueryAnswer> {
    let columns = {
        let mut stmt = conn.prepare(&format!("{wrapped} LIMIT 0"))?;
        drop(stmt.query([])?);
        stmt.column_names()
    };
    let mut output = QueryAnswer {
        columns,
        rows: Vec::new(),
        truncated: None,
        untrusted: clean::UNTRUSTED,
    };
    let mut used = clean::chars(&output) + 128;
    let mut stmt = conn.prepare(json)?;
    let mut rows = stmt.query([])?;
    let mut more = false;
    while let Some(row) = rows.next()? {
        if output.rows.len() == max_rows {
            more = true;
            break;
        }
        let text: String = row.get(0)?;
        let object: serde_json::Map<String, Value> =
            serde_json::from_str(&text).unwrap_or_default();
        let values: Vec<Value> = output
            .columns
            .iter()
            .map(|c| object.get(c).cloned().unwrap_or(Value::Null))
            .collect();
        let size = clean::chars(&values) + 1;
        if used + size > max_chars {
            output.truncated = Some(format!(
                "rows after the first {} left out to stay within {max_chars} characters",
                output.rows.len()
            ));
            return Ok(output);
        }
        used += size;
        output.rows.push(values);
    }
    if more {
        output.truncated = Some(format!(
            "only the first {max_rows} rows: add a LIMIT, an ORDER BY or aggregate"
        ));
    }
    Ok(output)
}
