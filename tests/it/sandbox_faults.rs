//! What the client sees when the sandbox misbehaves on purpose: rate limits, every injected fault
//! kind, their reproducibility for a seed, and the request log (which must never hold a secret).

use crate::support::sandbox::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use upwork_sandbox::{
    ClientSpec, FaultConfig, FaultKind, RequestRecord, Sandbox, SandboxConfig, TOKEN_PATH,
};

const USER: &str = "{ user { id } }";

fn status_of(sandbox: &Sandbox, token: &str) -> u16 {
    graphql(sandbox, token, USER, json!({})).0
}

fn with_fault(request: u64, kind: FaultKind) -> Sandbox {
    start(SandboxConfig {
        faults: FaultConfig::once(request, kind),
        ..config()
    })
}

#[test]
fn the_rate_limit_answers_429_per_client_with_optional_retry_after() {
    let other = ClientSpec {
        id: "other".to_owned(),
        ..ClientSpec::default()
    };
    let sandbox = start(SandboxConfig {
        rate_limit_per_min: 5,
        retry_after_secs: Some(7),
        clients: vec![ClientSpec::default(), other.clone()],
        ..config()
    });
    let token = token(&sandbox);
    for _ in 0..5 {
        assert_eq!(status_of(&sandbox, &token), 200);
    }
    let response = post_graphql(&http(), &sandbox, &token, USER, json!({})).expect("answered");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "7");
    let others = sandbox.mint_token(&other.id).access_token;
    assert_eq!(status_of(&sandbox, &others), 200);
    assert_eq!(sandbox.stats().rate_limited, 1);

    let quiet = start(SandboxConfig {
        rate_limit_per_min: 1,
        ..config()
    });
    let quiet_token = crate::support::sandbox::token(&quiet);
    assert_eq!(status_of(&quiet, &quiet_token), 200);
    let response = post_graphql(&http(), &quiet, &quiet_token, USER, json!({})).expect("answered");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().get("retry-after").is_none());
}

#[test]
fn the_daily_budget_answers_429_too() {
    let sandbox = start(SandboxConfig {
        daily_limit: 3,
        ..config()
    });
    let token = token(&sandbox);
    for _ in 0..3 {
        assert_eq!(status_of(&sandbox, &token), 200);
    }
    assert_eq!(status_of(&sandbox, &token), 429);
    let last = sandbox.requests().pop().expect("logged");
    assert_eq!(last.fault.as_deref(), Some("daily_limit"));
}

#[test]
fn an_injected_429_can_carry_retry_after_and_hits_only_its_request() {
    let sandbox = with_fault(
        2,
        FaultKind::TooManyRequests {
            retry_after: Some(2),
        },
    );
    let token = token(&sandbox);
    assert_eq!(status_of(&sandbox, &token), 200);
    let response = post_graphql(&http(), &sandbox, &token, USER, json!({})).expect("answered");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "2");
    assert_eq!(status_of(&sandbox, &token), 200);
    assert_eq!(sandbox.stats().faults.get("429:2"), Some(&1));
}

#[test]
fn server_errors_are_json_from_graphql_and_html_from_the_gateway() {
    for (code, content_type) in [
        (500, "application/json"),
        (502, "text/html"),
        (503, "text/html"),
    ] {
        let sandbox = with_fault(1, FaultKind::ServerError(code));
        let response =
            post_graphql(&http(), &sandbox, &token(&sandbox), USER, json!({})).expect("answered");
        assert_eq!(response.status().as_u16(), code);
        let header = response.headers()["content-type"].to_str().expect("ascii");
        assert!(header.starts_with(content_type), "{code}: {header}");
    }
}

#[test]
fn latency_holds_every_answer_and_a_latency_fault_trips_the_client_timeout() {
    let sandbox = start(SandboxConfig {
        latency: Duration::from_millis(150),
        ..config()
    });
    let started = Instant::now();
    assert_eq!(status_of(&sandbox, &token(&sandbox)), 200);
    assert!(started.elapsed() >= Duration::from_millis(150));

    let sandbox = with_fault(1, FaultKind::Latency(Duration::from_secs(3)));
    let token = token(&sandbox);
    let quick = http_with_timeout(Duration::from_millis(300));
    let error = post_graphql(&quick, &sandbox, &token, USER, json!({})).expect_err("too slow");
    assert!(error.is_timeout(), "{error}");
    assert_eq!(status_of(&sandbox, &token), 200);
}

