//! The sandbox: a local stand-in for Upwork's OAuth2 and GraphQL API.
//!
//! New users wait days for Upwork to approve their API key, and no test may reach Upwork, so
//! `upjobpilot sandbox`, `upjobpilot demo` and every integration test talk to this instead. It
//! serves the three endpoints of `shared/upwork/API.md` on 127.0.0.1 (`/ab/account-security/
//! oauth2/authorize`, `/api/v3/oauth2/token`, `/graphql`) from a seeded, moving job market, and
//! can misbehave on purpose: rate limits, injected faults, expiring tokens.
//!
//! How the parts connect: [`market`] generates and moves the postings, [`search`] filters and
//! sorts them, [`node`] renders them in the live wire format. `oauth` holds codes and tokens,
//! `graphql` validates documents against the documented schema and executes them, `ratelimit`
//! and `faults` decide what to refuse or break, [`Realism`] which of live Upwork's reported
//! quirks to imitate (nulls, renewal order, error and value forms), `server` runs the HTTP
//! worker pool behind the `relay` (which owns the client sockets so faults can cut them), `log`
//! records every request, and `clock` says what time it is. The `upjobpilot sandbox` command (`commands/sandbox.rs`)
//! serves it from the command line; it imports nothing of the product. Tests use [`Sandbox`]
//! directly:
//!
//! ```no_run
//! use upwork_sandbox::{Sandbox, SandboxConfig};
//! let sandbox = Sandbox::start(SandboxConfig::default())?;
//! let graphql_url = format!("{}/graphql", sandbox.base_url());
//! let token = sandbox.mint_token(&sandbox.client().id);
//! sandbox.advance(std::time::Duration::from_secs(3600)); // an hour of arrivals and closes
//! # Ok::<(), std::io::Error>(())
//! ```

mod args;
mod clock;
mod faults;
mod graphql;
mod log;
pub mod market;
pub mod node;
mod oauth;
mod ratelimit;
mod realism;
mod relay;
pub mod search;
mod server;

pub use args::SandboxArgs;
pub use clock::ClockMode;
pub use faults::{FaultConfig, FaultKind, ParseFaultError};
pub use log::{MEMORY_RECORDS, RequestRecord, Stats};
pub use realism::{DisplayValue, MissingAfter, ParseFormError, Realism, VerificationForm};
pub use server::{AUTHORIZE_PATH, GRAPHQL_PATH, TOKEN_PATH};

use chrono::{DateTime, Utc};
use market::{Market, MarketConfig};
use search::{Filter, SortField};
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// What an API key may read; Upwork fixes scopes on the key, not per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// "Read marketplace Job Postings": the job search and job queries.
    JobPostingsRead,
    /// "Common Entities - Read-Only Access": user, organization, company selector; and needed
    /// for everything else too.
    CommonRead,
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
    /// The sandbox's own key: `sandbox-client` / `sandbox-secret`, the default callback, both
    /// scopes, not enterprise.
    fn default() -> Self {
        ClientSpec {
            id: "sandbox-client".to_owned(),
            secret: "sandbox-secret".to_owned(),
            redirect_uri: "http://localhost:3000/callback".to_owned(),
            enterprise: false,
            scopes: vec![Scope::JobPostingsRead, Scope::CommonRead],
        }
    }
}

/// Everything a sandbox can be told; [`Default`] is Upwork as documented, on a manual clock.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Registered API keys; the first is [`Sandbox::client`].
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

/// Tokens as the token endpoint issues them; `Debug` leaves the tokens out.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenPair {
    /// `oauth2v2_` + 32 hex.
    pub access_token: String,
    /// `oauth2v2_` + 32 hex.
    pub refresh_token: String,
    /// Seconds the access token lives.
    pub expires_in: u64,
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("access_token", &"[redacted]")
            .field("refresh_token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// State shared by the workers and the [`Sandbox`] handle.
pub(crate) struct Shared {
    config: SandboxConfig,
    clock: clock::Clock,
    market: Mutex<Market>,
    oauth: Mutex<oauth::OAuth>,
    faults: Mutex<FaultState>,
    limiter: Mutex<ratelimit::RateLimiter>,
    log: log::RequestLog,
}

struct FaultState {
    config: FaultConfig,
    /// `/graphql` requests since the faults were set.
    requests: u64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn market(&self) -> MutexGuard<'_, Market> {
        lock(&self.market)
    }

    fn oauth(&self) -> MutexGuard<'_, oauth::OAuth> {
        lock(&self.oauth)
    }

    fn limiter(&self) -> MutexGuard<'_, ratelimit::RateLimiter> {
        lock(&self.limiter)
    }

    /// Counts a `/graphql` request and draws its fault.
    fn next_fault(&self) -> Option<FaultKind> {
        let mut state = lock(&self.faults);
        state.requests += 1;
        state.config.decide(state.requests)
    }

    fn is_client(&self, id: &str) -> bool {
        self.config.clients.iter().any(|c| c.id == id)
    }
}

