//! The views: `queries/*.sql`, one `SELECT` per file, named after the file; and the views
//! shipped with the binary, which `init` and `demo` write into a new `queries/` folder.
//!
//! A user adds a `.sql` file and gets another view in the database and another export. The
//! export stage ([`super::export`]) creates and writes them; `doctor` tries them.

use crate::config::is_view_name;
use std::path::{Path, PathBuf};

/// Why the views could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ViewsError {
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
}

/// The views shipped with the binary (`queries/`), written by `init` and `demo`.
pub const DEFAULT_VIEWS: &[(&str, &str)] = &[
    (
        "budget_stats.sql",
        include_str!("../../queries/budget_stats.sql"),
    ),
    (
        "client_quality.sql",
        include_str!("../../queries/client_quality.sql"),
    ),
    ("fit_score.sql", include_str!("../../queries/fit_score.sql")),
    (
        "my_postings.sql",
        include_str!("../../queries/my_postings.sql"),
    ),
    (
        "new_postings.sql",
        include_str!("../../queries/new_postings.sql"),
    ),
    (
        "postings_per_search.sql",
        include_str!("../../queries/postings_per_search.sql"),
    ),
    (
        "skill_demand.sql",
        include_str!("../../queries/skill_demand.sql"),
    ),
    (
        "skill_demand_daily.sql",
        include_str!("../../queries/skill_demand_daily.sql"),
    ),
];

/// `sql` with the shipped `fit_score` and `client_quality` SELECTs put in for the markers
/// `__FIT_SCORE__` and `__CLIENT_QUALITY__` (each on a line of its own), so a query scores
/// postings exactly as the shipped views do, whatever the user's copies in `queries/` say.
pub fn with_shipped_scores(sql: &str) -> String {
    let shipped = |file: &str| {
        DEFAULT_VIEWS
            .iter()
            .find(|(name, _)| *name == file)
            .map_or("SELECT NULL AS id", |(_, sql)| sql)
            .trim()
            .trim_end_matches(';')
    };
    // Only a marker on a line of its own: the files' comments name the markers too.
    sql.replace(
        "\n__FIT_SCORE__\n",
        &format!("\n{}\n", shipped("fit_score.sql")),
    )
    .replace(
        "\n__CLIENT_QUALITY__\n",
        &format!("\n{}\n", shipped("client_quality.sql")),
    )
}

/// Creates `dir` with the shipped views in it.
pub fn write_default_views(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, sql) in DEFAULT_VIEWS {
        crate::fs::write_atomic(&dir.join(name), sql.as_bytes())?;
    }
    Ok(())
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
pub fn read_views(dir: &Path) -> Result<Vec<View>, ViewsError> {
    let read_err = |source| ViewsError::Read {
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
                .ok_or_else(|| ViewsError::BadName { path: path.clone() })?
                .to_string();
            let sql = std::fs::read_to_string(&path).map_err(|source| ViewsError::Read {
                path: path.clone(),
                source,
            })?;
            let sql = sql
                .trim_start_matches('\u{feff}')
                .trim()
                .trim_end_matches(';')
                .trim()
                .to_string();
            Ok(View { name, path, sql })
        })
        .collect()
}
