//! What is wrong with a configuration, each problem placed by line and column in the file.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

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

/// The problems found so far, each placed by the byte span it was reported at.
pub(super) struct Problems<'t> {
    text: &'t str,
    pub(super) list: Vec<Problem>,
}

impl<'t> Problems<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        Problems {
            text,
            list: Vec::new(),
        }
    }

    /// How many problems have been found; compare before and after a check to see if it failed.
    pub(super) fn count(&self) -> usize {
        self.list.len()
    }

    /// A problem at a place in the file.
    pub(super) fn at(&mut self, span: Range<usize>, message: &str) {
        let (line, column) = self.line_col(span.start);
        self.list.push(Problem {
            line,
            column,
            message: message.to_string(),
        });
    }

    /// A problem with the file as a whole: something it lacks.
    pub(super) fn whole(&mut self, message: &str) {
        self.list.push(Problem {
            line: 0,
            column: 0,
            message: message.to_string(),
        });
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub(super) fn line_col(&self, offset: usize) -> (usize, usize) {
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

    #[test]
    fn columns_count_characters_not_bytes() {
        let problems = Problems::new("é = 1\nab");
        assert_eq!(problems.line_col(3), (1, 3));
        assert_eq!(problems.line_col(8), (2, 2));
        assert_eq!(problems.line_col(1), (1, 1), "inside a character");
        assert_eq!(problems.line_col(99), (2, 3), "past the end");
    }
}
