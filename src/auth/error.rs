//! The one error type of the auth stage.
//!
//! Every variant carries what a person needs to act (a path, an address, the OAuth error code the
//! server sent) and nothing secret: no token, client secret or authorization code ever goes into
//! a message, because these messages end up in terminals, logs and cron mail. [`AuthError::hint`]
//! gives the next step, printed by `main` on its own line.

use std::path::PathBuf;
use std::time::Duration;

/// Why signing in, refreshing or reading the token store failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// There is no token file: the user never signed in (or signed out).
    #[error("not signed in (no token file at {})", path.display())]
    NotSignedIn {
        /// Where the token file was looked for.
        path: PathBuf,
    },

    /// The refresh token is expired, revoked or unknown to Upwork (`invalid_grant`).
    #[error("the sign-in has expired or was revoked")]
    SignInExpired,

    /// The user (or Upwork) refused the authorization request, e.g. `access_denied`.
    #[error("sign-in was refused: {error}{}", detail(description))]
    Denied {
        /// The OAuth `error` code from the callback.
        error: String,
        /// The `error_description`, if the server sent one.
        description: Option<String>,
    },

    /// Another program listens on the redirect URI's port.
    #[error("cannot listen for the sign-in callback on {addr}: the port is already in use")]
    CallbackPortBusy {
        /// The address `host:port` that was busy.
        addr: String,
    },

    /// The callback server could not be started for another reason (permissions, no such address).
    #[error("cannot listen for the sign-in callback on {addr}")]
    CallbackBind {
        /// The address that could not be bound.
        addr: String,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },

    /// A callback arrived whose `state` was missing or not the one this login sent.
    #[error(
        "the sign-in callback carried a wrong or missing `state`, \
         so it was not started by this login"
    )]
    StateMismatch,

    /// The callback carried a valid `state` but neither a `code` nor an `error`.
    #[error("the sign-in callback carried no authorization code")]
    MissingCode,

    /// Nobody completed the sign-in in the browser in time.
    #[error("no sign-in callback arrived within {} s{}", waited.as_secs(), turned_away_note(turned_away))]
    CallbackTimeout {
        /// How long the callback server waited.
        waited: Duration,
        /// Callbacks that came in but belonged to no running sign-in, and why.
        turned_away: Vec<String>,
    },

    /// `client_credentials` was refused with `unauthorized_client`: an ordinary key.
    #[error(
        "the API key {client_id} is not an enterprise key, \
         so it cannot sign in with client credentials"
    )]
    NotEnterprise {
        /// The client id (public, safe to print).
        client_id: String,
    },

    /// The token endpoint rejected the client id or secret (`invalid_client`).
    #[error("the token endpoint rejected the API key {client_id} or its secret")]
    InvalidClient {
        /// The client id (public, safe to print).
        client_id: String,
    },

    /// No client secret is available: neither in the environment nor in the token store.
    #[error("no client secret: {env_var} is not set and the token store has none")]
    MissingSecret {
        /// The environment variable that should hold it.
        env_var: String,
    },

    /// The token endpoint answered with an OAuth error this code has no better variant for.
    #[error(
        "the token endpoint {url} refused the request: {error}{}",
        detail(description)
    )]
    TokenEndpoint {
        /// The token endpoint URL.
        url: String,
        /// The OAuth `error` code.
        error: String,
        /// The `error_description`, if any.
        description: Option<String>,
    },

    /// The token endpoint could not be reached, or kept failing (network, timeout, 5xx, 429).
    #[error("token request to {url} failed: {reason}")]
    Http {
        /// The token endpoint URL.
        url: String,
        /// What went wrong on the last attempt (never includes the request body).
        reason: String,
        /// The HTTP status of the last attempt, when there was a response.
        status: Option<u16>,
    },

    /// The token endpoint answered 200 with something that is not a token response.
    #[error("the token endpoint {url} sent an unreadable response: {reason}")]
    BadResponse {
        /// The token endpoint URL.
        url: String,
        /// Which part was wrong (never the body itself: it may hold tokens).
        reason: String,
    },

    /// A URL in the settings is unusable for this purpose.
    #[error("invalid {name} {value:?}: {reason}")]
    InvalidUrl {
        /// Which setting (`redirect_uri`, `token_url`, ...).
        name: &'static str,
        /// The URL as given (URLs in settings carry no secrets).
        value: String,
        /// Why it cannot be used.
        reason: String,
    },

    /// `$UPJOBPILOT_DATA_DIR` is not set and the system names no home folder.
    #[error(
        "cannot find a data directory for the token store: the system names no home folder; set UPJOBPILOT_DATA_DIR"
    )]
    NoDataDir,

    /// Reading or writing the token file (or creating its folder) failed.
    #[error("token store {}", path.display())]
    Store {
        /// The file or directory involved.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The token file can be read or written by other users, so it is refused.
    #[error(
        "token file {} is accessible by other users (mode {mode:03o}); refusing to use it",
        path.display()
    )]
    InsecureTokenFile {
        /// The token file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },

    /// The token file is not a token file this version can read.
    #[error("token file {} is corrupt: {reason}", path.display())]
    Corrupt {
        /// The token file.
        path: PathBuf,
        /// Where the parse failed (position only: the content may hold secrets).
        reason: String,
    },
}