/// A running sandbox; stops on [`Sandbox::shutdown`] or drop.
pub struct Sandbox {
    shared: Arc<Shared>,
    server: server::Server,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Binds 127.0.0.1:`config.port` and serves on background threads.
    pub fn start(config: SandboxConfig) -> io::Result<Sandbox> {
        if config.clients.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the sandbox needs at least one registered client",
            ));
        }
        let log = log::RequestLog::open(config.request_log.as_deref())?;
        let clock = clock::Clock::new(config.clock, config.market.start);
        let oauth = oauth::OAuth::new(
            config.clients.clone(),
            oauth::Lifetimes {
                access: config.token_ttl,
                refresh: config.refresh_ttl,
                refresh_grace: config.refresh_grace,
                code: config.code_ttl,
            },
        );
        let mut market = Market::new(config.market.clone());
        market.set_renewals_to_top(config.realism.renewals_to_top);
        let shared = Arc::new(Shared {
            market: Mutex::new(market),
            oauth: Mutex::new(oauth),
            faults: Mutex::new(FaultState {
                config: config.faults.clone(),
                requests: 0,
            }),
            limiter: Mutex::new(ratelimit::RateLimiter::new(
                config.rate_limit_per_min,
                config.daily_limit,
            )),
            clock,
            log,
            config,
        });
        let server = server::Server::start(
            Arc::clone(&shared),
            shared.config.port,
            shared.config.threads,
        )?;
        Ok(Sandbox { shared, server })
    }

    /// `http://127.0.0.1:PORT`; the endpoints are this plus [`AUTHORIZE_PATH`], [`TOKEN_PATH`]
    /// and [`GRAPHQL_PATH`].
    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.address())
    }

    /// The first registered client.
    pub fn client(&self) -> ClientSpec {
        self.shared.config.clients[0].clone()
    }

    /// The sandbox's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.clock.now()
    }

    /// Moves the clock forward; the market catches up (arrivals, closes, changes).
    pub fn advance(&self, by: Duration) {
        self.shared.clock.advance(by);
        let now = self.shared.clock.now();
        self.shared.market().advance_to(now);
    }

    /// Runs `f` on the market, brought up to the current time first: add or close postings,
    /// read the ground truth.
    pub fn with_market<R>(&self, f: impl FnOnce(&mut Market) -> R) -> R {
        let now = self.shared.clock.now();
        let mut market = self.shared.market();
        market.advance_to(now);
        f(&mut market)
    }

    /// Ids of every open posting matching `filter` (a `MarketplaceJobPostingsSearchFilter` as
    /// JSON), in `sort` order, ignoring pagination and the offset cap.
    ///
    /// # Panics
    ///
    /// When `filter` is not a valid filter object: this is for tests, whose filters are fixed.
    pub fn ground_truth(&self, filter: &serde_json::Value, sort: &[SortField]) -> Vec<String> {
        let filter = match Filter::from_json(filter) {
            Ok(filter) => filter,
            Err(error) => panic!("ground_truth got a bad filter: {error}"),
        };
        self.with_market(|market| {
            market
                .search(&filter, sort)
                .iter()
                .map(|p| p.id.clone())
                .collect()
        })
    }

    /// Replaces the fault configuration; request numbers start again at 1.
    pub fn set_faults(&self, faults: FaultConfig) {
        *lock(&self.shared.faults) = FaultState {
            config: faults,
            requests: 0,
        };
    }

    /// Issues a token pair for `client_id` without the browser dance.
    pub fn mint_token(&self, client_id: &str) -> TokenPair {
        self.shared.oauth().mint(client_id, self.shared.clock.now())
    }

    /// Every token and code dies (the "refresh token dead, run `auth login`" case).
    pub fn revoke_all(&self) {
        self.shared.oauth().revoke_all();
    }

    /// The in-memory request log (the most recent [`MEMORY_RECORDS`]).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.log.records()
    }

    /// Counters over every request.
    pub fn stats(&self) -> Stats {
        self.shared.log.stats()
    }

    /// Stops the threads and frees the port (dropping the sandbox does the same).
    pub fn shutdown(mut self) {
        self.server.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_a_secret() {
        let client = ClientSpec::default();
        let pair = TokenPair {
            access_token: "oauth2v2_access".to_owned(),
            refresh_token: "oauth2v2_refresh".to_owned(),
            expires_in: 1,
        };
        let printed = format!("{client:?} {pair:?} {:?}", SandboxConfig::default());
        for secret in [&client.secret, &pair.access_token, &pair.refresh_token] {
            assert!(!printed.contains(secret.as_str()), "{printed}");
        }
    }
}
