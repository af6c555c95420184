//! Export: every view in `queries/*.sql`, as CSV and/or Parquet, written atomically.
//!
//! Each `.sql` file holds one `SELECT`; its file name (without `.sql`) is the view's name. The
//! views are (re)created in the database, so people who open the DuckDB file see them too, and
//! each is written by DuckDB's own `COPY` to a temp file in the export folder, then committed
//! over the old export by [`crate::fs`]: a spreadsheet never sees half a file.
//!
//! CSV is RFC 4180, UTF-8, with a header. Timestamps are written as ISO 8601 in UTC
//! (`2025-10-16T06:06:47Z`) and lists as `a; b; c`. Cells that a spreadsheet would run as a
//! formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) get a leading `'` unless
//! `export.csv_formula_guard = false`. Parquet keeps the types: TIMESTAMPTZ, DECIMAL, lists.
//!
//! Views named in `export.partitioned` are also written as hive-partitioned Parquet by posting
//! date, `<view>/posted_date=YYYY-MM-DD/data_0.parquet` (the UTC date of `published_at`), into
//! a temp folder that then replaces the old one.

use super::views::{View, ViewsError};
use crate::config::ExportFormat;
use duckdb::Connection;
use std::path::{Path, PathBuf};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The views could not be read.
    #[error(transparent)]
    Views(#[from] ViewsError),
    /// DuckDB rejected a view or the copy.
    #[error("view {view} ({path}): {source}")]
    View {
        /// The view.
        view: String,
        /// Its file.
        path: PathBuf,
        /// DuckDB's error.
        source: duckdb::Error,
    },
    /// `export.partitioned` names a view that `queries/` does not define.
    #[error("`export.partitioned` names {view:?}, which is not a view in the queries folder")]
    UnknownPartitioned {
        /// The name.
        view: String,
    },
    /// A partitioned view has no `published_at` column to partition by.
    #[error(
        "view {view} ({path}) has no `published_at` column, so it cannot be partitioned by posting date"
    )]
    NotPartitionable {
        /// The view.
        view: String,
        /// Its file.
        path: PathBuf,
    },
    /// A file could not be replaced because another program holds it open (Excel on Windows).
    /// [`export`] skips that file and exports the rest; only a single-file helper returns this.
    #[error(
        "cannot replace {path}: another program has it open ({source}); close it there (a spreadsheet: close the file, or use Data > From Text/CSV, which does not hold it), and the next sync or `upjobpilot export` writes it"
    )]
    Held {
        /// The file (or partitioned folder).
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
    /// The export folder is not writable.
    #[error("cannot write to export folder {path}: {source}")]
    Write {
        /// The folder or file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl ExportError {
    /// Whether a view ran out of DuckDB's memory limit: a sync (and `bench load --export`)
    /// writes it again with a higher one ([`crate::db::with_memory_retries`]).
    pub fn is_out_of_memory(&self) -> bool {
        matches!(self, ExportError::View { source, .. } if crate::db::is_out_of_memory(source))
    }
}

/// What an export wrote, and what it had to leave as it was.
#[derive(Debug, Default)]
pub struct Exported {
    /// The files and folders written.
    pub written: Vec<PathBuf>,
    /// The files and folders another program held open, so they keep their last export (see
    /// [`ExportError::Held`]); each with the message that says what to do.
    pub held: Vec<(PathBuf, String)>,
}

/// How to write CSV.
#[derive(Debug, Clone, Copy)]
pub struct CsvOptions {
    /// Neutralize formula injection.
    pub formula_guard: bool,
    /// The field separator: `,`, `;` or a tab.
    pub delimiter: u8,
    /// Start with a UTF-8 byte order mark.
    pub bom: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            formula_guard: true,
            delimiter: b',',
            bom: false,
        }
    }
}

/// (Re)creates the views in the database.
pub fn create_views(conn: &Connection, views: &[View]) -> Result<(), ExportError> {
    for view in views {
        conn.execute_batch(&format!(
            "CREATE OR REPLACE VIEW \"{}\" AS\n{}\n",
            view.name, view.sql
        ))
        .map_err(|source| ExportError::View {
            view: view.name.clone(),
            path: view.path.clone(),
            source,
        })?;
    }
    Ok(())
}

