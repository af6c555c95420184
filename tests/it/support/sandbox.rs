//! Helpers shared by the sandbox's integration tests: a small fixed market, an HTTP client that
//! never follows redirects, and GraphQL calls in the shape of Upwork's SDKs.

use chrono::{DateTime, Utc};
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};
use std::time::Duration;
use upwork_sandbox::market::MarketConfig;
use upwork_sandbox::{GRAPHQL_PATH, Sandbox, SandboxConfig};

/// The market's fixed start, so runs agree.
pub fn market_start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-10-16T06:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .expect("valid timestamp")
}

/// A sandbox config with a small fixed market.
pub fn config() -> SandboxConfig {
    SandboxConfig {
        market: MarketConfig {
            seed: 7,
            start: market_start(),
            initial_postings: 300,
            ..MarketConfig::default()
        },
        ..SandboxConfig::default()
    }
}

pub fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).expect("sandbox starts")
}

/// A client like the pipeline's: JSON, a timeout, no redirects followed.
pub fn http() -> Client {
    http_with_timeout(Duration::from_secs(20))
}

pub fn http_with_timeout(timeout: Duration) -> Client {
    Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

/// POSTs a GraphQL request as the official SDKs do: JSON body, `Authorization: Bearer`.
pub fn post_graphql(
    http: &Client,
    sandbox: &Sandbox,
    token: &str,
    query: &str,
    variables: Value,
) -> reqwest::Result<Response> {
    http.post(format!("{}{GRAPHQL_PATH}", sandbox.base_url()))
        .bearer_auth(token)
        .json(&json!({"query": query, "variables": variables}))
        .send()
}

/// A GraphQL call that must get an HTTP answer: its status and JSON body.
pub fn graphql(sandbox: &Sandbox, token: &str, query: &str, variables: Value) -> (u16, Value) {
    let response =
        post_graphql(&http(), sandbox, token, query, variables).expect("graphql answered");
    let status = response.status().as_u16();
    let text = response.text().expect("body read");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// A fresh access token for the sandbox's own client.
pub fn token(sandbox: &Sandbox) -> String {
    sandbox.mint_token(&sandbox.client().id).access_token
}

/// The search document the pipeline sends (in spirit): variables, newest first.
pub const SEARCH: &str = "query Search($filter: MarketplaceJobPostingsSearchFilter, $sort: [MarketplaceJobPostingSearchSortAttribute]) {
  marketplaceJobPostingsSearch(marketPlaceJobFilter: $filter, searchType: USER_JOBS_SEARCH, sortAttributes: $sort) {
    totalCount
    edges { cursor node { id title publishedDateTime } }
    pageInfo { endCursor hasNextPage }
  }
}";

/// Variables for [`SEARCH`]: `filter` plus a page, newest first.
pub fn search_vars(filter: Value, after: &str, first: i64) -> Value {
    let mut filter = filter;
    filter["pagination_eq"] = json!({"after": after, "first": first});
    json!({"filter": filter, "sort": [{"field": "RECENCY"}]})
}

/// The ids on a search page.
pub fn page_ids(body: &Value) -> Vec<String> {
    body["data"]["marketplaceJobPostingsSearch"]["edges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .filter_map(|e| e["node"]["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
