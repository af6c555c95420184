//! A redacting wrapper for secrets: client secrets, tokens and authorization codes.
//!
//! `Secret` never shows its content through `Debug` or `Display`, so a secret that ends up in a
//! log event, an error message or a `{:?}` dump prints a placeholder instead. The only way to the
//! value is [`Secret::expose`], which keeps every use greppable.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A string that must never be printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn formatting_never_shows_the_value() {
        let secret = Secret::new("oauth2v2_0123456789abcdef0123456789abcdef");
        assert_eq!(format!("{secret}"), "[redacted]");
        assert!(!format!("{secret:?}").contains("0123456789"));
        assert!(!format!("{:?}", Some(&secret)).contains("oauth2v2_"));
        assert_eq!(secret.expose(), "oauth2v2_0123456789abcdef0123456789abcdef");
    }
}