/// ` (description)` when there is one.
fn detail(description: &Option<String>) -> String {
    description
        .as_deref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default()
}

/// `; turned away: …` for a timeout that saw callbacks of other sign-ins.
fn turned_away_note(turned_away: &[String]) -> String {
    if turned_away.is_empty() {
        String::new()
    } else {
        format!("; turned away: {}", turned_away.join(", "))
    }
}

const LOGIN_HINT: &str = "run `upjobpilot auth login`";

impl AuthError {
    /// Whether only the user signing in again cures this (the sign-in expired, was revoked,
    /// is missing or unreadable, or the key's secret is gone or refused), not a retry.
    pub fn needs_sign_in(&self) -> bool {
        matches!(
            self,
            AuthError::NotSignedIn { .. }
                | AuthError::SignInExpired
                | AuthError::Corrupt { .. }
                | AuthError::MissingSecret { .. }
                | AuthError::InvalidClient { .. }
        )
    }

    /// The next step for the user, printed on its own line below the error, if there is one.
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            AuthError::NotSignedIn { .. } | AuthError::SignInExpired => LOGIN_HINT.to_owned(),
            AuthError::Denied { .. } | AuthError::StateMismatch | AuthError::MissingCode => {
                "run `upjobpilot auth login` again and approve the access in the browser".to_owned()
            }
            AuthError::CallbackTimeout { .. } => {
                "run `upjobpilot auth login` again and open the printed URL in a browser on this \
                 machine; if Upwork's page said the redirect URI is invalid, the key's registered \
                 callback URL must equal `upwork.redirect_uri` exactly (scheme, host, port, path)"
                    .to_owned()
            }
            AuthError::CallbackPortBusy { addr } => format!(
                "stop the program listening on {addr}, or register another callback URL with your \
                 API key and set `redirect_uri` in pipeline.toml to it"
            ),
            AuthError::CallbackBind { .. } => {
                "set `redirect_uri` in pipeline.toml to a loopback URL with a port above 1023, \
                 e.g. http://localhost:3000/callback"
                    .to_owned()
            }
            AuthError::NotEnterprise { .. } => {
                "use `upjobpilot auth login` (authorization code) instead".to_owned()
            }
            AuthError::InvalidClient { .. } => {
                "check the client id in pipeline.toml and the client secret in the environment"
                    .to_owned()
            }
            AuthError::MissingSecret { env_var } => {
                format!(
                    "export {env_var}=<your API key's secret>, then run `upjobpilot auth login`"
                )
            }
            AuthError::Http { .. } => {
                "check the network connection and the token URL; the next run retries".to_owned()
            }
            AuthError::InsecureTokenFile { path, .. } => {
                format!("chmod 600 {}", path.display())
            }
            AuthError::Corrupt { path, .. } => format!(
                "delete {} and run `upjobpilot auth login` again",
                path.display()
            ),
            AuthError::NoDataDir => {
                "set UPJOBPILOT_DATA_DIR to a private folder, or UPJOBPILOT_TOKEN_FILE to a file"
                    .to_owned()
            }
            AuthError::TokenEndpoint { .. }
            | AuthError::BadResponse { .. }
            | AuthError::InvalidUrl { .. }
            | AuthError::Store { .. } => return None,
        };
        Some(hint)
    }
}

pub(crate) use crate::http::printable;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_text_cannot_drive_the_terminal() {
        assert_eq!(printable("access_denied"), "access_denied");
        assert_eq!(printable("a\u{1b}[2Jb\nc"), "a?[2Jb?c");
        let long = "x".repeat(500);
        assert_eq!(printable(&long).chars().count(), 201);
    }

    #[test]
    fn messages_are_lowercase_and_hints_name_the_next_step() {
        let errors = [
            AuthError::SignInExpired,
            AuthError::StateMismatch,
            AuthError::CallbackPortBusy {
                addr: "127.0.0.1:3000".into(),
            },
            AuthError::NotEnterprise {
                client_id: "k".into(),
            },
        ];
        for e in errors {
            let text = e.to_string();
            assert!(text.starts_with(|c: char| c.is_lowercase()), "{text}");
            assert!(!text.ends_with('.'), "{text}");
            assert!(e.hint().is_some(), "{text}");
        }
    }
}