/// Writes every view in every format, and the `partitioned` views as hive-partitioned Parquet;
/// returns the files and folders written. A file that another program holds open (a CSV open in
/// Excel on Windows) cannot be replaced: it keeps its last export, the others are still written,
/// and it is listed in [`Exported::held`].
pub fn export(
    conn: &Connection,
    views: &[View],
    dir: &Path,
    formats: &[ExportFormat],
    csv: CsvOptions,
    partitioned: &[String],
) -> Result<Exported, ExportError> {
    export_each(conn, views, dir, formats, csv, partitioned, &mut |write| {
        write()
    })
}

/// How [`export_each`] writes one file: it calls the writing it is given, once or again (the
/// sync's retries after running out of memory, [`crate::db::with_memory_retries`]).
pub type EachFile<'a> =
    dyn FnMut(&mut dyn FnMut() -> Result<(), ExportError>) -> Result<(), ExportError> + 'a;

/// [`export`], each file written through `each`: a file is written whole or not at all, so a
/// file that ran out of memory is written again alone, not the files before it.
pub fn export_each(
    conn: &Connection,
    views: &[View],
    dir: &Path,
    formats: &[ExportFormat],
    csv: CsvOptions,
    partitioned: &[String],
    each: &mut EachFile<'_>,
) -> Result<Exported, ExportError> {
    check_partitioned(conn, views, partitioned)?;
    std::fs::create_dir_all(dir).map_err(|source| ExportError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    // The pipeline lock is held: temp files here are left by a killed export, not being written.
    crate::fs::remove_stale_temps(dir);
    let mut exported = Exported::default();
    let mut outcome = |target: PathBuf, result: Result<(), ExportError>| match result {
        Ok(()) => {
            exported.written.push(target);
            Ok(())
        }
        Err(held @ ExportError::Held { .. }) => {
            tracing::warn!(stage = "export", file = %target.display(), "{held}");
            exported.held.push((target, held.to_string()));
            Ok(())
        }
        Err(e) => Err(e),
    };
    for view in views {
        for format in formats {
            let target = dir.join(format!("{}.{}", view.name, format.extension()));
            let result = each(&mut || export_one(conn, view, &target, *format, csv));
            outcome(target, result)?;
        }
        if partitioned.contains(&view.name) {
            let target = dir.join(&view.name);
            let result = each(&mut || export_partitioned(conn, view, &target));
            outcome(target, result)?;
        }
    }
    Ok(exported)
}

fn held(target: &Path, source: std::io::Error) -> ExportError {
    ExportError::Held {
        path: target.to_path_buf(),
        source,
    }
}

/// The error of putting a written file or folder in `target`'s place: [`ExportError::Held`]
/// when another program holds `target` open.
fn commit_error(target: &Path, source: std::io::Error) -> ExportError {
    if crate::platform::is_held_by_another_program(&source) {
        held(target, source)
    } else {
        ExportError::Write {
            path: target.to_path_buf(),
            source,
        }
    }
}

/// Whether every view named in `export.partitioned` exists (created in `conn`) and has the
/// `published_at` column to partition by; checked before anything is written.
pub fn check_partitioned(
    conn: &Connection,
    views: &[View],
    partitioned: &[String],
) -> Result<(), ExportError> {
    for name in partitioned {
        let view = views
            .iter()
            .find(|v| &v.name == name)
            .ok_or_else(|| ExportError::UnknownPartitioned { view: name.clone() })?;
        let columns = describe(conn, &view.name).map_err(|source| ExportError::View {
            view: view.name.clone(),
            path: view.path.clone(),
            source,
        })?;
        if !columns.iter().any(|(column, _)| column == "published_at") {
            return Err(ExportError::NotPartitionable {
                view: view.name.clone(),
                path: view.path.clone(),
            });
        }
    }
    Ok(())
}

/// One view as hive-partitioned Parquet by the UTC date of `published_at`, written to a temp
/// folder that then takes the place of the old one.
fn export_partitioned(conn: &Connection, view: &View, target: &Path) -> Result<(), ExportError> {
    let write_err = |source| ExportError::Write {
        path: target.to_path_buf(),
        source,
    };
    let tmp = crate::fs::temp_path(target).map_err(write_err)?;
    // `published_at::TIMESTAMP` is the UTC wall clock, so the date is the UTC date.
    let copy = format!(
        "COPY (SELECT *, CAST(published_at::TIMESTAMP AS DATE) AS posted_date FROM \"{}\") TO {} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (posted_date))",
        view.name,
        crate::db::sql_path(&tmp)
    );
    if let Err(source) = conn.execute_batch(&copy) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(ExportError::View {
            view: view.name.clone(),
            path: view.path.clone(),
            source,
        });
    }
    // A view with no rows writes no folder; an empty one still replaces the old export.
    std::fs::create_dir_all(&tmp).map_err(write_err)?;
    if let Err(source) = crate::test_hooks::held(target) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(held(target, source));
    }
    crate::fs::commit_dir(&tmp, target).map_err(|e| commit_error(target, e))
}