#[test]
fn workers_answer_slow_requests_side_by_side() {
    let sandbox = start(SandboxConfig {
        latency: Duration::from_millis(400),
        ..config()
    });
    let token = token(&sandbox);
    let started = Instant::now();
    std::thread::scope(|scope| {
        let calls: Vec<_> = (0..6)
            .map(|_| scope.spawn(|| status_of(&sandbox, &token)))
            .collect();
        for call in calls {
            assert_eq!(call.join().expect("thread"), 200);
        }
    });
    // One after another would take 2.4 s.
    assert!(
        started.elapsed() < Duration::from_millis(2000),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_cut_body_announces_more_than_it_sends_then_closes() {
    let sandbox = with_fault(2, FaultKind::CutBody);
    let token = token(&sandbox);
    // One client, so the cut response travels on a pooled keep-alive connection.
    let client = http();
    let whole = post_graphql(&client, &sandbox, &token, USER, json!({})).expect("answered");
    assert!(whole.bytes().is_ok());
    let response = post_graphql(&client, &sandbox, &token, USER, json!({})).expect("headers");
    assert_eq!(response.status(), StatusCode::OK);
    let error = response.bytes().expect_err("the body is cut");
    assert!(error.is_body() || error.is_decode(), "{error}");
    let next = post_graphql(&client, &sandbox, &token, USER, json!({})).expect("answered");
    assert!(next.bytes().is_ok());

    // Byte level: the announced length is longer than what arrives before the close.
    sandbox.set_faults(FaultConfig::once(1, FaultKind::CutBody));
    let body = json!({"query": USER}).to_string();
    let mut stream =
        TcpStream::connect(sandbox.base_url().trim_start_matches("http://")).expect("connect");
    write!(
        stream,
        "POST /graphql HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("request sent");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read until close");
    let text = String::from_utf8_lossy(&raw);
    let (head, received) = text.split_once("\r\n\r\n").expect("headers");
    let announced: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|n| n.trim().parse().ok())
        .expect("content length");
    assert!(
        received.len() < announced,
        "{} of {announced}",
        received.len()
    );
    assert!(!received.is_empty());
    assert_eq!(status_of(&sandbox, &token), 200);
}

#[test]
fn a_dropped_connection_gets_no_response_at_all() {
    let sandbox = with_fault(2, FaultKind::DropConnection);
    let token = token(&sandbox);
    // One client, so the dropped request travels on a pooled keep-alive connection.
    let client = http();
    let ok = post_graphql(&client, &sandbox, &token, USER, json!({})).expect("answered");
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(ok.text().is_ok());
    let error = post_graphql(&client, &sandbox, &token, USER, json!({})).expect_err("dropped");
    assert!(error.status().is_none(), "{error}");
    assert!(!error.is_timeout(), "{error}");
    let again = post_graphql(&client, &sandbox, &token, USER, json!({})).expect("answered");
    assert_eq!(again.status(), StatusCode::OK);
    let records = sandbox.requests();
    assert_eq!(records[1].status, None);
    assert_eq!(records[1].fault.as_deref(), Some("drop-connection"));
    assert_eq!(records.len(), 3, "the client did not retry behind our back");
}

#[test]
fn graphql_errors_come_with_partial_or_no_data() {
    let search = "{ jobs: marketplaceJobPostingsSearch(marketPlaceJobFilter: {pagination_eq: {after: \"0\", first: 2}}) { totalCount } }";
    let sandbox = with_fault(1, FaultKind::GraphqlError { partial: true });
    let (status, body) = graphql(&sandbox, &token(&sandbox), search, json!({}));
    assert_eq!(status, 200);
    assert_eq!(body["data"], json!({"jobs": null}));
    assert_eq!(body["errors"][0]["path"], json!(["jobs"]));
    assert_eq!(
        body["errors"][0]["extensions"]["classification"],
        "DataFetchingException"
    );

    let sandbox = with_fault(1, FaultKind::GraphqlError { partial: false });
    let (status, body) = graphql(&sandbox, &token(&sandbox), search, json!({}));
    assert_eq!(status, 200);
    assert!(body.get("data").is_none(), "{body}");
    assert!(body["errors"][0]["message"].is_string());
}

#[test]
fn a_revoked_or_expired_token_dies_on_the_spot_and_refresh_recovers() {
    for kind in [FaultKind::RevokeToken, FaultKind::ExpireToken] {
        let sandbox = with_fault(2, kind.clone());
        let pair = sandbox.mint_token(&sandbox.client().id);
        assert_eq!(status_of(&sandbox, &pair.access_token), 200);
        assert_eq!(status_of(&sandbox, &pair.access_token), 401, "{kind}");
        assert_eq!(status_of(&sandbox, &pair.access_token), 401, "{kind}");
        let client = sandbox.client();
        let renewed: Value = http()
            .post(format!("{}{TOKEN_PATH}", sandbox.base_url()))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", pair.refresh_token.as_str()),
                ("client_id", client.id.as_str()),
                ("client_secret", client.secret.as_str()),
            ])
            .send()
            .and_then(|r| r.json())
            .expect("refreshed");
        let access = renewed["access_token"].as_str().unwrap_or_default();
        assert_eq!(status_of(&sandbox, access), 200, "{kind}");
    }
}

