//! Upwork's request limits, per client: a sliding minute and a daily budget, on the real clock.
//!
//! The GraphQL docs say 300 requests per minute and 40,000 a day; past either, Upwork answers
//! HTTP 429. The limits count real time (not the sandbox's virtual clock) because what they protect
//! against is a client that sends too fast, and a test that advances the virtual clock by a day
//! must not reset them. Refused requests do not count against the window.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// More than the per-minute limit in the last 60 seconds.
    PerMinute,
    /// The daily budget is spent.
    Daily,
}

/// Per-client request counters.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    per_minute: u32,
    daily: u32,
    clients: HashMap<String, Window>,
}

#[derive(Debug)]
struct Window {
    recent: VecDeque<Instant>,
    day_start: Instant,
    day_count: u32,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` requests in any 60 s and `daily` a day; 0 means unlimited.
    pub(crate) fn new(per_minute: u32, daily: u32) -> Self {
        RateLimiter {
            per_minute,
            daily,
            clients: HashMap::new(),
        }
    }

    /// Counts a request by `client` at `now`, or says why it is refused.
    pub(crate) fn check(&mut self, client: &str, now: Instant) -> Result<(), Refusal> {
        let window = self
            .clients
            .entry(client.to_owned())
            .or_insert_with(|| Window {
                recent: VecDeque::new(),
                day_start: now,
                day_count: 0,
            });
        if now.saturating_duration_since(window.day_start) >= DAY {
            window.day_start = now;
            window.day_count = 0;
        }
        while window
            .recent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW)
        {
            window.recent.pop_front();
        }
        if self.daily > 0 && window.day_count >= self.daily {
            return Err(Refusal::Daily);
        }
        if self.per_minute > 0 && window.recent.len() >= self.per_minute as usize {
            return Err(Refusal::PerMinute);
        }
        window.day_count += 1;
        if self.per_minute > 0 {
            window.recent.push_back(now);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_minute_refuses_then_recovers() {
        let mut limiter = RateLimiter::new(3, 0);
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(limiter.check("a", t0 + Duration::from_secs(i)), Ok(()));
        }
        assert_eq!(
            limiter.check("a", t0 + Duration::from_secs(10)),
            Err(Refusal::PerMinute)
        );
        assert_eq!(limiter.check("b", t0 + Duration::from_secs(10)), Ok(()));
        assert_eq!(limiter.check("a", t0 + Duration::from_secs(60)), Ok(()));
    }

    #[test]
    fn daily_budget_refuses_until_the_next_day() {
        let mut limiter = RateLimiter::new(0, 2);
        let t0 = Instant::now();
        assert_eq!(limiter.check("a", t0), Ok(()));
        assert_eq!(limiter.check("a", t0), Ok(()));
        assert_eq!(limiter.check("a", t0), Err(Refusal::Daily));
        assert_eq!(limiter.check("a", t0 + DAY), Ok(()));
    }
}
