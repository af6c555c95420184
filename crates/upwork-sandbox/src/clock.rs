//! The sandbox's clock: what "now" is for token lifetimes, timestamps and the moving market.
//!
//! Tests drive time by hand ([`ClockMode::Manual`]: now only moves when they call
//! [`Sandbox::advance`](super::Sandbox::advance)), so token expiry and incremental sync are tested
//! without sleeping. The CLI runs on [`ClockMode::Real`], where time also flows by itself. Rate
//! limiting does not use this clock: it counts real seconds, as Upwork's limiter does.

use chrono::{DateTime, Utc};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How the sandbox's clock moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClockMode {
    /// Now is the start time plus every `advance`: time stands still otherwise (tests).
    #[default]
    Manual,
    /// Now is the start time plus the real time elapsed plus every `advance` (the CLI).
    Real,
}

/// The clock shared by every part of a running sandbox.
#[derive(Debug)]
pub(crate) struct Clock {
    mode: ClockMode,
    start: DateTime<Utc>,
    origin: Instant,
    advanced: Mutex<Duration>,
}

impl Clock {
    pub(crate) fn new(mode: ClockMode, start: DateTime<Utc>) -> Self {
        Clock {
            mode,
            start,
            origin: Instant::now(),
            advanced: Mutex::new(Duration::ZERO),
        }
    }

    /// The sandbox's current time.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        let advanced = *self.advanced.lock().unwrap_or_else(|e| e.into_inner());
        let elapsed = match self.mode {
            ClockMode::Manual => advanced,
            ClockMode::Real => advanced + self.origin.elapsed(),
        };
        chrono::Duration::from_std(elapsed)
            .ok()
            .and_then(|d| self.start.checked_add_signed(d))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Moves the clock forward.
    pub(crate) fn advance(&self, by: Duration) {
        let mut advanced = self.advanced.lock().unwrap_or_else(|e| e.into_inner());
        *advanced = advanced.saturating_add(by);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let start = DateTime::parse_from_rfc3339("2025-10-16T06:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("valid timestamp");
        let clock = Clock::new(ClockMode::Manual, start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now(), start + chrono::Duration::seconds(90));
    }
}
