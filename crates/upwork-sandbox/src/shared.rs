//! The state every HTTP worker and the [`Sandbox`](crate::Sandbox) handle share: the
//! configuration, the clock, the market, the OAuth server, the fault and rate-limit state and the
//! request log, each behind its own lock.
//!
//! A lock poisoned by a panicking worker is taken over rather than propagated: the sandbox is a
//! test double, and one failed request must not take every later one down with it.

use crate::clock::Clock;
use crate::config::SandboxConfig;
use crate::faults::{FaultConfig, FaultKind};
use crate::log::RequestLog;
use crate::market::Market;
use crate::oauth::OAuth;
use crate::ratelimit::RateLimiter;
use std::sync::{Mutex, MutexGuard};

/// State shared by the workers and the [`Sandbox`](crate::Sandbox) handle.
pub(crate) struct Shared {
    pub(crate) config: SandboxConfig,
    pub(crate) clock: Clock,
    pub(crate) market: Mutex<Market>,
    pub(crate) oauth: Mutex<OAuth>,
    pub(crate) faults: Mutex<FaultState>,
    pub(crate) limiter: Mutex<RateLimiter>,
    pub(crate) log: RequestLog,
}

/// The faults in force and how many `/graphql` requests they have seen.
pub(crate) struct FaultState {
    pub(crate) config: FaultConfig,
    /// `/graphql` requests since the faults were set.
    pub(crate) requests: u64,
}

/// Takes the lock even if a panicking worker poisoned it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub(crate) fn market(&self) -> MutexGuard<'_, Market> {
        lock(&self.market)
    }

    pub(crate) fn oauth(&self) -> MutexGuard<'_, OAuth> {
        lock(&self.oauth)
    }

    pub(crate) fn limiter(&self) -> MutexGuard<'_, RateLimiter> {
        lock(&self.limiter)
    }

    /// Counts a `/graphql` request and draws its fault.
    pub(crate) fn next_fault(&self) -> Option<FaultKind> {
        let mut state = lock(&self.faults);
        state.requests += 1;
        state.config.decide(state.requests)
    }

    pub(crate) fn is_client(&self, id: &str) -> bool {
        self.config.clients.iter().any(|c| c.id == id)
    }
}
