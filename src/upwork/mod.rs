//! The GraphQL client: one query document, one rate limiter, and the one place where HTTP and
//! GraphQL outcomes are classified.
//!
//! 401 → refresh the token (through [`TokenSource`]) and ask again; 429 → pause every request
//! (honouring `Retry-After`) and ask again; 5xx, timeouts, dropped connections, cut-off or
//! non-JSON bodies and transient GraphQL errors → back off exponentially with jitter and ask
//! again; other 4xx and GraphQL validation or permission errors → a clear, permanent error. The
//! client only ever sends the query in `search.graphql`: it has no way to send a mutation.

pub mod page;
pub mod ratelimit;

use crate::auth::{AuthError, TokenSource};
use crate::config::Sort;
use page::{DecodeError, PageSummary};
use ratelimit::RateLimiter;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The query document the client sends, and the only one.
pub const SEARCH_QUERY: &str = include_str!("search.graphql");

/// The `User-Agent` sent with every request (Cloudflare fronts Upwork and wants a normal one).
pub const USER_AGENT: &str = concat!("upjobpilot/", env!("CARGO_PKG_VERSION"));

/// How often and how patiently to ask again.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts after the first.
    pub max_retries: u32,
    /// The first backoff; doubled each attempt.
    pub base: Duration,
    /// The longest backoff.
    pub cap: Duration,
}

/// A page as received: the body exactly as Upwork sent it, and what paging needs from it.
#[derive(Debug)]
pub struct Fetched {
    /// The response body, verbatim (it goes to the spool).
    pub body: Vec<u8>,
    /// The decoded paging information.
    pub page: PageSummary,
}

/// Why a page could not be had.
#[derive(Debug, thiserror::Error)]
pub enum UpworkError {
    /// Signing in failed or is no longer valid.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Upwork refused the request itself; asking again cannot help.
    #[error("upwork rejected the request: {0}")]
    Rejected(String),
    /// Every attempt failed with a transient fault.
    #[error("gave up after {attempts} attempts; last error: {last}")]
    GaveUp {
        /// Attempts made.
        attempts: u32,
        /// The last fault seen.
        last: String,
    },
}

/// The Upwork GraphQL client.
pub struct UpworkClient {
    http: reqwest::Client,
    graphql_url: String,
    tenant_id: Option<String>,
    tokens: Arc<TokenSource>,
    limiter: RateLimiter,
    retry: RetryPolicy,
    requests: AtomicU64,
}

enum Attempt {
    Done(Fetched),
    Retry {
        reason: String,
        wait: Option<Duration>,
    },
    Unauthorized(crate::secret::Secret),
    Fatal(UpworkError),
}

impl UpworkClient {
    /// A client for `graphql_url`, sharing one rate limiter across all its requests.
    pub fn new(
        graphql_url: String,
        tenant_id: Option<String>,
        tokens: Arc<TokenSource>,
        requests_per_minute: u32,
        timeout: Duration,
        retry: RetryPolicy,
    ) -> Result<UpworkClient, UpworkError> {
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| UpworkError::Rejected(format!("cannot build the HTTP client: {e}")))?;
        Ok(UpworkClient {
            http,
            graphql_url,
            tenant_id,
            tokens,
            limiter: RateLimiter::per_minute(requests_per_minute),
            retry,
            requests: AtomicU64::new(0),
        })
    }

    /// Requests sent so far (every attempt counts).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Fetches one page of a search: `first` postings from offset `after`.
    pub async fn search_page(
        &self,
        filter: &serde_json::Map<String, Value>,
        sort: Sort,
        after: u64,
        first: u32,
    ) -> Result<Fetched, UpworkError> {
        let mut filter = filter.clone();
        filter.insert(
            "pagination_eq".into(),
            json!({ "after": after.to_string(), "first": first }),
        );
        let body = json!({
            "query": SEARCH_QUERY,
            "operationName": "JobSearch",
            "variables": { "filter": filter, "sort": [{ "field": sort.graphql() }] },
        });
        let mut last = String::new();
        for attempt in 0..=self.retry.max_retries {
            match self.attempt(&body).await {
                Attempt::Done(fetched) => return Ok(fetched),
                Attempt::Fatal(error) => return Err(error),
                Attempt::Unauthorized(rejected) => {
                    tracing::info!(stage = "fetch", attempt, "access token refused; refreshing");
                    self.tokens.unauthorized(&rejected).await?;
                    last = "HTTP 401 Unauthorized".into();
                }
                Attempt::Retry { reason, wait } => {
                    let wait = wait.unwrap_or_else(|| self.backoff(attempt));
                    tracing::warn!(
                        stage = "fetch",
                        offset = after,
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        reason = %reason,
                        "request failed; retrying"
                    );
                    last = reason;
                    if attempt < self.retry.max_retries {
                        tokio::time::sleep(wait).await;
                    }
                }
            }
        }
        Err(UpworkError::GaveUp {
            attempts: self.retry.max_retries + 1,
            last,
        })
    }

    async fn attempt(&self, body: &Value) -> Attempt {
        self.limiter.acquire().await;
        let token = match self.tokens.access_token().await {
            Ok(token) => token,
            Err(error) => return Attempt::Fatal(error.into()),
        };
        let mut request = self
            .http
            .post(&self.graphql_url)
            .bearer_auth(token.expose())
            .json(body);
        if let Some(tenant) = &self.tenant_id {
            request = request.header("X-Upwork-API-TenantId", tenant);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                return Attempt::Retry {
                    reason: describe(&error),
                    wait: None,
                };
            }
        };
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Attempt::Unauthorized(token);
        }
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            let wait = retry_after(&response);
            if let Some(wait) = wait {
                self.limiter.pause(wait).await;
            }
            return Attempt::Retry {
                reason: "HTTP 429 Too Many Requests".into(),
                wait: wait.map(|_| Duration::ZERO),
            };
        }
        if status.is_server_error() {
            return Attempt::Retry {
                reason: format!("HTTP {status}"),
                wait: None,
            };
        }
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            return Attempt::Fatal(UpworkError::Rejected(format!(
                "HTTP {status}: {}",
                truncate(&text, 300)
            )));
        }
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes,
            Err(error) => {
                return Attempt::Retry {
                    reason: describe(&error),
                    wait: None,
                };
            }
        };
        match page::decode(&bytes) {
            Ok(page) => Attempt::Done(Fetched {
                body: bytes.to_vec(),
                page,
            }),
            Err(DecodeError::GraphQl {
                messages,
                permanent: true,
            }) => Attempt::Fatal(UpworkError::Rejected(messages)),
            Err(error) => Attempt::Retry {
                reason: truncate(&error.to_string(), 300),
                wait: None,
            },
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.retry.base.saturating_mul(1u32 << attempt.min(16));
        let capped = exp.min(self.retry.cap);
        // Full jitter between half and all of the backoff keeps concurrent searches apart.
        capped.mul_f64(0.5 + rand::random::<f64>() * 0.5)
    }
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    let secs: u64 = value.trim().parse().ok()?;
    Some(Duration::from_secs(secs.min(300)))
}

fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else if error.is_body() || error.is_decode() {
        "broken response body"
    } else {
        "request failed"
    };
    let mut text = format!("{kind}: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    truncate(&text, 300)
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}
