//! `pipeline.toml`: the model of the configuration, its parser and its validation.
//!
//! The file is parsed strictly: every table denies unknown keys, and every problem found (syntax,
//! unknown keys, wrong types, out-of-range values, duplicate search names, impossible ranges) is
//! reported at once, each with the file, line and column it comes from; only what is missing
//! from the file altogether is reported for the file as a whole. Each section and each
//! `[[search]]` table is deserialized on its own, so a typo in one search does not hide a wrong
//! type in another. Relative paths are resolved against the folder that holds the file, unless
//! an environment variable overrides them. Secrets never come from here: the client secret comes
//! from the environment (or the token store after `auth login`).
//!
//! The work is split in three: `model` holds the types (the validated ones the rest of the crate
//! reads, documented key by key, and the raw ones the file is read into), `parse` walks the TOML
//! document into the raw types, keeping the span of every value it will check, and `validate`
//! checks the raw values and builds the typed [`Config`]. How a search is put to Upwork lives in
//! `upwork::filter`: nothing here knows Upwork's wire names.

mod model;
mod parse;
mod validate;

pub use model::{
    Alert, AlertFilter, BUILT_IN_LABELS, Channel, Criteria, DEFAULT_REDIRECT_URI,
    DEFAULT_SECRET_ENV, Experience, Export, ExportFormat, GrantKind, IntRange, JobType, Profile,
    Retention, Search, Serve, Sort, Storage, UPWORK_AUTHORIZE_URL, UPWORK_GRAPHQL_URL,
    UPWORK_RETENTION_HOURS, UPWORK_TOKEN_URL, Upwork, WebhookFormat, Workload,
};
pub use validate::{is_view_name, parse_size};

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The whole, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// The Upwork API key and endpoints.
    pub upwork: Upwork,
    /// Where the database, spool and exports live.
    pub storage: Storage,
    /// How exports are written.
    pub export: Export,
    /// How long posting text is kept.
    pub retention: Retention,
    /// The freelancer, for the fit score.
    pub profile: Profile,
    /// The dashboard's labels.
    pub serve: Serve,
    /// The job searches, in file order.
    pub searches: Vec<Search>,
    /// The alert rules, in file order.
    pub alerts: Vec<Alert>,
}

/// One problem in the configuration, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Line, 1-based; 0 when the problem concerns the file as a whole.
    pub line: usize,
    /// Column, 1-based.
    pub column: usize,
    /// What is wrong, lowercase.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// Every problem found in a configuration file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file was read but is invalid.
    #[error("{}", render_problems(path, problems))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem, in file order.
        problems: Vec<Problem>,
    },
}

fn render_problems(path: &Path, problems: &[Problem]) -> String {
    let mut out = format!(
        "invalid config {} ({} problem{})",
        path.display(),
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        if p.line == 0 {
            out.push_str(&format!("\n  {}: {}", path.display(), p.message));
        } else {
            out.push_str(&format!(
                "\n  {}:{}:{}: {}",
                path.display(),
                p.line,
                p.column,
                p.message
            ));
        }
    }
    out
}

impl Config {
    /// Reads, parses and validates a configuration file; environment overrides apply.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parses and validates configuration text that was read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut problems = Problems::new(text);
        let config = parse::document(text, &mut problems)
            .and_then(|raw| validate::config(raw, path, &mut problems));
        let mut problems = problems.list;
        match config {
            Some(config) if problems.is_empty() => Ok(config),
            _ => {
                problems.sort_by_key(|p| (p.line, p.column));
                problems.dedup();
                Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    problems,
                })
            }
        }
    }

    /// The folder relative paths are resolved against.
    pub fn base_dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// The DuckDB file.
    pub fn database_path(&self) -> PathBuf {
        self.resolve("UPJOBPILOT_DATABASE", &self.storage.database)
    }

    /// The spool folder.
    pub fn spool_dir(&self) -> PathBuf {
        self.resolve("UPJOBPILOT_SPOOL_DIR", &self.storage.spool_dir)
    }

    /// The export folder.
    pub fn export_dir(&self) -> PathBuf {
        self.resolve("UPJOBPILOT_EXPORT_DIR", &self.export.dir)
    }

    /// The folder of view definitions.
    pub fn queries_dir(&self) -> PathBuf {
        self.resolve("UPJOBPILOT_QUERIES_DIR", &self.storage.queries_dir)
    }

    fn resolve(&self, env: &str, configured: &Path) -> PathBuf {
        let path = match std::env::var_os(env) {
            Some(value) if !value.is_empty() => PathBuf::from(value),
            _ => configured.to_path_buf(),
        };
        if path.is_absolute() {
            path
        } else {
            self.base_dir().join(path)
        }
    }
}

