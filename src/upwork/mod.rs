//! The only HTTP path to Upwork's GraphQL API: one client, one rate limiter, and the one place
//! where HTTP and GraphQL outcomes are classified.
//!
//! 401 → refresh the token (through [`TokenSource`]) and ask again; 429 → pause every request
//! (honouring `Retry-After`) and ask again; 5xx, timeouts, dropped connections, cut-off or
//! non-JSON bodies and transient GraphQL errors → back off exponentially with jitter and ask
//! again; other 4xx and GraphQL validation or permission errors → a clear, permanent error. Every
//! request carries the `User-Agent` and, when configured, `X-Upwork-API-TenantId`.
//!
//! The client sends only the four query documents in this folder (`search.graphql`,
//! `profile.graphql`, `ping.graphql`, `activity.graphql`), [`batch`]'s aliased copies of the
//! search and [`activity`]'s of the posting detail, each through its own method: it has no way to
//! send a mutation. A permission error (HTTP 200, `ExecutionAborted`) is permanent, and
//! [`UpworkError::Refused`] names the fields it refused. [`filter`] turns a configured search
//! into the search's variables, [`wire`] is the response format, [`page`] decodes it. Tokens come from `auth`; nothing here knows about the
//! database or the spool.

pub mod activity;
pub mod batch;
pub mod filter;
pub mod page;
mod queries;
pub mod ratelimit;
pub mod wire;

pub use queries::{PING_QUERY, PROFILE_QUERY, SEARCH_QUERY};

use crate::auth::{AuthError, TokenSource};
use crate::config::{Search, Upwork};
use crate::http::printable;
use page::{DecodeError, PageSummary};
use ratelimit::RateLimiter;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The header that picks the organization to act for.
pub const TENANT_HEADER: &str = "X-Upwork-API-TenantId";

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
    /// The server's clock when it answered (its `Date` header), if it sent one.
    pub server_time: Option<chrono::DateTime<chrono::Utc>>,
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
    /// The key lacks the permission for some of the fields asked (HTTP 200, `ExecutionAborted`,
    /// API.md); asking the same again cannot help.
    #[error("upwork rejected the request: {message}")]
    Refused {
        /// The fields named (`Type.field`), in Upwork's order.
        fields: Vec<String>,
        /// Upwork's message, made printable.
        message: String,
    },
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

/// A successful HTTP answer, before decoding.
struct Answer {
    body: Vec<u8>,
    server_time: Option<chrono::DateTime<chrono::Utc>>,
}

enum Attempt<T> {
    Done(T),
    Retry {
        reason: String,
        wait: Option<Duration>,
    },
    Unauthorized(crate::secret::Secret),
    Fatal(UpworkError),
}

