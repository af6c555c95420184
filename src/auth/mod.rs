//! Signing in to Upwork with the freelancer's own API key, and keeping the sign-in alive.
//!
//! `upjobpilot auth login` runs [`login`]: the OAuth2 authorization-code flow with a one-shot
//! callback server on the loopback address ([`callback`]). Enterprise keys can skip the browser
//! with [`client_credentials`]. The resulting [`Tokens`] live in a per-user [`TokenStore`] (mode
//! 0600, outside the project folder). During a sync the fetch tasks share one [`TokenSource`],
//! which refreshes the access token shortly before it expires and once after a 401, saving the
//! rotated refresh token at once: Upwork hands out a new refresh token on every refresh and cuts
//! the old one to 24 hours, so a rotation that is not saved loses the sign-in a day later.
//!
//! Secrets (client secret, tokens, authorization codes) are [`Secret`]s everywhere in here; no
//! error message or log event carries one.

pub mod callback;
mod error;
mod login;
mod source;
mod store;
mod token;
mod tokens;

pub use error::AuthError;
pub use login::{LoginOptions, login, open_browser};
pub use source::TokenSource;
pub use store::{DATA_DIR_ENV, TOKEN_FILE_ENV, TokenStore};
pub use token::client_credentials;
pub use tokens::{Grant, OAuthSettings, TokenStatus, Tokens, status, status_at};
