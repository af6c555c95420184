//! Export: every view in `queries/*.sql`, as CSV and/or Parquet, written atomically.
//!
//! Each `.sql` file holds one `SELECT`; its file name (without `.sql`) is the view's name. The
//! views are (re)created in the database, so people who open the DuckDB file see them too, and
//! each is written by DuckDB's own `COPY` to a temp file in the export folder, then renamed over
//! the old export: a spreadsheet never sees half a file.
//!
//! CSV is RFC 4180, UTF-8, with a header. Timestamps are written as ISO 8601 in UTC
//! (`2025-10-16T06:06:47Z`) and lists as `a; b; c`. Cells that a spreadsheet would run as a
//! formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) get a leading `'` unless
//! `export.csv_formula_guard = false`. Parquet keeps the types: TIMESTAMPTZ, DECIMAL, lists.
//!
//! Views named in `export.partitioned` are also written as hive-partitioned Parquet by posting
//! date, `<view>/posted_date=YYYY-MM-DD/data_0.parquet` (the UTC date of `published_at`), into
//! a temp folder that then replaces the old one.

use crate::config::ExportFormat;
use duckdb::Connection;
use std::path::{Path, PathBuf};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The queries folder or a view file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A view's name cannot be used.
    #[error("view file {path}: the name must be letters, digits and `_`, starting with a letter")]
    BadName {
        /// The file.
        path: PathBuf,
    },
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
    /// The export folder is not writable.
    #[error("cannot write to export folder {path}: {source}")]
    Write {
        /// The folder or file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// How to write CSV.
#[derive(Debug, Clone, Copy)]
pub struct CsvOptions {
    /// Neutralize formula injection.
    pub formula_guard: bool,
    /// The field separator.
    pub delimiter: char,
    /// Start with a UTF-8 byte order mark.
    pub bom: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            formula_guard: true,
            delimiter: ',',
            bom: false,
        }
    }
}

/// One view definition.
#[derive(Debug, Clone)]
pub struct View {
    /// Its name.
    pub name: String,
    /// Its file.
    pub path: PathBuf,
    /// Its `SELECT`.
    pub sql: String,
}

/// Reads the view files of a folder, in name order.
pub fn read_views(dir: &Path) -> Result<Vec<View>, ExportError> {
    let read_err = |source| ExportError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read_err)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .filter(|n| is_view_name(n))
                .ok_or_else(|| ExportError::BadName { path: path.clone() })?
                .to_string();
            let sql = std::fs::read_to_string(&path).map_err(|source| ExportError::Read {
                path: path.clone(),
                source,
            })?;
            let sql = sql.trim().trim_end_matches(';').trim().to_string();
            Ok(View { name, path, sql })
        })
        .collect()
}

/// Whether `name` can name a view: letters, digits and `_`, starting with a letter.
pub fn is_view_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Writes `[profile]` into the `profile_skills` and `profile` tables the `fit_score` view reads.
pub fn write_profile(
    conn: &Connection,
    profile: &crate::config::Profile,
) -> Result<(), duckdb::Error> {
    conn.execute_batch(
        "CREATE OR REPLACE TABLE profile (hourly_rate DOUBLE);
         CREATE OR REPLACE TABLE profile_skills (skill VARCHAR);",
    )?;
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
/// returns the files and folders written.
pub fn export(
    conn: &Connection,
    views: &[View],
    dir: &Path,
    formats: &[ExportFormat],
    csv: CsvOptions,
    partitioned: &[String],
) -> Result<Vec<PathBuf>, ExportError> {
    check_partitioned(conn, views, partitioned)?;
    std::fs::create_dir_all(dir).map_err(|source| ExportError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    remove_stale_temp_files(dir);
    let mut written = Vec::new();
    for view in views {
        for format in formats {
            let target = dir.join(format!("{}.{}", view.name, format.extension()));
            export_one(conn, view, &target, *format, csv)?;
            written.push(target);
        }
        if partitioned.contains(&view.name) {
            let target = dir.join(&view.name);
            export_partitioned(conn, view, &target)?;
            written.push(target);
        }
    }
    Ok(written)
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

/// Temp files and folders left by an export that was killed: the pipeline lock is held, so
/// none of them is being written now.
fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && (name.contains(".tmp-") || name.contains(".old-")) {
            let path = entry.path();
            let _ = std::fs::remove_file(&path).or_else(|_| std::fs::remove_dir_all(&path));
        }
    }
}

/// One view as hive-partitioned Parquet by the UTC date of `published_at`, written to a temp
/// folder that then takes the place of the old one.
fn export_partitioned(conn: &Connection, view: &View, target: &Path) -> Result<(), ExportError> {
    let db_err = |source| ExportError::View {
        view: view.name.clone(),
        path: view.path.clone(),
        source,
    };
    let dir = target.parent().unwrap_or(Path::new("."));
    let pid = std::process::id();
    let tmp = dir.join(format!(".{}.tmp-{pid}", view.name));
    let old = dir.join(format!(".{}.old-{pid}", view.name));
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ExportError::Write { path, source }
    };
    let _ = std::fs::remove_dir_all(&tmp);
    // `published_at::TIMESTAMP` is the UTC wall clock, so the date is the UTC date.
    let copy = format!(
        "COPY (SELECT *, CAST(published_at::TIMESTAMP AS DATE) AS posted_date FROM \"{}\")
         TO '{}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (posted_date))",
        view.name,
        sql_string(&tmp)
    );
    if let Err(source) = conn.execute_batch(&copy) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(db_err(source));
    }
    // A view with no rows writes no folder; an empty one still replaces the old export.
    std::fs::create_dir_all(&tmp).map_err(write_err(&tmp))?;
    if target.exists() {
        std::fs::rename(target, &old).map_err(write_err(target))?;
    }
    std::fs::rename(&tmp, target).map_err(|source| {
        // Put the old export back rather than leave none.
        let _ = std::fs::rename(&old, target);
        let _ = std::fs::remove_dir_all(&tmp);
        ExportError::Write {
            path: target.to_path_buf(),
            source,
        }
    })?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
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
    let dir = target.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("export"),
        std::process::id()
    ));
    let select = match format {
        ExportFormat::Parquet => format!("SELECT * FROM \"{}\"", view.name),
        ExportFormat::Csv => csv_select(conn, &view.name, csv).map_err(db_err)?,
    };
    let options = match format {
        ExportFormat::Parquet => "FORMAT parquet, COMPRESSION zstd".to_string(),
        ExportFormat::Csv => format!(
            "FORMAT csv, HEADER true, DELIMITER '{}', QUOTE '\"', ESCAPE '\"'",
            if csv.delimiter == '\t' {
                "\t".to_string()
            } else {
                csv.delimiter.to_string()
            }
        ),
    };
    let copy = format!("COPY ({select}) TO '{}' ({options})", sql_string(&tmp));
    if let Err(source) = conn.execute_batch(&copy) {
        let _ = std::fs::remove_file(&tmp);
        return Err(db_err(source));
    }
    if format == ExportFormat::Csv && csv.bom {
        prepend_bom(&tmp).map_err(|source| {
            let _ = std::fs::remove_file(&tmp);
            ExportError::Write {
                path: target.to_path_buf(),
                source,
            }
        })?;
    }
    std::fs::rename(&tmp, target).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        ExportError::Write {
            path: target.to_path_buf(),
            source,
        }
    })
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

fn sql_string(path: &Path) -> String {
    path.display().to_string().replace('\'', "''")
}