fn export_one(
    conn: &Connection,
    view: &View,
    target: &Path,
    format: ExportFormat,
    csv: CsvOptions,
) -> Result<(), ExportError> {
    let db_err = |source| ExportError::View {
        view: view.name.clone(),
        path: view.path.clone(),
        source,
    };
    let write_err = |source| ExportError::Write {
        path: target.to_path_buf(),
        source,
    };
    crate::test_hooks::out_of_memory_once(&format!("export-{}", view.name)).map_err(db_err)?;
    let tmp = crate::fs::temp_path(target).map_err(write_err)?;
    let select = match format {
        ExportFormat::Parquet => format!("SELECT * FROM \"{}\"", view.name),
        ExportFormat::Csv => csv_select(conn, &view.name, csv).map_err(db_err)?,
    };
    let options = match format {
        ExportFormat::Parquet => "FORMAT parquet, COMPRESSION zstd".to_string(),
        ExportFormat::Csv => format!(
            "FORMAT csv, HEADER true, DELIMITER '{}', QUOTE '\"', ESCAPE '\"'",
            char::from(csv.delimiter)
        ),
    };
    let copy = format!(
        "COPY ({select}) TO {} ({options})",
        crate::db::sql_path(&tmp)
    );
    if let Err(source) = conn.execute_batch(&copy) {
        let _ = std::fs::remove_file(&tmp);
        return Err(db_err(source));
    }
    if format == ExportFormat::Csv && csv.bom {
        prepend_bom(&tmp).map_err(|source| {
            let _ = std::fs::remove_file(&tmp);
            write_err(source)
        })?;
    }
    if let Err(source) = crate::test_hooks::held(target) {
        let _ = std::fs::remove_file(&tmp);
        return Err(held(target, source));
    }
    crate::fs::commit_file(&tmp, target).map_err(|e| commit_error(target, e))
}

/// Rewrites a file with a UTF-8 byte order mark in front, streaming.
fn prepend_bom(path: &Path) -> std::io::Result<()> {
    let with_bom = path.with_extension("bom");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&with_bom)?);
        std::io::Write::write_all(&mut out, "\u{feff}".as_bytes())?;
        std::io::copy(&mut std::fs::File::open(path)?, &mut out)?;
        std::io::Write::flush(&mut out)?;
    }
    std::fs::rename(&with_bom, path)
}

/// A `SELECT` over the view that makes every column spreadsheet-safe: ISO timestamps in UTC,
/// lists joined with `; `, and formula-looking text prefixed with `'`.
fn csv_select(conn: &Connection, view: &str, options: CsvOptions) -> Result<String, duckdb::Error> {
    let columns = describe(conn, view)?;
    let list: Vec<String> = columns
        .iter()
        .map(|(name, ty)| {
            let col = format!("\"{}\"", name.replace('"', "\"\""));
            let expr = if ty == "TIMESTAMP WITH TIME ZONE" || ty == "TIMESTAMP" {
                format!("strftime({col}::TIMESTAMP, '%Y-%m-%dT%H:%M:%SZ')")
            } else if ty.ends_with("[]") {
                guard(&format!("array_to_string({col}, '; ')"), options)
            } else if ty == "VARCHAR" || ty == "JSON" {
                guard(&format!("{col}::VARCHAR"), options)
            } else {
                col.clone()
            };
            format!("{expr} AS {col}")
        })
        .collect();
    Ok(format!("SELECT {} FROM \"{view}\"", list.join(", ")))
}

/// A view's columns: name and DuckDB type.
fn describe(conn: &Connection, view: &str) -> Result<Vec<(String, String)>, duckdb::Error> {
    let mut stmt = conn.prepare(&format!("DESCRIBE SELECT * FROM \"{view}\""))?;
    stmt.query_map([], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
    })?
    .collect()
}

fn guard(expr: &str, options: CsvOptions) -> String {
    if !options.formula_guard {
        return expr.to_string();
    }
    // A prefix test, not a regular expression: it runs on every text cell.
    format!(
        "CASE WHEN left({expr}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN '''' || {expr} ELSE {expr} END"
    )
}
