//! A sign-in and how to get one: the OAuth2 settings of the API key, the [`Tokens`] the store
//! keeps, and what their expiry means for the user ([`status`]).

use crate::secret::Secret;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// Where and how to talk to the OAuth2 endpoints, and as which API key.
#[derive(Debug, Clone)]
pub struct OAuthSettings {
    /// The API key (OAuth2 client id).
    pub client_id: String,
    /// The API key's secret.
    pub client_secret: Secret,
    /// The browser's authorization endpoint.
    pub authorize_url: String,
    /// The token endpoint.
    pub token_url: String,
    /// The callback registered with the key, e.g. `http://localhost:3000/callback`.
    pub redirect_uri: String,
    /// Sent on every token request (Cloudflare turns away clients without one).
    pub user_agent: String,
    /// Per-request timeout for the token endpoint.
    pub timeout: Duration,
}

/// How a set of tokens was obtained, which decides how to renew them: the config's grant kind.
pub use crate::config::GrantKind as Grant;

/// A sign-in: what the token store keeps and the fetch tasks use.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tokens {
    /// The bearer token for GraphQL calls.
    pub access_token: Secret,
    /// The refresh token; `None` for client credentials.
    pub refresh_token: Option<Secret>,
    /// When the access token stops working.
    pub expires_at: DateTime<Utc>,
    /// The API key these tokens belong to.
    pub client_id: String,
    /// The key's secret, kept so scheduled syncs can refresh without an environment variable.
    pub client_secret: Option<Secret>,
    /// How the tokens were obtained.
    pub grant: Grant,
    /// When the token endpoint issued these tokens (taken just before the request, so the access
    /// token's lifetime is `expires_at - saved_at` or a little more).
    pub saved_at: DateTime<Utc>,
}

impl Tokens {
    /// The access token's lifetime as issued.
    fn lifetime(&self) -> TimeDelta {
        self.expires_at - self.saved_at
    }

    /// True when the access token should be renewed before it is used at `now`: it expires
    /// within 5 minutes, or within a tenth of its lifetime when that is shorter, so a short-lived
    /// token is not renewed on every call.
    pub fn needs_refresh(&self, now: DateTime<Utc>) -> bool {
        let margin = (self.lifetime() / 10)
            .min(REFRESH_MARGIN)
            .max(TimeDelta::zero());
        now >= self.expires_at - margin
    }
}

/// The most an access token is renewed ahead of its expiry.
const REFRESH_MARGIN: TimeDelta = TimeDelta::minutes(5);

/// What `upjobpilot auth status` shows about a sign-in: everything but the secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenStatus {
    /// The API key signed in with.
    pub client_id: String,
    /// How the tokens were obtained.
    pub grant: Grant,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
    /// Time left until then (negative once expired).
    pub expires_in: TimeDelta,
    /// Whether a refresh token is stored (the sign-in outlives the access token).
    pub has_refresh_token: bool,
    /// Whether the client secret is stored (scheduled syncs need no environment variable).
    pub has_client_secret: bool,
    /// When the tokens were issued.
    pub saved_at: DateTime<Utc>,
}

/// Describes a sign-in for `upjobpilot auth status`, as of now.
pub fn status(tokens: &Tokens) -> TokenStatus {
    status_at(tokens, Utc::now())
}

/// Describes a sign-in as of `now`.
pub fn status_at(tokens: &Tokens, now: DateTime<Utc>) -> TokenStatus {
    TokenStatus {
        client_id: tokens.client_id.clone(),
        grant: tokens.grant,
        expires_at: tokens.expires_at,
        expires_in: tokens.expires_at - now,
        has_refresh_token: tokens.refresh_token.is_some(),
        has_client_secret: tokens.client_secret.is_some(),
        saved_at: tokens.saved_at,
    }
}

impl fmt::Display for TokenStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "signed in with API key {} ({})",
            self.client_id, self.grant
        )?;
        let at = self
            .expires_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        if self.expires_in > TimeDelta::zero() {
            writeln!(
                f,
                "access token expires at {at} (in {})",
                human(self.expires_in)
            )?;
        } else {
            writeln!(
                f,
                "access token expired at {at} ({} ago)",
                human(-self.expires_in)
            )?;
        }
        let renewal = match (self.grant, self.has_refresh_token) {
            (Grant::ClientCredentials, _) => "renewed with the API key",
            (Grant::AuthorizationCode, true) => "refresh token stored",
            (Grant::AuthorizationCode, false) => {
                "no refresh token: run `upjobpilot auth login` once it expires"
            }
        };
        writeln!(f, "{renewal}")?;
        write!(
            f,
            "client secret {}",
            if self.has_client_secret {
                "stored"
            } else {
                "not stored (taken from the environment)"
            }
        )
    }
}

/// `1d 2h`, `3h 4m`, `5m 6s`: coarse on purpose, for people.
fn human(delta: TimeDelta) -> String {
    let secs = delta.num_seconds().max(0);
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else {
        format!("{m}m {s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(lifetime: TimeDelta) -> Tokens {
        let saved_at = Utc::now();
        Tokens {
            access_token: Secret::new("oauth2v2_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            refresh_token: Some(Secret::new("oauth2v2_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")),
            expires_at: saved_at + lifetime,
            client_id: "key".into(),
            client_secret: Some(Secret::new("cccccccccccccccc")),
            grant: Grant::AuthorizationCode,
            saved_at,
        }
    }

    #[test]
    fn a_day_long_token_is_renewed_five_minutes_ahead() {
        let t = tokens(TimeDelta::hours(24));
        assert!(!t.needs_refresh(t.expires_at - TimeDelta::minutes(6)));
        assert!(t.needs_refresh(t.expires_at - TimeDelta::minutes(5)));
        assert!(t.needs_refresh(t.expires_at + TimeDelta::minutes(1)));
    }

    #[test]
    fn a_short_lived_token_is_renewed_a_tenth_of_its_life_ahead() {
        let t = tokens(TimeDelta::seconds(120));
        assert!(!t.needs_refresh(t.saved_at));
        assert!(!t.needs_refresh(t.expires_at - TimeDelta::seconds(13)));
        assert!(t.needs_refresh(t.expires_at - TimeDelta::seconds(12)));
    }

    #[test]
    fn status_shows_no_secret() {
        let t = tokens(TimeDelta::hours(24));
        let shown = format!("{}\n{:?}\n{:?}", status(&t), status(&t), t);
        assert!(shown.contains("signed in with API key key"), "{shown}");
        for secret in ["aaaaaaaa", "bbbbbbbb", "cccccccc"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn human_durations_are_coarse() {
        assert_eq!(human(TimeDelta::seconds(86_400 + 7200 + 5)), "1d 2h");
        assert_eq!(human(TimeDelta::seconds(3 * 3600 + 4 * 60)), "3h 4m");
        assert_eq!(human(TimeDelta::seconds(65)), "1m 5s");
    }
}
