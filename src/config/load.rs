//! Reading a [`Config`]: from a file, parsed and validated as a whole, and the paths it names
//! resolved against the file's folder (or the environment's overrides).

use super::model::Config;
use super::problems::{ConfigError, Problems};
use super::{parse, validate};
use std::path::{Path, PathBuf};

impl Config {
    /// Reads, parses and validates a configuration file; environment overrides apply.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        // Windows editors may start the file with a byte order mark.
        Config::parse(text.strip_prefix('\u{feff}').unwrap_or(&text), path)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DEFAULT_REDIRECT_URI, Problem};

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
}
