//! One rate limiter for the whole process, shared by every concurrent search.
//!
//! Requests are spaced evenly (`60 s / requests_per_minute` apart) instead of allowed in bursts,
//! so no sliding one-minute window on Upwork's side can ever see more than the limit. A 429 that
//! comes back anyway pushes every waiting request back, not just the one that met it.

use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Hands out evenly spaced request slots.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` requests a minute (at least one).
    pub fn per_minute(per_minute: u32) -> RateLimiter {
        RateLimiter {
            interval: Duration::from_secs(60) / per_minute.max(1),
            next: Mutex::new(None),
        }
    }

    /// Waits for this caller's slot.
    pub async fn acquire(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Moves every future slot to at least `delay` from now (after a 429).
    pub async fn pause(&self, delay: Duration) {
        let mut next = self.next.lock().await;
        let resume = Instant::now() + delay;
        *next = Some(next.map_or(resume, |n| n.max(resume)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slots_are_evenly_spaced() {
        let limiter = RateLimiter::per_minute(120);
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn pause_delays_the_next_slot() {
        let limiter = RateLimiter::per_minute(600);
        limiter.acquire().await;
        limiter.pause(Duration::from_secs(3)).await;
        let start = Instant::now();
        limiter.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(3));
    }
}
