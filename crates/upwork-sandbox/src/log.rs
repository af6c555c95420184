//! The sandbox's request log and counters: what a test or a person asks "what did the client do?".
//!
//! Every request becomes one [`RequestRecord`], kept in memory (the most recent
//! [`MEMORY_RECORDS`]) and, with `--request-log`, appended to a file as one JSON line, flushed per
//! line so `tail -f` shows it live. A record never holds a secret: no tokens, codes, client
//! secrets or `Authorization` headers are ever put in one, and GraphQL variables whose names look
//! secret are replaced by a placeholder. [`Stats`] counts what the log would show, without limit.
//!
//! The file's format is [`RequestRecord`] as JSON, one object a line, fields as documented there;
//! fields are only ever added. A GraphQL request's `root_fields` and `postings_requested` say
//! what it asked, so a request budget can be checked from the log alone: for instance
//! `jq -s 'map(.postings_requested // 0) | add' sandbox.jsonl` counts the postings asked by id,
//! and `jq -s 'map(select(.postings_requested > 0)) | length'` the requests that asked them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::Mutex;

/// How many records the in-memory log keeps; older ones are only in the file.
pub const MEMORY_RECORDS: usize = 10_000;

/// What replaces a variable value whose name looks like a secret.
const REDACTED: &str = "[redacted]";

/// One request as the sandbox saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// 1-based sequence number over all requests.
    pub seq: u64,
    /// When it arrived, by the sandbox's clock.
    pub time: DateTime<Utc>,
    /// HTTP method.
    pub method: String,
    /// Path without the query string, e.g. `/graphql`.
    pub endpoint: String,
    /// GraphQL operation name, or the grant type at the token endpoint.
    pub operation: Option<String>,
    /// The GraphQL document.
    pub query: Option<String>,
    /// GraphQL variables (secret-looking names redacted).
    pub variables: Option<serde_json::Value>,
    /// The client the request authenticated as, when known.
    pub client_id: Option<String>,
    /// The `X-Upwork-API-TenantId` header (the organization acted for), when sent.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// The `User-Agent` header, when sent.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// How a token request authenticated the client: `basic`, `form` or `basic+form`.
    #[serde(default)]
    pub client_auth: Option<String>,
    /// HTTP status sent; `None` when the connection was dropped without a response.
    pub status: Option<u16>,
    /// The injected fault, in `--faults` syntax, or `rate_limit`/`daily_limit` for a real 429.
    pub fault: Option<String>,
    /// For a GraphQL request whose operation could be read: its root fields by name, one per
    /// selection in document order, an alias repeating its field's name (three postings asked
    /// with aliases: `["marketplaceJobPosting", "marketplaceJobPosting",
    /// "marketplaceJobPosting"]`). Set whatever the answer (a 401, a 429, a refusal too).
    #[serde(default)]
    pub root_fields: Option<Vec<String>>,
    /// How many of those root fields are `marketplaceJobPosting` (postings asked by id).
    #[serde(default)]
    pub postings_requested: Option<u32>,
}

/// Counters over every request since the sandbox started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// All requests.
    pub total: u64,
    /// Requests to `/graphql`.
    pub graphql: u64,
    /// Requests to the token endpoint.
    pub token: u64,
    /// Requests to the authorize endpoint.
    pub authorize: u64,
    /// Requests by HTTP status sent (dropped connections are not counted here).
    pub by_status: BTreeMap<u16, u64>,
    /// Injected faults by kind, in `--faults` syntax.
    pub faults: BTreeMap<String, u64>,
    /// Requests refused by the rate limit or the daily budget (not injected 429s).
    pub rate_limited: u64,
    /// GraphQL requests that asked for at least one posting by id (`marketplaceJobPosting`).
    #[serde(default)]
    pub detail_requests: u64,
    /// Postings asked by id over all requests (`postings_requested` summed).
    #[serde(default)]
    pub postings_requested: u64,
}

/// Which endpoint a request went to, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Graphql,
    Token,
    Authorize,
    Other,
}

