//! Fault injection for the sandbox's `/graphql` endpoint: what can go wrong, and when it does.
//!
//! A [`FaultConfig`] says which faults fire: an exact schedule ("the 3rd request gets a 503") and/or
//! a probability per request with the kinds to draw from. The decision for request number `n` is a
//! pure function of the seed and `n`, so the same seed gives the same faults on the same requests
//! however the worker threads interleave. The server (`server.rs`) acts the faults out; this module
//! only decides and names them. The names double as the `--faults` syntax of `upjobpilot sandbox`.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// How long a randomly drawn [`FaultKind::Latency`] holds a request when no duration is given.
const DEFAULT_FAULT_LATENCY: Duration = Duration::from_millis(1500);

/// How many postings a randomly drawn arrive/close fault moves when no count is given.
const DEFAULT_MOVED_POSTINGS: usize = 3;

/// One thing that can go wrong with a `/graphql` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// HTTP 429, with a `Retry-After` header (seconds) when given.
    TooManyRequests {
        /// Seconds for the `Retry-After` header; `None` sends no header.
        retry_after: Option<u64>,
    },
    /// HTTP 500, 502 or 503; 500 has a JSON body, 502 and 503 a gateway's HTML page.
    ServerError(u16),
    /// The answer is held back this long before the request is handled normally.
    Latency(Duration),
    /// Headers announce the whole body, half of it is sent, then the connection closes.
    CutBody,
    /// The connection closes without any response.
    DropConnection,
    /// HTTP 200 with an `errors` array; `partial` keeps `data` with the first root field null.
    GraphqlError {
        /// Keep `data` (first root field null) instead of leaving it out.
        partial: bool,
    },
    /// The access token used is revoked now; this request gets HTTP 401.
    RevokeToken,
    /// The access token used expires now; this request gets HTTP 401.
    ExpireToken,
    /// This many new postings arrive just before the request is answered.
    ArriveBetweenPages(usize),
    /// This many open postings close just before the request is answered.
    CloseBetweenPages(usize),
}

impl FaultKind {
    /// One of each kind, with default parameters: what a random fault draws from by default.
    pub fn all() -> Vec<FaultKind> {
        vec![
            FaultKind::TooManyRequests { retry_after: None },
            FaultKind::ServerError(500),
            FaultKind::ServerError(502),
            FaultKind::ServerError(503),
            FaultKind::Latency(DEFAULT_FAULT_LATENCY),
            FaultKind::CutBody,
            FaultKind::DropConnection,
            FaultKind::GraphqlError { partial: false },
            FaultKind::GraphqlError { partial: true },
            FaultKind::RevokeToken,
            FaultKind::ExpireToken,
            FaultKind::ArriveBetweenPages(DEFAULT_MOVED_POSTINGS),
            FaultKind::CloseBetweenPages(DEFAULT_MOVED_POSTINGS),
        ]
    }
}

/// Prints the `--faults` syntax, which [`FromStr`] reads back.
impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultKind::TooManyRequests { retry_after: None } => f.write_str("429"),
            FaultKind::TooManyRequests {
                retry_after: Some(secs),
            } => write!(f, "429:{secs}"),
            FaultKind::ServerError(code) => write!(f, "{code}"),
            FaultKind::Latency(d) => write!(f, "latency:{}", d.as_millis()),
            FaultKind::CutBody => f.write_str("cut-body"),
            FaultKind::DropConnection => f.write_str("drop-connection"),
            FaultKind::GraphqlError { partial: false } => f.write_str("graphql-error"),
            FaultKind::GraphqlError { partial: true } => f.write_str("graphql-partial"),
            FaultKind::RevokeToken => f.write_str("revoke-token"),
            FaultKind::ExpireToken => f.write_str("expire-token"),
            FaultKind::ArriveBetweenPages(n) => write!(f, "arrive:{n}"),
            FaultKind::CloseBetweenPages(n) => write!(f, "close:{n}"),
        }
    }
}

/// A `--faults` item that does not name a fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown fault `{0}`\nhint: use 429[:SECS], 500, 502, 503, latency[:MS], cut-body, drop-connection, graphql-error, graphql-partial, revoke-token, expire-token, arrive[:N], close[:N]"
)]
pub struct ParseFaultError(String);