#[test]
fn postings_arrive_or_close_between_two_page_requests() {
    let sandbox = with_fault(2, FaultKind::ArriveBetweenPages(5));
    let token = token(&sandbox);
    let (_, first) = graphql(&sandbox, &token, SEARCH, search_vars(json!({}), "0", 10));
    let (_, second) = graphql(&sandbox, &token, SEARCH, search_vars(json!({}), "10", 10));
    let total = |body: &Value| body["data"]["marketplaceJobPostingsSearch"]["totalCount"].as_u64();
    assert_eq!(total(&second), total(&first).map(|n| n + 5));
    // Five new postings on top push the old ones down: page two repeats page one's tail.
    assert_eq!(page_ids(&second)[..5], page_ids(&first)[5..]);

    sandbox.set_faults(FaultConfig::once(2, FaultKind::CloseBetweenPages(3)));
    let (_, before) = graphql(&sandbox, &token, SEARCH, search_vars(json!({}), "0", 10));
    let (_, after) = graphql(&sandbox, &token, SEARCH, search_vars(json!({}), "0", 10));
    assert_eq!(total(&after), total(&before).map(|n| n - 3));
}

#[test]
fn random_faults_are_the_same_for_the_same_seed() {
    let faults = |seed| FaultConfig {
        seed,
        rate: 0.4,
        kinds: vec![
            FaultKind::ServerError(503),
            FaultKind::TooManyRequests { retry_after: None },
            FaultKind::GraphqlError { partial: true },
        ],
        schedule: Vec::new(),
    };
    let outcomes = |seed| -> Vec<(u16, bool)> {
        let sandbox = start(SandboxConfig {
            faults: faults(seed),
            ..config()
        });
        let token = token(&sandbox);
        (0..30)
            .map(|_| {
                let (status, body) = graphql(&sandbox, &token, USER, json!({}));
                (status, body.get("errors").is_some())
            })
            .collect()
    };
    let first = outcomes(11);
    assert_eq!(first, outcomes(11));
    assert_ne!(first, outcomes(12));
    assert!(first.iter().any(|o| *o != (200, false)));
    assert!(first.contains(&(200, false)));
}

#[test]
fn the_request_log_records_every_request_and_never_a_secret() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("requests.jsonl");
    let sandbox = start(SandboxConfig {
        request_log: Some(path.clone()),
        faults: FaultConfig::once(2, FaultKind::ServerError(503)),
        ..config()
    });
    let client = sandbox.client();
    let authorize = format!(
        "{}/ab/account-security/oauth2/authorize?response_type=code&client_id={}&redirect_uri={}&state=st",
        sandbox.base_url(),
        client.id,
        client.redirect_uri
    );
    let redirect = http().get(authorize).send().expect("authorize");
    let location = redirect.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let code = url::Url::parse(&location)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    let tokens: Value = http()
        .post(format!("{}{TOKEN_PATH}", sandbox.base_url()))
        .basic_auth(&client.id, Some(&client.secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", client.redirect_uri.as_str()),
        ])
        .send()
        .and_then(|r| r.json())
        .expect("tokens");
    let access = tokens["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    let vars = search_vars(json!({"searchExpression_eq": "rust"}), "0", 5);
    assert_eq!(graphql(&sandbox, &access, SEARCH, vars.clone()).0, 200);
    assert_eq!(graphql(&sandbox, &access, SEARCH, vars.clone()).0, 503);

    let text = std::fs::read_to_string(&path).expect("log file");
    for secret in [&access, &refresh, &code, &client.secret] {
        assert!(!text.contains(secret.as_str()), "the log holds a secret");
    }
    let from_file: Vec<RequestRecord> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON record per line"))
        .collect();
    assert_eq!(from_file, sandbox.requests());
    let endpoints: Vec<&str> = from_file.iter().map(|r| r.endpoint.as_str()).collect();
    assert_eq!(
        endpoints,
        [
            "/ab/account-security/oauth2/authorize",
            TOKEN_PATH,
            "/graphql",
            "/graphql"
        ]
    );
    assert_eq!(
        from_file[1].operation.as_deref(),
        Some("authorization_code")
    );
    assert_eq!(from_file[1].client_id.as_deref(), Some(client.id.as_str()));
    let search = &from_file[2];
    assert_eq!(search.operation.as_deref(), Some("Search"));
    assert_eq!(search.query.as_deref(), Some(SEARCH));
    assert_eq!(search.variables.as_ref(), Some(&vars));
    assert_eq!(search.status, Some(200));
    assert_eq!(from_file[3].fault.as_deref(), Some("503"));
    assert_eq!(
        from_file.iter().map(|r| r.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );

    let stats = sandbox.stats();
    assert_eq!(
        (stats.total, stats.graphql, stats.token, stats.authorize),
        (4, 2, 1, 1)
    );
    assert_eq!(stats.by_status.get(&503), Some(&1));
    assert_eq!(stats.faults.get("503"), Some(&1));
}