/// The log itself: memory, optional file, counters.
#[derive(Debug)]
pub(crate) struct RequestLog {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    seq: u64,
    records: VecDeque<RequestRecord>,
    file: Option<File>,
    stats: Stats,
}

impl RequestLog {
    /// A log that also appends to `path` when given.
    pub(crate) fn open(path: Option<&Path>) -> io::Result<Self> {
        let file = path
            .map(|p| OpenOptions::new().create(true).append(true).open(p))
            .transpose()?;
        Ok(RequestLog {
            inner: Mutex::new(Inner {
                seq: 0,
                records: VecDeque::new(),
                file,
                stats: Stats::default(),
            }),
        })
    }

    /// Records one finished request; `record.seq` is assigned here.
    pub(crate) fn push(&self, endpoint: Endpoint, mut record: RequestRecord, rate_limited: bool) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.seq += 1;
        record.seq = inner.seq;
        let stats = &mut inner.stats;
        stats.total += 1;
        match endpoint {
            Endpoint::Graphql => stats.graphql += 1,
            Endpoint::Token => stats.token += 1,
            Endpoint::Authorize => stats.authorize += 1,
            Endpoint::Other => {}
        }
        if let Some(status) = record.status {
            *stats.by_status.entry(status).or_default() += 1;
        }
        if let Some(postings) = record.postings_requested.filter(|&n| n > 0) {
            stats.detail_requests += 1;
            stats.postings_requested += u64::from(postings);
        }
        if rate_limited {
            stats.rate_limited += 1;
        } else if let Some(fault) = &record.fault {
            *stats.faults.entry(fault.clone()).or_default() += 1;
        }
        if let Some(file) = inner.file.as_mut() {
            let written = serde_json::to_vec(&record)
                .map_err(io::Error::from)
                .and_then(|mut line| {
                    line.push(b'\n');
                    file.write_all(&line)?;
                    file.flush()
                });
            if let Err(error) = written {
                tracing::warn!(stage = "sandbox", %error, "request log write failed");
            }
        }
        if inner.records.len() == MEMORY_RECORDS {
            inner.records.pop_front();
        }
        inner.records.push_back(record);
    }

    pub(crate) fn records(&self) -> Vec<RequestRecord> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.records.iter().cloned().collect()
    }

    pub(crate) fn stats(&self) -> Stats {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .stats
            .clone()
    }
}

/// GraphQL variables fit for the log: values under secret-looking names are replaced.
pub(crate) fn redact_variables(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let value = if looks_secret(key) {
                        serde_json::Value::String(REDACTED.to_owned())
                    } else {
                        redact_variables(value)
                    };
                    (key.clone(), value)
                })
                .collect(),
        ),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(redact_variables).collect())
        }
        other => other.clone(),
    }
}

fn looks_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["token", "secret", "password", "authorization", "code"]
        .iter()
        .any(|word| name.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_written_before_root_fields_existed_still_read() {
        let old = r#"{"seq":1,"time":"2025-10-16T06:00:00Z","method":"POST","endpoint":"/graphql","operation":null,"query":"{ user { id } }","variables":{},"client_id":"c","status":200,"fault":null}"#;
        let record: RequestRecord = serde_json::from_str(old).expect("an old line reads");
        assert_eq!(
            (record.root_fields, record.postings_requested),
            (None, None)
        );
        let old_stats = r#"{"total":1,"graphql":1,"token":0,"authorize":0,"by_status":{},"faults":{},"rate_limited":0}"#;
        let stats: Stats = serde_json::from_str(old_stats).expect("old stats read");
        assert_eq!(stats.postings_requested, 0);
    }

    #[test]
    fn secret_looking_variables_are_redacted_at_any_depth() {
        let vars = json!({"filter": {"searchExpression_eq": "rust"}, "accessToken": "oauth2v2_x",
                          "nested": [{"client_secret": "s"}]});
        let redacted = redact_variables(&vars);
        assert_eq!(redacted["filter"]["searchExpression_eq"], "rust");
        assert_eq!(redacted["accessToken"], REDACTED);
        assert_eq!(redacted["nested"][0]["client_secret"], REDACTED);
    }
}