impl FromStr for FaultKind {
    type Err = ParseFaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim().to_ascii_lowercase();
        let (name, param) = match text.split_once(':') {
            Some((name, param)) => (name, Some(param)),
            None => (text.as_str(), None),
        };
        let bad = || ParseFaultError(s.trim().to_owned());
        let number = |default: u64| -> Result<u64, ParseFaultError> {
            param.map_or(Ok(default), |p| p.parse().map_err(|_| bad()))
        };
        let kind = match name {
            "429" | "too-many-requests" => FaultKind::TooManyRequests {
                retry_after: param.map(|p| p.parse().map_err(|_| bad())).transpose()?,
            },
            "500" | "502" | "503" if param.is_none() => {
                FaultKind::ServerError(name.parse().map_err(|_| bad())?)
            }
            "latency" => FaultKind::Latency(Duration::from_millis(number(
                DEFAULT_FAULT_LATENCY.as_millis() as u64,
            )?)),
            "cut-body" if param.is_none() => FaultKind::CutBody,
            "drop-connection" if param.is_none() => FaultKind::DropConnection,
            "graphql-error" if param.is_none() => FaultKind::GraphqlError { partial: false },
            "graphql-partial" if param.is_none() => FaultKind::GraphqlError { partial: true },
            "revoke-token" if param.is_none() => FaultKind::RevokeToken,
            "expire-token" if param.is_none() => FaultKind::ExpireToken,
            "arrive" => {
                FaultKind::ArriveBetweenPages(number(DEFAULT_MOVED_POSTINGS as u64)? as usize)
            }
            "close" => {
                FaultKind::CloseBetweenPages(number(DEFAULT_MOVED_POSTINGS as u64)? as usize)
            }
            _ => return Err(bad()),
        };
        Ok(kind)
    }
}

/// Which faults fire on which `/graphql` requests.
///
/// Request numbers start at 1 and count `/graphql` requests since the sandbox started or since
/// the last [`Sandbox::set_faults`](super::Sandbox::set_faults), whichever is later.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultConfig {
    /// Seed for the random draws: the same seed faults the same request numbers the same way.
    pub seed: u64,
    /// Probability that a request gets a random fault (0 = never, 1 = always).
    pub rate: f64,
    /// Kinds a random fault is drawn from, uniformly; empty means [`FaultKind::all`].
    pub kinds: Vec<FaultKind>,
    /// Exact faults by request number; a scheduled request never gets a random fault as well.
    pub schedule: Vec<(u64, FaultKind)>,
}

impl FaultConfig {
    /// No faults at all.
    pub fn none() -> Self {
        FaultConfig::default()
    }

    /// Exactly one fault, on request number `request` (1-based).
    pub fn once(request: u64, kind: FaultKind) -> Self {
        FaultConfig {
            schedule: vec![(request, kind)],
            ..FaultConfig::default()
        }
    }

    /// The fault for request number `request`, if any.
    pub(crate) fn decide(&self, request: u64) -> Option<FaultKind> {
        if let Some((_, kind)) = self.schedule.iter().find(|(n, _)| *n == request) {
            return Some(kind.clone());
        }
        if self.rate <= 0.0 {
            return None;
        }
        let mut rng = SmallRng::seed_from_u64(mix(self.seed, request));
        if rng.random::<f64>() >= self.rate {
            return None;
        }
        let all;
        let kinds = if self.kinds.is_empty() {
            all = FaultKind::all();
            &all
        } else {
            &self.kinds
        };
        Some(kinds[rng.random_range(0..kinds.len())].clone())
    }
}

/// SplitMix64 of the seed and the request number: one independent stream per request.
fn mix(seed: u64, request: u64) -> u64 {
    let mut z = seed ^ request.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for kind in FaultKind::all() {
            assert_eq!(kind.to_string().parse::<FaultKind>(), Ok(kind));
        }
        assert_eq!(
            "429:7".parse::<FaultKind>(),
            Ok(FaultKind::TooManyRequests {
                retry_after: Some(7)
            })
        );
        assert_eq!(
            "latency:250".parse::<FaultKind>(),
            Ok(FaultKind::Latency(Duration::from_millis(250)))
        );
        assert!("504".parse::<FaultKind>().is_err());
        assert!("cut-body:3".parse::<FaultKind>().is_err());
    }

    #[test]
    fn schedule_wins_and_rate_is_reproducible_per_seed() {
        let config = FaultConfig {
            seed: 7,
            rate: 0.5,
            kinds: vec![],
            schedule: vec![(3, FaultKind::CutBody)],
        };
        assert_eq!(config.decide(3), Some(FaultKind::CutBody));
        let first: Vec<_> = (1..200).map(|n| config.decide(n)).collect();
        let again: Vec<_> = (1..200).rev().map(|n| config.decide(n)).collect();
        assert_eq!(first, again.into_iter().rev().collect::<Vec<_>>());
        let fired = first.iter().filter(|f| f.is_some()).count();
        assert!(
            (60..140).contains(&fired),
            "{fired} of 199 fired at rate 0.5"
        );
        let other = FaultConfig { seed: 8, ..config };
        assert_ne!(first, (1..200).map(|n| other.decide(n)).collect::<Vec<_>>());
    }
}
