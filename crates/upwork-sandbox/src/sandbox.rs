//! The handle to a running sandbox: start it, read its address and its clock, move time on, reach
//! into the market, change the faults, mint or revoke tokens, read the request log, stop it.
//!
//! Tests drive a posting's activity through [`Sandbox::advance`] (the figures follow the clock)
//! and [`Sandbox::with_market`]: `Market::job_activity` is what `marketplaceJobPosting` answers
//! now, `hire_id` closes a posting with a hire, `close_id` without, `remove_id` makes it unknown,
//! `add_applicants` and `edit` (a posting's `activity` plan) set up the figures a test needs.

use crate::clock::Clock;
use crate::config::{ClientSpec, SandboxConfig};
use crate::faults::FaultConfig;
use crate::log::{RequestLog, RequestRecord, Stats};
use crate::market::Market;
use crate::oauth::{Lifetimes, OAuth, TokenPair};
use crate::ratelimit::RateLimiter;
use crate::search::{Filter, SortField};
use crate::server::Server;
use crate::shared::{FaultState, Shared, lock};
use chrono::{DateTime, Utc};
use std::fmt;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running sandbox; stops on [`Sandbox::shutdown`] or drop.
pub struct Sandbox {
    shared: Arc<Shared>,
    server: Server,
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
        let log = RequestLog::open(config.request_log.as_deref())?;
        let clock = Clock::new(config.clock, config.market.start);
        let oauth = OAuth::new(
            config.clients.clone(),
            Lifetimes {
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
            limiter: Mutex::new(RateLimiter::new(
                config.rate_limit_per_min,
                config.daily_limit,
            )),
            clock,
            log,
            config,
        });
        let server = Server::start(
            Arc::clone(&shared),
            shared.config.port,
            shared.config.threads,
        )?;
        Ok(Sandbox { shared, server })
    }

    /// `http://127.0.0.1:PORT`; the endpoints are this plus
    /// [`AUTHORIZE_PATH`](crate::AUTHORIZE_PATH), [`TOKEN_PATH`](crate::TOKEN_PATH) and
    /// [`GRAPHQL_PATH`](crate::GRAPHQL_PATH).
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

    /// The in-memory request log (the most recent [`MEMORY_RECORDS`](crate::MEMORY_RECORDS)).
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
