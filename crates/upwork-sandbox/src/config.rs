//! What a sandbox can be told: the registered API keys and their scopes, the market, the clock,
//! the lifetimes and limits, the faults and the realism switches.
//!
//! [`Sandbox::start`](crate::Sandbox::start) takes a [`SandboxConfig`]; its [`Default`] is Upwork
//! as documented on a manual clock, and `SandboxArgs::to_config` builds one from the command line.

use crate::clock::ClockMode;
use crate::faults::FaultConfig;
use crate::market::MarketConfig;
use crate::realism::Realism;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// What an API key may read; Upwork fixes scopes on the key, not per request.
///
/// A field outside the key's scopes fails the whole document with HTTP 200 and Upwork's scope
/// error (see the `graphql` module). `--scopes` names them `job-postings`, `common` and
/// `bid-stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// "Read marketplace Job Postings": the job search and job queries.
    JobPostingsRead,
    /// "Common Entities - Read-Only Access": user, organization, company selector; and needed
    /// for everything else too.
    CommonRead,
    /// Bid statistics of a posting (`MarketplacePostingActivityStat.applicationsBidStats`), which
    /// Upwork has refused to keys with only the job-posting permissions (API.md, 2026-12). The
    /// evidence does not name the API Center permission that grants them; a key without this
    /// scope is such a key, still served `jobActivity`.
    BidStatsRead,
}

impl Scope {
    /// Every scope, in `--scopes` order: what the sandbox's own key has.
    pub const ALL: [Scope; 3] = [
        Scope::JobPostingsRead,
        Scope::CommonRead,
        Scope::BidStatsRead,
    ];

    /// The scope's name in `--scopes`.
    pub fn name(self) -> &'static str {
        match self {
            Scope::JobPostingsRead => "job-postings",
            Scope::CommonRead => "common",
            Scope::BidStatsRead => "bid-stats",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `--scopes` item that names no scope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope `{0}`: expected job-postings, common or bid-stats")]
pub struct ParseScopeError(String);

impl std::str::FromStr for Scope {
    type Err = ParseScopeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.name() == text.trim())
            .ok_or_else(|| ParseScopeError(text.to_owned()))
    }
}

/// A registered API key; `Debug` leaves the secret out.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSpec {
    /// The key (OAuth2 client id).
    pub id: String,
    /// The key's secret.
    pub secret: String,
    /// The callback URL registered with the key; authorize redirects only here.
    pub redirect_uri: String,
    /// Enterprise keys may use the client-credentials grant.
    pub enterprise: bool,
    /// What the key may read.
    pub scopes: Vec<Scope>,
}

impl fmt::Debug for ClientSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSpec")
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .field("redirect_uri", &self.redirect_uri)
            .field("enterprise", &self.enterprise)
            .field("scopes", &self.scopes)
            .finish()
    }
}

impl Default for ClientSpec {
    /// The sandbox's own key: `sandbox-client` / `sandbox-secret`, the default callback, every
    /// scope, not enterprise.
    fn default() -> Self {
        ClientSpec {
            id: "sandbox-client".to_owned(),
            secret: "sandbox-secret".to_owned(),
            redirect_uri: "http://localhost:3000/callback".to_owned(),
            enterprise: false,
            scopes: Scope::ALL.to_vec(),
        }
    }
}

/// Everything a sandbox can be told; [`Default`] is Upwork as documented, on a manual clock.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Registered API keys; the first is [`Sandbox::client`](crate::Sandbox::client).
    pub clients: Vec<ClientSpec>,
    /// The market: seed, start time (also the clock's start), size and pace.
    pub market: MarketConfig,
    /// Manual (tests) or real time (the CLI).
    pub clock: ClockMode,
    /// Access token lifetime (`expires_in`).
    pub token_ttl: Duration,
    /// Refresh token lifetime from issue (Upwork: two weeks).
    pub refresh_ttl: Duration,
    /// How long a refresh token keeps working after it was rotated.
    pub refresh_grace: Duration,
    /// Authorization code lifetime.
    pub code_ttl: Duration,
    /// Added before answering every request.
    pub latency: Duration,
    /// `/graphql` requests per client in any 60 s (real time); 0 = unlimited.
    pub rate_limit_per_min: u32,
    /// `/graphql` requests per client per day (real time); 0 = unlimited.
    pub daily_limit: u32,
    /// `Retry-After` seconds on rate-limit 429s; `None` sends none (as Upwork documents none).
    pub retry_after_secs: Option<u64>,
    /// Largest page: `pagination_eq.first` is capped to this.
    pub max_page_size: u32,
    /// Deepest offset a search pages to (the old 5,000-result cap).
    pub max_offset: u32,
    /// Injected faults.
    pub faults: FaultConfig,
    /// Which of live Upwork's reported quirks to imitate; all off by default.
    pub realism: Realism,
    /// Append every request as a JSON line to this file.
    pub request_log: Option<PathBuf>,
    /// HTTP worker threads.
    pub threads: usize,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            port: 0,
            clients: vec![ClientSpec::default()],
            market: MarketConfig::default(),
            clock: ClockMode::Manual,
            token_ttl: Duration::from_secs(86_400),
            refresh_ttl: Duration::from_secs(14 * 86_400),
            refresh_grace: Duration::from_secs(86_400),
            code_ttl: Duration::from_secs(600),
            latency: Duration::ZERO,
            rate_limit_per_min: 300,
            daily_limit: 40_000,
            retry_after_secs: None,
            max_page_size: 100,
            max_offset: 5_000,
            faults: FaultConfig::none(),
            realism: Realism::none(),
            request_log: None,
            threads: 8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_names_read_back() {
        for scope in Scope::ALL {
            assert_eq!(scope.name().parse::<Scope>(), Ok(scope));
        }
        let error = "jobs".parse::<Scope>().err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("unknown scope `jobs`: expected job-postings, common or bid-stats")
        );
    }

    #[test]
    fn debug_output_never_shows_a_secret() {
        let client = ClientSpec::default();
        let printed = format!("{client:?} {:?}", SandboxConfig::default());
        assert!(!printed.contains(client.secret.as_str()), "{printed}");
    }
}