/// The problems found so far, each placed by the byte span it was reported at.
struct Problems<'t> {
    text: &'t str,
    list: Vec<Problem>,
}

impl<'t> Problems<'t> {
    fn new(text: &'t str) -> Self {
        Problems {
            text,
            list: Vec::new(),
        }
    }

    /// How many problems have been found; compare before and after a check to see if it failed.
    fn count(&self) -> usize {
        self.list.len()
    }

    /// A problem at a place in the file.
    fn at(&mut self, span: Range<usize>, message: &str) {
        let (line, column) = self.line_col(span.start);
        self.list.push(Problem {
            line,
            column,
            message: message.to_string(),
        });
    }

    /// A problem with the file as a whole: something it lacks.
    fn whole(&mut self, message: &str) {
        self.list.push(Problem {
            line: 0,
            column: 0,
            message: message.to_string(),
        });
    }

    /// The 1-based line and column (in characters) of a byte offset.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .map_or(0, |tail| tail.chars().count())
            + 1;
        (line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Vec<Problem>> {
        Config::parse(text, Path::new("/tmp/p/pipeline.toml")).map_err(|e| match e {
            ConfigError::Invalid { problems, .. } => problems,
            ConfigError::Read { .. } => unreachable!("parse never reads"),
        })
    }

    const MINIMAL: &str =
        "[upwork]\nclient_id = \"abc\"\n\n[[search]]\nname = \"rust\"\nexpression = \"rust\"\n";

    #[test]
    fn minimal_config_gets_defaults() {
        let config = parse(MINIMAL).expect("valid");
        assert_eq!(config.upwork.redirect_uri, DEFAULT_REDIRECT_URI);
        assert_eq!(config.searches[0].page_size, 50);
        assert_eq!(config.searches[0].max_age_hours, 24);
        assert_eq!(
            config.searches[0].criteria.expression.as_deref(),
            Some("rust")
        );
        assert_eq!(
            config.database_path(),
            Path::new("/tmp/p/upjobpilot.duckdb")
        );
    }

    #[test]
    fn unknown_key_reports_line_and_column() {
        let problems = parse(&format!("{MINIMAL}budjet = 5\n")).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            (problems[0].line, problems[0].column),
            (7, 1),
            "{problems:?}"
        );
        assert!(problems[0].message.contains("budjet"), "{problems:?}");
    }

    #[test]
    fn problems_in_several_searches_are_reported_together() {
        let text = format!(
            "{MINIMAL}\n[[search]]\nname = \"rust\"\npage_size = \"ten\"\n\n[[search]]\nname = \"x\"\nbudget = {{ min = 9, max = 1 }}\n"
        );
        let problems = parse(&text).unwrap_err();
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert!(lines.contains(&10), "wrong type on line 10: {problems:?}");
        assert!(
            lines.contains(&14),
            "impossible range on line 14: {problems:?}"
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let problems = Problems::new("é = 1\nab");
        assert_eq!(problems.line_col(3), (1, 3));
        assert_eq!(problems.line_col(8), (2, 2));
        assert_eq!(problems.line_col(1), (1, 1), "inside a character");
        assert_eq!(problems.line_col(99), (2, 3), "past the end");
    }
}
