//! Reads the text of `pipeline.toml` into the raw section types of `model`.
//!
//! The document is parsed once into toml's `DeTable`, which keeps the span of every key and
//! value. Each section, and each `[[search]]` table, is then deserialized on its own from its
//! spanned value, so one wrong value stops only its own table and the problems of all the others
//! are still found; `[[alert]]` tables likewise. Syntax errors, unknown sections and keys, wrong
//! types and missing required keys are reported here; what the values mean is checked by
//! `validate`.

use super::model::{
    RawAlert, RawExport, RawNotify, RawProfile, RawRetention, RawSearch, RawServe, RawSignals,
    RawStorage, RawUpwork,
};
use super::problems::Problems;
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

/// The file as written, section by section. A section that is `None` could not be read, and its
/// problems are already recorded; a section left out of the file is its default, except
/// `[upwork]`, which is required.
#[derive(Debug)]
pub(super) struct RawConfig {
    pub(super) upwork: Option<RawUpwork>,
    pub(super) storage: Option<RawStorage>,
    pub(super) export: Option<RawExport>,
    pub(super) retention: Option<RawRetention>,
    pub(super) profile: Option<RawProfile>,
    pub(super) serve: Option<RawServe>,
    pub(super) signals: Option<RawSignals>,
    /// The `[[search]]` tables that could be read, in file order.
    pub(super) searches: Vec<RawSearch>,
    /// The `[[alert]]` tables that could be read, in file order.
    pub(super) alerts: Vec<RawAlert>,
    /// `[notify]`, when the file has it and it could be read.
    pub(super) notify: Option<RawNotify>,
}

/// Parses `text`; `None` when it is not TOML at all.
pub(super) fn document(text: &str, problems: &mut Problems<'_>) -> Option<RawConfig> {
    let (root, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for error in errors {
            toml_error(problems, &error);
        }
        return None;
    }
    let mut raw = RawConfig {
        upwork: None,
        storage: Some(RawStorage::default()),
        export: Some(RawExport::default()),
        retention: Some(RawRetention::default()),
        profile: Some(RawProfile::default()),
        serve: Some(RawServe::default()),
        signals: Some(RawSignals::default()),
        searches: Vec::new(),
        alerts: Vec::new(),
        notify: None,
    };
    let mut has_upwork = false;
    let mut has_search = false;
    for (key, value) in root.into_inner() {
        match key.get_ref().as_ref() {
            "upwork" => {
                has_upwork = true;
                raw.upwork = section(problems, value);
            }
            "storage" => raw.storage = section(problems, value),
            "export" => raw.export = section(problems, value),
            "retention" => raw.retention = section(problems, value),
            "profile" => raw.profile = section(problems, value),
            "serve" => raw.serve = section(problems, value),
            "notify" => raw.notify = section(problems, value),
            "signals" => raw.signals = section(problems, value),
            "search" => {
                has_search = true;
                let span = value.span();
                match value.into_inner() {
                    DeValue::Array(items) => raw
                        .searches
                        .extend(items.into_iter().filter_map(|item| section(problems, item))),
                    _ => problems.at(
                        span,
                        "`search` must be an array of tables: write each search as `[[search]]`",
                    ),
                }
            }
            "alert" => {
                let span = value.span();
                match value.into_inner() {
                    DeValue::Array(items) => raw
                        .alerts
                        .extend(items.into_iter().filter_map(|item| section(problems, item))),
                    _ => problems.at(
                        span,
                        "`alert` must be an array of tables: write each rule as `[[alert]]`",
                    ),
                }
            }
            other => problems.at(
                key.span(),
                &format!(
                    "unknown section `{other}`, expected one of `upwork`, `storage`, `export`, `retention`, `profile`, `serve`, `signals`, `search`, `alert`, `notify`"
                ),
            ),
        }
    }
    if !has_upwork {
        problems.whole("missing section `[upwork]` (it needs at least `client_id`)");
    }
    if !has_search {
        problems.whole("no `[[search]]` table: add at least one search");
    }
    Some(raw)
}

/// Deserializes one table; `None` (with the problem recorded) when it does not fit `T`.
fn section<T: for<'de> Deserialize<'de>>(
    problems: &mut Problems<'_>,
    value: Spanned<DeValue<'_>>,
) -> Option<T> {
    match T::deserialize(ValueDeserializer::from(value)) {
        Ok(parsed) => Some(parsed),
        Err(error) => {
            toml_error(problems, &error);
            None
        }
    }
}

fn toml_error(problems: &mut Problems<'_>, error: &toml::de::Error) {
    let message = error.message().trim();
    match error.span() {
        Some(span) => problems.at(span, message),
        // toml gives every error it finds in a table a span; this is a safety net only.
        None => problems.whole(message),
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, ConfigError};
    use std::path::Path;

    #[test]
    fn type_errors_name_the_table_not_a_rust_type() {
        for (text, expected) in [
            (
                "upwork = 5\n[[search]]\nname = \"a\"\n",
                "the `[upwork]` table",
            ),
            (
                "storage = 5\n[upwork]\nclient_id = \"x\"\n[[search]]\nname = \"a\"\n",
                "the `[storage]` table",
            ),
            (
                "search = [1]\n[upwork]\nclient_id = \"x\"\n",
                "a `[[search]]` table",
            ),
            (
                "[upwork]\nclient_id = \"x\"\n[[search]]\nname = \"a\"\nbudget = 5\n",
                "a table like `{ min = 1, max = 5 }`",
            ),
        ] {
            let Err(ConfigError::Invalid { problems, .. }) = Config::parse(text, Path::new("p"))
            else {
                panic!("{text:?} is invalid");
            };
            assert!(
                problems.iter().any(|p| p.message.ends_with(expected)),
                "{text:?}: {problems:?}"
            );
            assert!(
                problems.iter().all(|p| !p.message.contains("struct")),
                "{problems:?}"
            );
        }
    }
}