impl UpworkClient {
    /// A client for the configured endpoint, sharing one rate limiter across all its requests.
    pub fn new(upwork: &Upwork, tokens: Arc<TokenSource>) -> Result<UpworkClient, UpworkError> {
        let timeout = Duration::from_secs(u64::from(upwork.timeout_secs));
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| UpworkError::Rejected(format!("cannot build the HTTP client: {e}")))?;
        Ok(UpworkClient {
            http,
            graphql_url: upwork.graphql_url.clone(),
            tenant_id: upwork.tenant_id.clone(),
            tokens,
            limiter: RateLimiter::per_minute(upwork.requests_per_minute),
            retry: RetryPolicy {
                max_retries: upwork.max_retries,
                base: Duration::from_millis(u64::from(upwork.retry_base_ms)),
                cap: Duration::from_secs(30),
            },
            requests: AtomicU64::new(0),
        })
    }

    /// The same client with another retry policy (a health check should not wait minutes).
    pub fn with_retry(mut self, retry: RetryPolicy) -> UpworkClient {
        self.retry = retry;
        self
    }

    /// Requests sent so far (every attempt counts).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Fetches one page of a search: `search.page_size` postings from offset `after`.
    pub async fn search_page(&self, search: &Search, after: u64) -> Result<Fetched, UpworkError> {
        let mut variables = filter::search_filter(&search.criteria);
        variables.insert(
            "pagination_eq".into(),
            json!({ "after": after.to_string(), "first": search.page_size }),
        );
        let body = json!({
            "query": SEARCH_QUERY,
            "operationName": "JobSearch",
            "variables": { "filter": variables, "sort": [{ "field": filter::sort_field(search.sort) }] },
        });
        self.send(&body, after, |answer: &Answer| {
            page::decode(&answer.body).map(|page| Fetched {
                body: answer.body.clone(),
                page,
                server_time: answer.server_time,
            })
        })
        .await
    }

    /// The first page of each of `searches` in one request ([`batch`]). Per search, its page,
    /// or `None` when its part of the answer is not a good page (the search then asks on its
    /// own). An error means the batch as a whole failed; [`UpworkError::Rejected`] means Upwork
    /// refused the document itself, so asking again cannot help.
    pub async fn first_pages(
        &self,
        searches: &[Search],
    ) -> Result<Vec<Option<Fetched>>, UpworkError> {
        let mut variables = serde_json::Map::new();
        for (i, search) in searches.iter().enumerate() {
            let mut filter = filter::search_filter(&search.criteria);
            filter.insert(
                "pagination_eq".into(),
                json!({ "after": "0", "first": search.page_size }),
            );
            variables.insert(format!("f{i}"), Value::Object(filter));
            variables.insert(
                format!("o{i}"),
                json!([{ "field": filter::sort_field(search.sort) }]),
            );
        }
        let body = json!({
            "query": batch::document(searches.len()),
            "operationName": "JobSearchBatch",
            "variables": variables,
        });
        self.send(&body, 0, |answer: &Answer| {
            let parts = batch::split(&answer.body, searches.len())?;
            Ok(parts
                .into_iter()
                .map(|body| {
                    page::decode(&body).ok().map(|page| Fetched {
                        body,
                        page,
                        server_time: answer.server_time,
                    })
                })
                .collect())
        })
        .await
    }

    /// The activity of each of `ids` in one request ([`activity`]), with the bid statistics
    /// when `bid_stats`. Per posting, its snapshot, or `None` when its part of the answer failed.
    /// An error means the request as a whole failed; [`UpworkError::Rejected`] means Upwork
    /// refused the document itself, [`UpworkError::Refused`] for want of a permission.
    pub async fn job_activity(
        &self,
        ids: &[String],
        bid_stats: bool,
    ) -> Result<Vec<Option<activity::Snapshot>>, UpworkError> {
        let body = json!({
            "query": activity::document(ids.len(), bid_stats),
            "operationName": "JobActivity",
            "variables": activity::variables(ids),
        });
        self.send(&body, 0, |answer: &Answer| {
            activity::decode(&answer.body, ids.len())
        })
        .await
    }

    /// The skill labels on the signed-in freelancer's profile (the `user` query).
    pub async fn profile_skills(&self) -> Result<Vec<String>, UpworkError> {
        let body = json!({ "query": PROFILE_QUERY, "operationName": "ProfileSkills" });
        self.send(&body, 0, |answer: &Answer| {
            page::decode_profile_skills(&answer.body)
        })
        .await
    }

    /// Asks the cheapest question there is: proves the endpoint answers and takes the token.
    pub async fn ping(&self) -> Result<(), UpworkError> {
        let body = json!({ "query": PING_QUERY, "operationName": "Ping" });
        self.send(&body, 0, |answer: &Answer| page::decode_ping(&answer.body))
            .await
    }

    /// Sends `body` until it is answered, refused or the retries run out; `decode` reads the
    /// answer (its transient errors are retried like a 5xx).
    async fn send<T>(
        &self,
        body: &Value,
        offset: u64,
        decode: impl Fn(&Answer) -> Result<T, DecodeError>,
    ) -> Result<T, UpworkError> {
        let mut last = String::new();
        for attempt in 0..=self.retry.max_retries {
            match self.attempt(body, &decode).await {
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
                        offset,
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

    async fn attempt<T>(
        &self,
        body: &Value,
        decode: &impl Fn(&Answer) -> Result<T, DecodeError>,
    ) -> Attempt<T> {
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
            request = request.header(TENANT_HEADER, tenant);
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
        let server_time = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|d| d.to_str().ok())
            .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
            .map(|d| d.with_timezone(&chrono::Utc));
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
            let text = crate::http::read_body(response, 4096)
                .await
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            return Attempt::Fatal(UpworkError::Rejected(format!(
                "HTTP {status}: {}",
                printable(&truncate(&text, 300))
            )));
        }
        let bytes = match crate::http::read_body(response, crate::http::MAX_GRAPHQL_BODY).await {
            Ok(bytes) => bytes,
            Err(crate::http::BodyError::Read(error)) => {
                return Attempt::Retry {
                    reason: describe(&error),
                    wait: None,
                };
            }
            Err(too_large) => {
                return Attempt::Fatal(UpworkError::Rejected(format!(
                    "{}: {too_large}",
                    self.graphql_url
                )));
            }
        };
        match decode(&Answer {
            body: bytes,
            server_time,
        }) {
            Ok(value) => Attempt::Done(value),
            Err(DecodeError::GraphQl {
                messages,
                permanent: true,
            }) => Attempt::Fatal(match page::refused_fields(&messages) {
                // Read before the message is cut to a printable length.
                Some(fields) => UpworkError::Refused {
                    fields,
                    message: printable(&messages),
                },
                None => UpworkError::Rejected(printable(&messages)),
            }),
            Err(error) => Attempt::Retry {
                reason: printable(&truncate(&error.to_string(), 300)),
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
