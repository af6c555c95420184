//! The sandbox's endpoints over real HTTP: OAuth2 (authorize, every grant and its errors, expiry,
//! rotation) and GraphQL (validation errors in graphql-java's shape, scopes, variables and
//! literals, aliases and fragments, pagination and its caps, the other root fields).
//!
//! Each test starts its own sandbox on port 0 and talks to it with reqwest, in the request shapes
//! of Upwork's official SDKs: code exchange with HTTP Basic client auth, refresh with the client id
//! and secret in the form, GraphQL as a JSON POST with `Authorization: Bearer`.

use crate::support::sandbox::*;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;
use upwork_sandbox::search::SortField;
use upwork_sandbox::{AUTHORIZE_PATH, ClientSpec, SandboxConfig, Scope, TOKEN_PATH};

fn authorize_url(sandbox: &upwork_sandbox::Sandbox, params: &[(&str, &str)]) -> String {
    let mut url =
        url::Url::parse(&format!("{}{AUTHORIZE_PATH}", sandbox.base_url())).expect("authorize URL");
    url.query_pairs_mut().extend_pairs(params);
    url.to_string()
}

/// Runs the browser's part of the flow: the code the callback would receive.
fn authorize_code(sandbox: &upwork_sandbox::Sandbox, state: &str) -> String {
    let client = sandbox.client();
    let response = http()
        .get(authorize_url(
            sandbox,
            &[
                ("response_type", "code"),
                ("client_id", &client.id),
                ("redirect_uri", &client.redirect_uri),
                ("state", state),
            ],
        ))
        .send()
        .expect("authorize answered");
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[LOCATION].to_str().expect("ascii");
    let location = url::Url::parse(location).expect("redirect URL");
    location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code in redirect")
}

fn token_request(
    sandbox: &upwork_sandbox::Sandbox,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut request = http()
        .post(format!("{}{TOKEN_PATH}", sandbox.base_url()))
        .form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().expect("token endpoint answered");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, response.json().expect("JSON body"), headers)
}

fn exchange_code(sandbox: &upwork_sandbox::Sandbox, code: &str) -> (u16, Value) {
    let client = sandbox.client();
    let (status, body, _) = token_request(
        sandbox,
        Some((&client.id, &client.secret)),
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &client.redirect_uri),
        ],
    );
    (status, body)
}

fn refresh(sandbox: &upwork_sandbox::Sandbox, refresh_token: &str) -> (u16, Value) {
    let client = sandbox.client();
    let (status, body, _) = token_request(
        sandbox,
        None,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", &client.id),
            ("client_secret", &client.secret),
        ],
    );
    (status, body)
}

fn is_token(value: &Value) -> bool {
    value.as_str().is_some_and(|t| {
        t.strip_prefix("oauth2v2_")
            .is_some_and(|hex| hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()))
    })
}

const USER_ID_QUERY: &str = "{ user { id } }";

#[test]
fn authorize_redirects_to_the_registered_uri_with_code_and_state() {
    let sandbox = start(config());
    let client = sandbox.client();
    let state = "a b&c=d/é";
    let response = http()
        .get(authorize_url(
            &sandbox,
            &[
                ("response_type", "code"),
                ("client_id", &client.id),
                ("redirect_uri", &client.redirect_uri),
                ("state", state),
                ("code_challenge", "ignored-pkce"),
            ],
        ))
        .send()
        .expect("answered");
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = url::Url::parse(response.headers()[LOCATION].to_str().expect("ascii"))
        .expect("absolute redirect");
    assert!(
        location
            .as_str()
            .starts_with("http://localhost:3000/callback?")
    );
    let params: Vec<(String, String)> = location.query_pairs().into_owned().collect();
    let code = &params.iter().find(|(k, _)| k == "code").expect("code").1;
    assert_eq!(code.len(), 32);
    assert!(code.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(params.contains(&("state".to_owned(), state.to_owned())));
}

#[test]
fn authorize_without_state_sends_none_back() {
    let sandbox = start(config());
    let client = sandbox.client();
    let response = http()
        .get(authorize_url(
            &sandbox,
            &[
                ("response_type", "code"),
                ("client_id", &client.id),
                ("redirect_uri", &client.redirect_uri),
            ],
        ))
        .send()
        .expect("answered");
    let location = response.headers()[LOCATION].to_str().expect("ascii");
    assert!(!location.contains("state="), "{location}");
}

#[test]
fn authorize_never_redirects_for_a_bad_client_or_redirect_uri() {
    let sandbox = start(config());
    let client = sandbox.client();
    for params in [
        vec![
            ("response_type", "code"),
            ("client_id", "nobody"),
            ("redirect_uri", client.redirect_uri.as_str()),
        ],
        vec![
            ("response_type", "code"),
            ("client_id", client.id.as_str()),
            ("redirect_uri", "https://evil.example/callback"),
        ],
        vec![
            ("response_type", "code"),
            ("client_id", client.id.as_str()),
            ("redirect_uri", "http://localhost:3000/callback/../steal"),
        ],
        vec![("response_type", "code"), ("client_id", client.id.as_str())],
    ] {
        let response = http()
            .get(authorize_url(&sandbox, &params))
            .send()
            .expect("answered");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{params:?}");
        assert!(response.headers().get(LOCATION).is_none(), "{params:?}");
        let page = response.text().expect("error page");
        assert!(page.contains("<html>"), "{page}");
    }
}

#[test]
fn sdk_flow_code_with_basic_auth_then_refresh_with_form_fields() {
    let sandbox = start(config());
    let code = authorize_code(&sandbox, "xyz");
    let (status, body) = exchange_code(&sandbox, &code);
    assert_eq!(status, 200, "{body}");
    let keys: HashSet<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        HashSet::from(["access_token", "refresh_token", "token_type", "expires_in"])
    );
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 86_400);
    assert!(is_token(&body["access_token"]) && is_token(&body["refresh_token"]));

    let access = body["access_token"].as_str().unwrap_or_default();
    let (status, user) = graphql(&sandbox, access, USER_ID_QUERY, json!({}));
    assert_eq!(status, 200);
    assert!(user["data"]["user"]["id"].is_string(), "{user}");

    let (status, rotated) = refresh(&sandbox, body["refresh_token"].as_str().unwrap_or_default());
    assert_eq!(status, 200, "{rotated}");
    assert_ne!(rotated["refresh_token"], body["refresh_token"]);
    assert_ne!(rotated["access_token"], body["access_token"]);
    let new_access = rotated["access_token"].as_str().unwrap_or_default();
    assert_eq!(
        graphql(&sandbox, new_access, USER_ID_QUERY, json!({})).0,
        200
    );
}

#[test]
fn client_credentials_in_the_form_work_for_the_code_exchange_too() {
    let sandbox = start(config());
    let client = sandbox.client();
    let code = authorize_code(&sandbox, "s");
    let (status, body, _) = token_request(
        &sandbox,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &client.redirect_uri),
            ("client_id", &client.id),
            ("client_secret", &client.secret),
        ],
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn a_code_works_once_and_a_replay_revokes_what_it_issued() {
    let sandbox = start(config());
    let code = authorize_code(&sandbox, "s");
    let (status, first) = exchange_code(&sandbox, &code);
    assert_eq!(status, 200);
    let (status, again) = exchange_code(&sandbox, &code);
    assert_eq!(status, 400);
    assert_eq!(again["error"], "invalid_grant");
    let access = first["access_token"].as_str().unwrap_or_default();
    assert_eq!(graphql(&sandbox, access, USER_ID_QUERY, json!({})).0, 401);
    let (status, body) = refresh(
        &sandbox,
        first["refresh_token"].as_str().unwrap_or_default(),
    );
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[test]
fn a_code_expires_and_must_come_back_with_its_redirect_uri() {
    let sandbox = start(config());
    let stale = authorize_code(&sandbox, "s");
    sandbox.advance(Duration::from_secs(601));
    let (status, body) = exchange_code(&sandbox, &stale);
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    let client = sandbox.client();
    let code = authorize_code(&sandbox, "s");
    let (status, body, _) = token_request(
        &sandbox,
        Some((&client.id, &client.secret)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://localhost:3000/other"),
        ],
    );
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[test]
fn token_endpoint_errors_follow_rfc_6749() {
    let sandbox = start(config());
    let client = sandbox.client();

    let (status, body, _) = token_request(&sandbox, None, &[("grant_type", "refresh_token")]);
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"error": "invalid_request", "error_description": "Missing parameters: client_id"})
    );

    let (status, body, _) = token_request(
        &sandbox,
        None,
        &[("client_id", &client.id), ("client_secret", &client.secret)],
    );
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    assert_eq!(body["error_description"], "Missing parameters: grant_type");

    let (status, body, headers) = token_request(
        &sandbox,
        Some((&client.id, "wrong")),
        &[("grant_type", "client_credentials")],
    );
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert!(headers.get("www-authenticate").is_some());

    let (status, body, _) = token_request(
        &sandbox,
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "unknown"),
            ("client_secret", "x"),
        ],
    );
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );

    let (status, body, _) = token_request(
        &sandbox,
        Some((&client.id, &client.secret)),
        &[("grant_type", "password")],
    );
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );

    let (status, body, _) = token_request(
        &sandbox,
        Some((&client.id, &client.secret)),
        &[("grant_type", "refresh_token")],
    );
    assert_eq!(
        (status, body["error_description"].as_str()),
        (400, Some("Missing parameters: refresh_token"))
    );
}

#[test]
fn client_credentials_only_for_enterprise_keys() {
    let enterprise = ClientSpec {
        id: "enterprise-key".to_owned(),
        secret: "enterprise-secret".to_owned(),
        enterprise: true,
        ..ClientSpec::default()
    };
    let sandbox = start(SandboxConfig {
        clients: vec![ClientSpec::default(), enterprise.clone()],
        ..config()
    });
    let ordinary = sandbox.client();
    let (status, body, _) = token_request(
        &sandbox,
        Some((&ordinary.id, &ordinary.secret)),
        &[("grant_type", "client_credentials")],
    );
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );

    let (status, body, _) = token_request(
        &sandbox,
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &enterprise.id),
            ("client_secret", &enterprise.secret),
        ],
    );
    assert_eq!(status, 200, "{body}");
    assert!(is_token(&body["access_token"]));
    assert!(body.get("refresh_token").is_none(), "{body}");
    let access = body["access_token"].as_str().unwrap_or_default();
    assert_eq!(graphql(&sandbox, access, USER_ID_QUERY, json!({})).0, 200);
}

#[test]
fn rotated_refresh_token_works_for_the_grace_then_is_dead() {
    let sandbox = start(SandboxConfig {
        refresh_grace: Duration::from_secs(60),
        ..config()
    });
    let first = sandbox.mint_token(&sandbox.client().id);
    let (status, second) = refresh(&sandbox, &first.refresh_token);
    assert_eq!(status, 200);
    sandbox.advance(Duration::from_secs(30));
    assert_eq!(refresh(&sandbox, &first.refresh_token).0, 200);
    sandbox.advance(Duration::from_secs(31));
    let (status, body) = refresh(&sandbox, &first.refresh_token);
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"error": "invalid_grant",
               "error_description": "Refresh token is expired or revoked or not registered"})
    );
    let newer = second["refresh_token"].as_str().unwrap_or_default();
    assert_eq!(refresh(&sandbox, newer).0, 200);
}

#[test]
fn access_tokens_expire_on_the_sandbox_clock() {
    let sandbox = start(SandboxConfig {
        token_ttl: Duration::from_secs(30),
        ..config()
    });
    let pair = sandbox.mint_token(&sandbox.client().id);
    assert_eq!(pair.expires_in, 30);
    assert_eq!(
        graphql(&sandbox, &pair.access_token, USER_ID_QUERY, json!({})).0,
        200
    );
    sandbox.advance(Duration::from_secs(29));
    assert_eq!(
        graphql(&sandbox, &pair.access_token, USER_ID_QUERY, json!({})).0,
        200
    );
    sandbox.advance(Duration::from_secs(1));
    let (status, body) = graphql(&sandbox, &pair.access_token, USER_ID_QUERY, json!({}));
    assert_eq!(status, 401, "{body}");
    let (status, renewed) = refresh(&sandbox, &pair.refresh_token);
    assert_eq!(status, 200);
    let access = renewed["access_token"].as_str().unwrap_or_default();
    assert_eq!(graphql(&sandbox, access, USER_ID_QUERY, json!({})).0, 200);
}

#[test]
fn graphql_needs_a_live_bearer_token() {
    let sandbox = start(config());
    let response = http()
        .post(format!("{}/graphql", sandbox.base_url()))
        .json(&json!({"query": USER_ID_QUERY}))
        .send()
        .expect("answered");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let made_up = format!("oauth2v2_{}", "0".repeat(32));
    assert_eq!(graphql(&sandbox, &made_up, USER_ID_QUERY, json!({})).0, 401);

    let pair = sandbox.mint_token(&sandbox.client().id);
    sandbox.revoke_all();
    assert_eq!(
        graphql(&sandbox, &pair.access_token, USER_ID_QUERY, json!({})).0,
        401
    );
    let (status, body) = refresh(&sandbox, &pair.refresh_token);
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[test]
fn an_undefined_field_fails_the_whole_document_like_graphql_java() {
    let sandbox = start(config());
    let query = "query {
  marketplaceJobPostingsSearch(marketPlaceJobFilter: {pagination_eq: {after: \"0\", first: 5}}) {
    edges {
      node {
        id
        salary
      }
    }
  }
}";
    let (status, body) = graphql(&sandbox, &token(&sandbox), query, json!({}));
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"errors": [{
            "message": "Validation error (FieldUndefined@[marketplaceJobPostingsSearch/edges/node/salary]) : Field 'salary' in type 'MarketplaceJobPostingSearchResult' is undefined",
            "locations": [{"line": 6, "column": 9}],
            "extensions": {"classification": "ValidationError"},
        }]})
    );

    // Alone in its selection set, inside a fragment: still one error, the path from the fragment.
    let query = "{ marketplaceJobPostingsSearch { edges { node { ...F } } } }
fragment F on MarketplaceJobPostingSearchResult { budget: salary }";
    let (_, body) = graphql(&sandbox, &token(&sandbox), query, json!({}));
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(
        body["errors"][0]["message"],
        "Validation error (FieldUndefined@[F/salary]) : Field 'salary' in type 'MarketplaceJobPostingSearchResult' is undefined"
    );
    assert_eq!(
        body["errors"][0]["locations"],
        json!([{"line": 2, "column": 51}])
    );
}

#[test]
fn arguments_and_variables_are_validated() {
    let sandbox = start(config());
    let token = token(&sandbox);
    let message = |query: &str, variables: Value| -> String {
        let (status, body) = graphql(&sandbox, &token, query, variables);
        assert_eq!(status, 200);
        assert!(body.get("data").is_none(), "{body}");
        assert_eq!(
            body["errors"][0]["extensions"]["classification"], "ValidationError",
            "{body}"
        );
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(
        message(
            "{ marketplaceJobPostingsSearch(marketPlaceJobFilters: {}) { totalCount } }",
            json!({})
        ),
        "Validation error (UnknownArgument@[marketplaceJobPostingsSearch]) : Unknown field argument 'marketPlaceJobFilters'"
    );
    assert_eq!(
        message("{ marketplaceJobPosting { id } }", json!({})),
        "Validation error (MissingFieldArgument@[marketplaceJobPosting]) : Missing field argument 'id'"
    );
    assert_eq!(
        message(
            "{ marketplaceJobPostingsSearch(marketPlaceJobFilter: {jobType_eq: DAILY}) { totalCount } }",
            json!({})
        ),
        "Validation error (WrongType@[marketplaceJobPostingsSearch]) : argument 'marketPlaceJobFilter.jobType_eq' with value 'EnumValue{name='DAILY'}' is not a valid 'ContractType'"
    );
    assert_eq!(
        message(
            "{ marketplaceJobPostingsSearch(marketPlaceJobFilter: {pagination_eq: {after: \"0\"}}) { totalCount } }",
            json!({})
        ),
        "Validation error (WrongType@[marketplaceJobPostingsSearch]) : argument 'marketPlaceJobFilter.pagination_eq' with value 'ObjectValue{objectFields=[ObjectField{name='pagination_eq', value=ObjectValue{objectFields=[ObjectField{name='after', value=StringValue{value='0'}}]}}]}' is missing required fields '[first]'"
    );
    assert_eq!(
        message(
            "query { marketplaceJobPostingsSearch(marketPlaceJobFilter: $filter) { totalCount } }",
            json!({})
        ),
        "Validation error (UndefinedVariable@[marketplaceJobPostingsSearch]) : Undefined variable 'filter'"
    );
    assert_eq!(
        message(
            "query Q($filter: MarketplaceJobPostingsSearchFilter!) { marketplaceJobPostingsSearch(marketPlaceJobFilter: $filter) { totalCount } }",
            json!({})
        ),
        "Variable 'filter' has an invalid value: Variable 'filter' has coerced Null value for NonNull type 'MarketplaceJobPostingsSearchFilter!'"
    );
    assert_eq!(
        message(
            "query Q($filter: String) { marketplaceJobPostingsSearch(marketPlaceJobFilter: $filter) { totalCount } }",
            json!({})
        ),
        "Validation error (VariableTypeMismatch@[marketplaceJobPostingsSearch]) : Variable 'filter' of type 'String' used in position expecting type 'MarketplaceJobPostingsSearchFilter'"
    );
    let syntax = {
        let (_, body) = graphql(&sandbox, &token, "{ user { id ", json!({}));
        body["errors"][0].clone()
    };
    assert_eq!(syntax["extensions"]["classification"], "InvalidSyntax");
    assert_eq!(
        syntax["message"],
        "Invalid syntax with offending token '<EOF>' at line 1 column 13"
    );
}

#[test]
fn mutations_and_subscriptions_are_refused() {
    let sandbox = start(config());
    let token = token(&sandbox);
    let (status, body) = graphql(&sandbox, &token, "subscription { jobs }", json!({}));
    assert_eq!(status, 200);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Validation error (UnknownOperation)")),
        "{body}"
    );
    let (status, body) = graphql(
        &sandbox,
        &token,
        "mutation { archiveFreelancerProfileProject(id: \"1\") }",
        json!({}),
    );
    assert_eq!(status, 200);
    assert!(body.get("data").is_none(), "{body}");
    assert!(body["errors"][0]["message"].as_str().is_some(), "{body}");
}

#[test]
fn a_key_without_the_scope_gets_the_documented_scope_error() {
    let jobs_only = ClientSpec {
        id: "jobs-only".to_owned(),
        scopes: vec![Scope::JobPostingsRead],
        ..ClientSpec::default()
    };
    let common_only = ClientSpec {
        id: "common-only".to_owned(),
        scopes: vec![Scope::CommonRead],
        ..ClientSpec::default()
    };
    let sandbox = start(SandboxConfig {
        clients: vec![jobs_only.clone(), common_only.clone()],
        ..config()
    });
    let (status, body) = graphql(
        &sandbox,
        &sandbox.mint_token(&jobs_only.id).access_token,
        USER_ID_QUERY,
        json!({}),
    );
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"errors": [{"message": "The client or authentication token doesn't have enough oauth2 permissions/scopes to access: [Query.user, CurrentUser.id].",
                           "extensions": {"classification": "ExecutionAborted"}}]})
    );
    let (_, body) = graphql(
        &sandbox,
        &sandbox.mint_token(&common_only.id).access_token,
        "{ marketplaceJobPostingsSearch { totalCount pageInfo { hasNextPage } } }",
        json!({}),
    );
    assert_eq!(
        body["errors"][0]["message"],
        "The client or authentication token doesn't have enough oauth2 permissions/scopes to access: [Query.marketplaceJobPostingsSearch, MarketplaceJobPostingSearchConnection.totalCount, MarketplaceJobPostingSearchConnection.pageInfo, PageInfo.hasNextPage]."
    );
    let (_, body) = graphql(
        &sandbox,
        &sandbox.mint_token(&common_only.id).access_token,
        "{ organization { id } }",
        json!({}),
    );
    assert!(body["data"]["organization"]["id"].is_string(), "{body}");
}

#[test]
fn client_side_sub_fields_fail_the_whole_query_for_a_freelancer_key() {
    let sandbox = start(config());
    let (status, body) = graphql(
        &sandbox,
        &token(&sandbox),
        "{ marketplaceJobPosting(id: \"1\") { id clientProposals { totalCount } } }",
        json!({}),
    );
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"errors": [{"message": "The client or authentication token doesn't have enough oauth2 permissions/scopes to access: [MarketplaceJobPosting.clientProposals, ClientProposalsConnection.totalCount].",
                           "extensions": {"classification": "ExecutionAborted"}}]})
    );
}

#[test]
fn inline_literals_and_variables_give_the_same_page() {
    let sandbox = start(config());
    let token = token(&sandbox);
    let literal = "{ marketplaceJobPostingsSearch(
        marketPlaceJobFilter: {jobType_eq: HOURLY, searchExpression_eq: \"developer OR design\",
                               pagination_eq: {after: \"0\", first: 20}},
        sortAttributes: [{field: RECENCY}]) {
      totalCount edges { cursor node { id title publishedDateTime } } pageInfo { endCursor hasNextPage } } }";
    let (status, inline) = graphql(&sandbox, &token, literal, json!({}));
    assert_eq!(status, 200, "{inline}");
    let (_, variables) = graphql(
        &sandbox,
        &token,
        SEARCH,
        search_vars(
            json!({"jobType_eq": "HOURLY", "searchExpression_eq": "developer OR design"}),
            "0",
            20,
        ),
    );
    assert_eq!(inline, variables);
    assert!(!page_ids(&inline).is_empty());
}

#[test]
fn aliases_fragments_typename_and_directives_shape_the_answer() {
    let sandbox = start(config());
    let query = "query Shaped($skip: Boolean!) {
  jobs: marketplaceJobPostingsSearch(marketPlaceJobFilter: {pagination_eq: {after: \"0\", first: 2}}) {
    __typename
    count: totalCount
    edges {
      node {
        ...Basics
        ... on MarketplaceJobPostingSearchResult { url: ciphertext }
        description @skip(if: $skip)
        premium @include(if: false)
      }
    }
  }
  me: user { id }
}
fragment Basics on MarketplaceJobPostingSearchResult { key: id title amount { rawValue currency } }";
    let response = post_graphql(
        &http(),
        &sandbox,
        &token(&sandbox),
        query,
        json!({"skip": true}),
    )
    .expect("answered");
    let text = response.text().expect("body");
    let body: Value = serde_json::from_str(&text).expect("JSON");
    assert!(body.get("errors").is_none(), "{body}");
    let jobs = &body["data"]["jobs"];
    assert_eq!(jobs["__typename"], "MarketplaceJobPostingSearchConnection");
    assert!(jobs["count"].as_u64().is_some_and(|n| n > 0));
    let node = &jobs["edges"][0]["node"];
    let keys: HashSet<&str> = node
        .as_object()
        .expect("node")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, HashSet::from(["key", "title", "amount", "url"]));
    assert_eq!(
        node["url"].as_str(),
        Some(format!("~02{}", node["key"].as_str().unwrap_or_default()).as_str())
    );
    assert!(node["amount"]["rawValue"].is_string());
    assert!(body["data"]["me"]["id"].is_string());
    // Keys come in selection order, as graphql-java sends them.
    let order: Vec<usize> = ["\"key\"", "\"title\"", "\"amount\"", "\"url\""]
        .iter()
        .map(|k| text.find(k).expect("key present"))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert!(text.find("\"jobs\"") < text.find("\"me\""));
}

#[test]
fn paging_a_search_returns_every_match_exactly_once() {
    let sandbox = start(config());
    let token = token(&sandbox);
    let filter = json!({"jobType_eq": "HOURLY"});
    let truth = sandbox.ground_truth(&filter, &[SortField::Recency]);
    assert!(
        truth.len() > 60,
        "market too small for the test: {}",
        truth.len()
    );
    let mut seen = Vec::new();
    let mut after = "0".to_owned();
    loop {
        let (status, body) = graphql(
            &sandbox,
            &token,
            SEARCH,
            search_vars(filter.clone(), &after, 25),
        );
        assert_eq!(status, 200, "{body}");
        let search = &body["data"]["marketplaceJobPostingsSearch"];
        assert_eq!(search["totalCount"].as_u64(), Some(truth.len() as u64));
        let offset: usize = after.parse().expect("offset");
        for (i, edge) in search["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .enumerate()
        {
            assert_eq!(edge["cursor"], (offset + i).to_string());
        }
        let ids = page_ids(&body);
        assert_eq!(
            search["pageInfo"]["endCursor"],
            (offset + ids.len()).to_string()
        );
        seen.extend(ids);
        if search["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = search["pageInfo"]["endCursor"]
            .as_str()
            .expect("endCursor")
            .to_owned();
    }
    assert_eq!(seen, truth);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), seen.len());
}

#[test]
fn page_size_and_depth_are_capped() {
    let sandbox = start(SandboxConfig {
        max_page_size: 20,
        max_offset: 50,
        ..config()
    });
    let token = token(&sandbox);
    let truth = sandbox.ground_truth(&json!({}), &[SortField::Recency]);
    let (_, body) = graphql(&sandbox, &token, SEARCH, search_vars(json!({}), "0", 100));
    assert_eq!(page_ids(&body), truth[..20]);
    let search = &body["data"]["marketplaceJobPostingsSearch"];
    assert_eq!(search["totalCount"].as_u64(), Some(truth.len() as u64));

    let (_, body) = graphql(&sandbox, &token, SEARCH, search_vars(json!({}), "40", 20));
    assert_eq!(page_ids(&body), truth[40..50]);
    let search = &body["data"]["marketplaceJobPostingsSearch"];
    assert_eq!(search["pageInfo"]["hasNextPage"], false);
    assert_eq!(search["pageInfo"]["endCursor"], "50");

    let (_, body) = graphql(&sandbox, &token, SEARCH, search_vars(json!({}), "60", 20));
    assert!(page_ids(&body).is_empty());
    assert_eq!(
        body["data"]["marketplaceJobPostingsSearch"]["pageInfo"]["hasNextPage"],
        false
    );
}

#[test]
fn a_search_without_after_is_an_http_500_and_without_pagination_a_page_of_ten() {
    let sandbox = start(config());
    let token = token(&sandbox);
    let (status, _) = graphql(
        &sandbox,
        &token,
        SEARCH,
        json!({"filter": {"pagination_eq": {"first": 10}}}),
    );
    assert_eq!(status, 500);
    let (status, body) = graphql(&sandbox, &token, SEARCH, json!({}));
    assert_eq!(status, 200);
    assert_eq!(page_ids(&body).len(), 10);
}

#[test]
fn one_job_by_id_and_the_account_queries() {
    let sandbox = start(config());
    let token = token(&sandbox);
    let id = sandbox.ground_truth(&json!({}), &[SortField::Recency])[0].clone();
    let (status, body) = graphql(
        &sandbox,
        &token,
        "query Job($id: ID!) { marketplaceJobPosting(id: $id) { id content { title description } } }",
        json!({"id": id}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["marketplaceJobPosting"]["id"], id.as_str());
    let title = sandbox.with_market(|m| m.get(&id).map(|p| p.title.clone()));
    assert_eq!(
        body["data"]["marketplaceJobPosting"]["content"]["title"].as_str(),
        title.as_deref()
    );
    let (_, body) = graphql(
        &sandbox,
        &token,
        "{ marketplaceJobPosting(id: \"1\") { id } }",
        json!({}),
    );
    assert_eq!(
        body,
        json!({"errors": [{"message": "Exception while fetching data (/marketplaceJobPosting) : Job posting not found: 1",
                           "locations": [{"line": 1, "column": 3}], "path": ["marketplaceJobPosting"],
                           "extensions": {"classification": "DataFetchingException"}}],
               "data": {"marketplaceJobPosting": null}})
    );

    let (status, body) = graphql(
        &sandbox,
        &token,
        "{ user { id nid name freelancerProfile { skills { edges { node { preferredLabel prettyName } } } } }
           organization { id name }
           companySelector { items { title organizationId } } }",
        json!({}),
    );
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{body}");
    let skills = body["data"]["user"]["freelancerProfile"]["skills"]["edges"]
        .as_array()
        .expect("skills");
    assert!(skills.len() >= 3);
    assert!(skills.iter().all(|s| s["node"]["prettyName"].is_string()));
    assert_eq!(
        body["data"]["organization"]["id"],
        body["data"]["companySelector"]["items"][0]["organizationId"]
    );
}

#[test]
fn introspection_works_but_not_in_bad_faith() {
    let sandbox = start(config());
    let token = token(&sandbox);
    let (_, body) = graphql(
        &sandbox,
        &token,
        "{ __schema { queryType { name } } __type(name: \"Money\") { fields { name } } }",
        json!({}),
    );
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
    assert_eq!(body["data"]["__type"]["fields"][0]["name"], "rawValue");
    let (status, body) = graphql(
        &sandbox,
        &token,
        "{ __schema { types { inputFields { name type { inputFields { name } } } } } }",
        json!({}),
    );
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"errors": [{
            "message": "This request is not asking for introspection in good faith - __Type.inputFields is present too often!",
            "extensions": {"classification": "BadFaithIntrospection"},
        }]})
    );
}

#[test]
fn a_search_result_links_to_its_full_job() {
    let sandbox = start(config());
    let (_, body) = graphql(
        &sandbox,
        &token(&sandbox),
        "{ marketplaceJobPostingsSearch(marketPlaceJobFilter: {pagination_eq: {after: \"0\", first: 3}}) {
            edges { node { id job { id content { title } contractTerms { contractType } } } } } }",
        json!({}),
    );
    assert!(body.get("errors").is_none(), "{body}");
    for edge in body["data"]["marketplaceJobPostingsSearch"]["edges"]
        .as_array()
        .expect("edges")
    {
        assert_eq!(edge["node"]["id"], edge["node"]["job"]["id"]);
        assert!(edge["node"]["job"]["content"]["title"].is_string());
    }
}

#[test]
fn the_market_moves_and_the_same_seed_gives_the_same_market() {
    let first = start(config());
    let second = start(config());
    let (a, b) = (token(&first), token(&second));
    let page = |sandbox: &upwork_sandbox::Sandbox, token: &str| {
        graphql(sandbox, token, SEARCH, search_vars(json!({}), "0", 50)).1
    };
    assert_eq!(page(&first, &a), page(&second, &b));

    let before = first.ground_truth(&json!({}), &[SortField::Recency]);
    first.advance(Duration::from_secs(3 * 3600));
    let after = first.ground_truth(&json!({}), &[SortField::Recency]);
    assert_ne!(before, after);
    let newest = page_ids(&page(&first, &a));
    assert_eq!(newest[0], after[0]);
    assert!(!before.contains(&after[0]), "a new posting arrived on top");
}

#[test]
fn shutdown_frees_the_port() {
    let sandbox = start(config());
    let address = sandbox.base_url().trim_start_matches("http://").to_owned();
    sandbox.shutdown();
    std::net::TcpListener::bind(&address).expect("port free again");
}

/// The realism switches (`SandboxConfig::realism`, `upjobpilot sandbox --null-rate` and the
/// rest): each off by default, each seeded, each as `upwork/API.md` reports live Upwork.
mod realism {
    use crate::support::sandbox::*;
    use serde_json::{Value, json};
    use std::collections::HashSet;
    use std::time::Duration;
    use upwork_sandbox::search::SortField;
    use upwork_sandbox::{
        DisplayValue, MissingAfter, Realism, Sandbox, SandboxConfig, VerificationForm,
    };

    fn with(realism: Realism) -> Sandbox {
        start(SandboxConfig {
            realism,
            ..config()
        })
    }

    /// The newest `first` postings with every field a switch touches, as a page body.
    fn wide_page(sandbox: &Sandbox, first: i64) -> (u16, Value) {
        const WIDE: &str = "query Wide($filter: MarketplaceJobPostingsSearchFilter) {
  marketplaceJobPostingsSearch(marketPlaceJobFilter: $filter, sortAttributes: [{field: RECENCY}]) {
    totalCount
    edges {
      cursor
      node {
        id ciphertext title publishedDateTime renewedDateTime totalApplicants applied premium
        duration durationLabel engagement category subcategory hourlyBudgetType
        preferredFreelancerLocation clientNotSureFields
        amount { rawValue currency displayValue }
        hourlyBudgetMin { rawValue displayValue }
        hourlyBudgetMax { rawValue displayValue }
        weeklyBudget { rawValue displayValue }
        engagementDuration { id label weeks }
        relevance { id publishTime }
        client {
          totalHires totalPostedJobs totalReviews totalFeedback companyRid
          totalSpent { rawValue displayValue }
          verificationStatus
          location { city country state timezone offsetToUTC }
        }
        occupations { category { id prefLabel } subCategories { id } occupationService { id } }
        skills { name prettyName }
      }
    }
    pageInfo { endCursor hasNextPage }
  }
}";
        let vars = json!({"filter": {"pagination_eq": {"after": "0", "first": first}}});
        graphql(sandbox, &token(sandbox), WIDE, vars)
    }

    fn search(body: &Value) -> &Value {
        &body["data"]["marketplaceJobPostingsSearch"]
    }

    fn edges(body: &Value) -> &[Value] {
        search(body)["edges"].as_array().map_or(&[], Vec::as_slice)
    }

    /// `(type, parent type)` graphql-java names in the message for each breakable field.
    fn declared(field: &str) -> (&'static str, &'static str) {
        match field {
            "totalApplicants" => ("Int", "MarketplaceJobPostingSearchResult"),
            "applied" | "premium" => ("Boolean", "MarketplaceJobPostingSearchResult"),
            "amount" => ("Money", "MarketplaceJobPostingSearchResult"),
            "totalHires" | "totalPostedJobs" => ("Int", "MarketplaceJobPostingSearchClientInfo"),
            "category" => (
                "MarketplaceJobPostingSearchOccupation",
                "MarketplaceJobPostingSearchOccupations",
            ),
            "prettyName" => ("String", "MarketplaceJobPostingSearchSkill"),
            other => panic!("unexpected broken field {other}"),
        }
    }

    #[test]
    fn null_rate_nulls_non_null_fields_up_to_their_nullable_parent_like_graphql_java() {
        let sandbox = with(Realism {
            null_rate: 0.2,
            ..Realism::default()
        });
        let (status, body) = wide_page(&sandbox, 60);
        assert_eq!(status, 200, "{body}");
        let errors = body["errors"].as_array().expect("errors entries");
        assert!(!errors.is_empty(), "{body}");
        let edges = edges(&body);
        assert_eq!(edges.len(), 60, "a null edge keeps its place in the list");
        let mut null_edges = HashSet::new();
        for error in errors {
            let path = error["path"].as_array().expect("path");
            assert_eq!(
                path[..2],
                [json!("marketplaceJobPostingsSearch"), json!("edges")]
            );
            assert_eq!(path[3], "node", "{error}");
            let index = path[2].as_u64().expect("edge index") as usize;
            let field = path.last().and_then(Value::as_str).expect("field name");
            let printed: String = path
                .iter()
                .map(|s| match s {
                    Value::String(name) => format!("/{name}"),
                    index => format!("[{index}]"),
                })
                .collect();
            let (ty, parent) = declared(field);
            let message = error["message"].as_str().expect("message");
            assert!(
                message.starts_with(&format!(
                    "The field at path '{printed}' was declared as a non null type, but the code involved in retrieving data has wrongly returned a null value."
                )),
                "{message}"
            );
            assert!(
                message.ends_with(&format!(
                    "The non-nullable type is '{ty}' within parent type '{parent}'"
                )),
                "{message}"
            );
            assert_eq!(
                error["extensions"],
                json!({"classification": "NullValueInNonNullableField"})
            );
            assert!(error.get("locations").is_none(), "{error}");
            // The null stops at the nearest parent the schema lets be null.
            let node_path: Vec<&str> = path[4..].iter().filter_map(Value::as_str).collect();
            match node_path.as_slice() {
                ["occupations", "category"] => {
                    assert_eq!(edges[index]["node"]["occupations"], Value::Null, "{error}");
                    assert!(edges[index]["node"]["id"].is_string());
                }
                ["skills", "prettyName"] => {
                    let skill = path[5].as_u64().expect("skill index") as usize;
                    assert_eq!(edges[index]["node"]["skills"][skill], Value::Null);
                    assert!(edges[index]["node"]["id"].is_string());
                }
                _ => {
                    assert_eq!(edges[index], Value::Null, "{error}");
                    null_edges.insert(index);
                }
            }
        }
        assert!(!null_edges.is_empty(), "some edges are null: {errors:?}");
        // Every other edge is there, in ground-truth order, with pageInfo and totalCount.
        let truth = sandbox.ground_truth(&json!({}), &[SortField::Recency]);
        for (i, edge) in edges.iter().enumerate() {
            if !null_edges.contains(&i) {
                assert_eq!(edge["node"]["id"].as_str(), Some(truth[i].as_str()));
                assert_eq!(edge["cursor"], i.to_string());
            }
        }
        assert_eq!(search(&body)["totalCount"], truth.len());
        assert_eq!(
            search(&body)["pageInfo"],
            json!({"endCursor": "60", "hasNextPage": true})
        );
        // The same postings break the same way on every request.
        assert_eq!(wide_page(&sandbox, 60).1, body);
        // Off, the same page has no errors.
        let (_, plain) = wide_page(&with(Realism::default()), 60);
        assert!(plain.get("errors").is_none(), "{plain}");
    }

    /// Every value in a node with its dotted path (list items by index: `skills.0.name`).
    fn leaves(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    leaves(&format!("{prefix}.{key}"), child, out);
                }
                out.push((prefix.to_owned(), value.clone()));
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    leaves(&format!("{prefix}.{i}"), child, out);
                }
                out.push((prefix.to_owned(), value.clone()));
            }
            _ => out.push((prefix.to_owned(), value.clone())),
        }
    }

    #[test]
    fn sparse_rate_nulls_nullable_fields_and_never_a_non_null_one() {
        let sparse = with(Realism {
            sparse_rate: 0.5,
            ..Realism::default()
        });
        let (status, body) = wide_page(&sparse, 50);
        assert_eq!(status, 200);
        assert!(
            body.get("errors").is_none(),
            "no non-null field was nulled: {body}"
        );
        assert_eq!(wide_page(&sparse, 50).1, body, "the same nulls every time");
        let (_, plain) = wide_page(&with(Realism::default()), 50);
        let non_null = [
            "id",
            "ciphertext",
            "title",
            "publishedDateTime",
            "totalApplicants",
            "applied",
            "premium",
            "amount",
            "amount.rawValue",
            "relevance",
            "relevance.id",
            "client",
            "client.totalHires",
            "client.totalPostedJobs",
            "client.totalReviews",
            "client.totalFeedback",
            "client.companyRid",
            "skills",
        ];
        let mut newly_null: HashSet<String> = HashSet::new();
        for (edge, plain_edge) in edges(&body).iter().zip(edges(&plain)) {
            let node = &edge["node"];
            assert_eq!(
                node["id"], plain_edge["node"]["id"],
                "same postings, same order"
            );
            assert_eq!(
                node["renewedDateTime"],
                plain_edge["node"]["renewedDateTime"]
            );
            for field in non_null {
                let pointer = format!("/{}", field.replace('.', "/"));
                assert!(
                    node.pointer(&pointer).is_some_and(|v| !v.is_null()),
                    "{field} is null in {node}"
                );
            }
            let mut was = Vec::new();
            leaves("", &plain_edge["node"], &mut was);
            for (path, value) in was {
                let now = node.pointer(&path.replace('.', "/"));
                if !value.is_null() && now.is_none_or(Value::is_null) {
                    let field: Vec<&str> = path
                        .trim_start_matches('.')
                        .split('.')
                        .map(|s| if s.parse::<usize>().is_ok() { "*" } else { s })
                        .collect();
                    newly_null.insert(field.join("."));
                }
            }
        }
        for expected in [
            "client.location.city",
            "client.totalSpent",
            "hourlyBudgetMin",
            "duration",
            "weeklyBudget",
        ] {
            assert!(newly_null.contains(expected), "{expected}: {newly_null:?}");
        }
        for field in non_null {
            assert!(!newly_null.contains(field), "{field} was nulled");
        }
    }

    #[test]
    fn renewals_to_top_brings_a_renewed_old_posting_above_newer_ones() {
        let sandbox = with(Realism {
            renewals_to_top: true,
            ..Realism::default()
        });
        let start = upwork_sandbox::node::timestamp(market_start());
        sandbox.advance(Duration::from_secs(2 * 3600));
        let (status, body) = wide_page(&sandbox, 100);
        assert_eq!(status, 200, "{body}");
        let nodes: Vec<&Value> = edges(&body).iter().map(|e| &e["node"]).collect();
        let listed = |n: &Value| {
            let listed = time(n, "publishedDateTime").max(time(n, "renewedDateTime"));
            listed.to_owned()
        };
        assert!(
            nodes.windows(2).all(|w| listed(w[0]) >= listed(w[1])),
            "RECENCY follows the later of published and renewed"
        );
        let jumped = nodes.iter().enumerate().any(|(i, n)| {
            time(n, "renewedDateTime") > start.as_str()
                && time(n, "publishedDateTime") < start.as_str()
                && nodes[i + 1..]
                    .iter()
                    .any(|later| time(later, "publishedDateTime") > start.as_str())
        });
        assert!(
            jumped,
            "a posting published before the start and renewed since sits above newer arrivals"
        );
        let truth = sandbox.ground_truth(&json!({}), &[SortField::Recency]);
        assert_eq!(
            page_ids(&body),
            truth[..100],
            "ground truth sorts as search serves"
        );
        // Off, the same market orders by publication only.
        let plain = with(Realism::default());
        plain.advance(Duration::from_secs(2 * 3600));
        let (_, body) = wide_page(&plain, 100);
        let nodes: Vec<&Value> = edges(&body).iter().map(|e| &e["node"]).collect();
        assert!(
            nodes
                .windows(2)
                .all(|w| time(w[0], "publishedDateTime") >= time(w[1], "publishedDateTime"))
        );
    }

    /// A timestamp field of a node as text, `""` when null: Upwork's timestamps are fixed-width
    /// UTC, so their text orders as their time.
    fn time<'v>(node: &'v Value, field: &str) -> &'v str {
        let text = node[field].as_str().unwrap_or_default();
        assert!(text.is_empty() || text.len() == 24, "{field}: {text}");
        text
    }

    fn search_without_after(sandbox: &Sandbox, after: Option<&str>) -> (u16, Value) {
        let mut pagination = json!({"first": 10});
        if let Some(after) = after {
            pagination["after"] = json!(after);
        }
        let vars = json!({"filter": {"pagination_eq": pagination}});
        graphql(sandbox, &token(sandbox), SEARCH, vars)
    }

    #[test]
    fn missing_after_in_the_500_form_is_an_http_500() {
        let sandbox = with(Realism {
            missing_after: MissingAfter::Http500,
            ..Realism::default()
        });
        for after in [None, Some("")] {
            assert_eq!(search_without_after(&sandbox, after).0, 500, "{after:?}");
        }
    }

    #[test]
    fn missing_after_in_the_errors_form_is_an_exception_occurred_entry() {
        let sandbox = with(Realism {
            missing_after: MissingAfter::ErrorsEntry,
            ..Realism::default()
        });
        for after in [None, Some("")] {
            let (status, body) = search_without_after(&sandbox, after);
            assert_eq!(status, 200, "{after:?}");
            assert_eq!(body["errors"].as_array().map(Vec::len), Some(1), "{body}");
            let error = &body["errors"][0];
            assert_eq!(error["message"], "Exception occurred");
            assert_eq!(error["path"], json!(["marketplaceJobPostingsSearch"]));
            assert_eq!(
                error["extensions"]["classification"],
                "DataFetchingException"
            );
            assert_eq!(body["data"], json!({"marketplaceJobPostingsSearch": null}));
        }
        let (status, body) = graphql(&sandbox, &token(&sandbox), SEARCH, json!({}));
        assert_eq!(
            (status, page_ids(&body).len()),
            (200, 10),
            "no pagination_eq still works"
        );
    }

    /// Every Money object of a node: `(rawValue, displayValue)`.
    fn money(node: &Value) -> Vec<(String, String)> {
        let client = &node["client"];
        [
            &node["amount"],
            &node["hourlyBudgetMin"],
            &node["hourlyBudgetMax"],
            &node["weeklyBudget"],
            &client["totalSpent"],
        ]
        .into_iter()
        .filter_map(|m| {
            Some((
                m["rawValue"].as_str()?.to_owned(),
                m["displayValue"].as_str()?.to_owned(),
            ))
        })
        .collect()
    }

    /// The test's own US-dollar formatting: `$1,234.50`.
    fn as_dollars(raw: &str) -> String {
        let cents = (raw.parse::<f64>().expect("numeric rawValue") * 100.0).round() as u64;
        let whole = (cents / 100).to_string();
        let mut groups: Vec<&str> = Vec::new();
        let mut end = whole.len();
        while end > 3 {
            groups.push(&whole[end - 3..end]);
            end -= 3;
        }
        groups.push(&whole[..end]);
        groups.reverse();
        format!("${}.{:02}", groups.join(","), cents % 100)
    }

    fn display_forms(display_value: DisplayValue) -> Vec<Vec<bool>> {
        let sandbox = with(Realism {
            display_value,
            ..Realism::default()
        });
        let (_, body) = wide_page(&sandbox, 40);
        assert_eq!(wide_page(&sandbox, 40).1, body, "the same forms every time");
        edges(&body)
            .iter()
            .map(|e| {
                money(&e["node"])
                    .into_iter()
                    .map(|(raw, display)| {
                        if display == raw {
                            false
                        } else {
                            assert_eq!(display, as_dollars(&raw));
                            true
                        }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn display_values_are_plain_currency_or_mixed_per_posting() {
        let plain = display_forms(DisplayValue::Plain);
        assert!(plain.iter().flatten().all(|currency| !currency));
        let currency = display_forms(DisplayValue::Currency);
        assert!(currency.iter().flatten().all(|currency| *currency));
        assert!(currency.iter().flatten().count() > 40, "{currency:?}");
        let mixed = display_forms(DisplayValue::Mixed);
        for posting in &mixed {
            assert!(
                posting.windows(2).all(|w| w[0] == w[1]),
                "one form per posting"
            );
        }
        let forms: HashSet<bool> = mixed.iter().flatten().copied().collect();
        assert_eq!(forms.len(), 2, "both forms occur: {mixed:?}");
    }

    fn verification_statuses(verification: VerificationForm) -> Vec<(String, Value)> {
        let sandbox = with(Realism {
            verification,
            ..Realism::default()
        });
        let (_, body) = wide_page(&sandbox, 100);
        edges(&body)
            .iter()
            .map(|e| {
                let node = &e["node"];
                let id = node["id"].as_str().unwrap_or_default().to_owned();
                (id, node["client"]["verificationStatus"].clone())
            })
            .collect()
    }

    #[test]
    fn verification_is_verified_or_null_when_asked() {
        let full = verification_statuses(VerificationForm::Enum);
        let short = verification_statuses(VerificationForm::VerifiedOrNull);
        assert!(
            full.iter()
                .any(|(_, s)| s.as_str().is_some_and(|s| s != "VERIFIED")),
            "the enum form has other statuses: {full:?}"
        );
        assert_eq!(full.len(), short.len());
        for ((id, status), (same_id, short_status)) in full.iter().zip(&short) {
            assert_eq!(id, same_id);
            let expected = if status == "VERIFIED" {
                json!("VERIFIED")
            } else {
                Value::Null
            };
            assert_eq!(*short_status, expected, "{id} was {status}");
        }
    }

    #[test]
    fn sandbox_help_lists_the_realism_flags() {
        let output = assert_cmd::Command::cargo_bin("upjobpilot")
            .expect("binary")
            .env_clear()
            .args(["sandbox", "--help"])
            .output()
            .expect("help runs");
        assert!(output.status.success());
        let help = String::from_utf8_lossy(&output.stdout);
        for flag in [
            "--null-rate <P>",
            "--sparse-rate <P>",
            "--renewals-to-top",
            "--missing-after <500|errors>",
            "--display-value <plain|currency|mixed>",
            "--verification <enum|verified-or-null>",
            "--refuse-batches",
        ] {
            assert!(help.contains(flag), "{flag} missing from:\n{help}");
        }
    }

    #[test]
    fn the_realism_flags_reach_the_config() {
        use clap::Parser as _;
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: upwork_sandbox::SandboxArgs,
        }
        let defaults = Cli::try_parse_from(["sandbox"]).expect("no flags");
        let config = defaults.args.to_config();
        assert_eq!(config.realism, Realism::default());
        let cli = Cli::try_parse_from([
            "sandbox",
            "--null-rate",
            "0.1",
            "--sparse-rate",
            "0.3",
            "--renewals-to-top",
            "--missing-after",
            "errors",
            "--display-value",
            "mixed",
            "--verification",
            "verified-or-null",
            "--refuse-batches",
        ])
        .expect("valid flags");
        let config = cli.args.to_config();
        assert_eq!(
            config.realism,
            Realism {
                null_rate: 0.1,
                sparse_rate: 0.3,
                renewals_to_top: true,
                missing_after: MissingAfter::ErrorsEntry,
                display_value: DisplayValue::Mixed,
                verification: VerificationForm::VerifiedOrNull,
                refuse_batches: true,
            }
        );
        for bad in [
            &["sandbox", "--null-rate", "1.5"][..],
            &["sandbox", "--missing-after", "502"],
            &["sandbox", "--display-value", "euro"],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }
}

/// `marketplaceJobPosting`'s activity for several postings per request, as the signals ask it.
const ACTIVITY: &str = "jobActivity { lastClientActivity invitesSent totalInvitedToInterview totalHired totalUnansweredInvites totalOffered totalRecommended }";

fn activity_query(ids: &[&str]) -> String {
    let aliases: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            format!("a{i}: marketplaceJobPosting(id: \"{id}\") {{ id workFlowState {{ status }} activityStat {{ {ACTIVITY} }} }}")
        })
        .collect();
    format!("query Activity {{ {} }}", aliases.join("\n  "))
}

/// The figures a `jobActivity` object carries, in a fixed order.
fn figures(job: &Value) -> [i64; 5] {
    let a = &job["activityStat"]["jobActivity"];
    [
        "invitesSent",
        "totalInvitedToInterview",
        "totalOffered",
        "totalHired",
        "totalUnansweredInvites",
    ]
    .map(|name| a[name].as_i64().unwrap_or(-1))
}

#[test]
fn job_activity_grows_over_http_until_a_hire_closes_the_posting_and_the_log_counts_postings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log_path = dir.path().join("sandbox.jsonl");
    let sandbox = start(SandboxConfig {
        request_log: Some(log_path.clone()),
        ..config()
    });
    let ids = sandbox.ground_truth(&json!({}), &[SortField::Recency]);
    let (watched, closed) = (ids[0].clone(), ids[1].clone());
    sandbox.with_market(|m| {
        assert!(m.add_applicants(&watched, 5));
        assert!(m.close_id(&closed));
    });
    let query = activity_query(&[&watched, &closed, "1"]);
    let mut history: Vec<[i64; 5]> = Vec::new();
    let mut last_active: Vec<String> = Vec::new();
    for _ in 0..8 {
        // A fresh token each time: access tokens live a day.
        let (status, body) = graphql(&sandbox, &token(&sandbox), &query, json!({}));
        assert_eq!(status, 200, "{body}");
        let job = &body["data"]["a0"];
        assert_eq!(job["workFlowState"]["status"], "ACTIVE");
        let truth = sandbox
            .with_market(|m| m.job_activity(&watched))
            .expect("the posting exists");
        let shown = figures(job);
        assert_eq!(
            shown,
            [
                truth.invites_sent,
                truth.invited_to_interview,
                truth.offered,
                truth.hired,
                truth.unanswered_invites
            ]
            .map(i64::from),
            "{body}"
        );
        assert!(
            shown[4] <= shown[0] && shown[1] <= 5 && shown[2] <= 5,
            "{body}"
        );
        assert_eq!(
            job["activityStat"]["jobActivity"]["lastClientActivity"],
            truth
                .last_client_activity
                .format("%Y-%m-%dT%H:%M:%S+0000")
                .to_string()
        );
        // The closed posting is answered, the unknown id fails alone.
        assert_eq!(body["data"]["a1"]["workFlowState"]["status"], "CLOSED");
        assert_eq!(body["data"]["a2"], Value::Null);
        assert_eq!(body["errors"].as_array().map(Vec::len), Some(1), "{body}");
        assert_eq!(body["errors"][0]["path"], json!(["a2"]));
        history.push(shown);
        last_active.push(
            job["activityStat"]["jobActivity"]["lastClientActivity"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
        sandbox.advance(Duration::from_secs(12 * 3600));
    }
    for pair in history.windows(2) {
        let growing = pair[0].iter().zip(&pair[1]).take(4);
        assert!(
            growing.into_iter().all(|(a, b)| a <= b),
            "figures only grow: {history:?}"
        );
    }
    assert!(
        last_active.windows(2).all(|w| w[0] <= w[1]),
        "{last_active:?}"
    );
    assert!(
        history.first() != history.last(),
        "the activity moved in four days: {history:?}"
    );

    // A hire closes the posting: CLOSED, one hire, an offer, the client active then.
    let hired_at = sandbox.now();
    assert!(sandbox.with_market(|m| m.hire_id(&watched)));
    sandbox.advance(Duration::from_secs(3600));
    let (_, body) = graphql(
        &sandbox,
        &token(&sandbox),
        &activity_query(&[&watched]),
        json!({}),
    );
    let job = &body["data"]["a0"];
    assert_eq!(job["workFlowState"]["status"], "CLOSED", "{body}");
    assert_eq!(job["activityStat"]["jobActivity"]["totalHired"], 1);
    assert!(job["activityStat"]["jobActivity"]["totalOffered"].as_i64() >= Some(1));
    assert_eq!(
        job["activityStat"]["jobActivity"]["lastClientActivity"],
        hired_at.format("%Y-%m-%dT%H:%M:%S+0000").to_string()
    );

    // The request log shows every detail request and how many postings it asked.
    let lines: Vec<Value> = std::fs::read_to_string(&log_path)
        .expect("request log written")
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object a line"))
        .collect();
    let asked: Vec<(i64, Value)> = lines
        .iter()
        .filter(|r| r["operation"] == "Activity")
        .map(|r| {
            (
                r["postings_requested"].as_i64().unwrap_or(-1),
                r["root_fields"].clone(),
            )
        })
        .collect();
    assert_eq!(asked.len(), 9);
    assert!(asked[..8].iter().all(|(n, fields)| *n == 3
        && *fields
            == json!([
                "marketplaceJobPosting",
                "marketplaceJobPosting",
                "marketplaceJobPosting"
            ])));
    assert_eq!(asked[8].0, 1);
    let stats = sandbox.stats();
    assert_eq!((stats.detail_requests, stats.postings_requested), (9, 25));
}

#[test]
fn a_key_with_only_job_posting_scopes_gets_activity_but_not_bid_statistics() {
    let jobs_only = ClientSpec {
        id: "jobs-only".to_owned(),
        scopes: vec![Scope::JobPostingsRead, Scope::CommonRead],
        ..ClientSpec::default()
    };
    let sandbox = start(SandboxConfig {
        clients: vec![ClientSpec::default(), jobs_only.clone()],
        ..config()
    });
    let ids = sandbox.ground_truth(&json!({}), &[SortField::Recency]);
    let limited = sandbox.mint_token(&jobs_only.id).access_token;
    let (status, body) = graphql(
        &sandbox,
        &limited,
        &activity_query(&[&ids[0], &ids[1]]),
        json!({}),
    );
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{body}");
    assert!(body["data"]["a1"]["activityStat"]["jobActivity"]["invitesSent"].is_i64());

    let with_bids = format!(
        "{{ a0: marketplaceJobPosting(id: \"{}\") {{ activityStat {{ {ACTIVITY} }} }}
  a1: marketplaceJobPosting(id: \"{}\") {{ activityStat {{ applicationsBidStats {{ avgRateBid {{ rawValue }} }} }} }} }}",
        ids[0], ids[1]
    );
    let response =
        post_graphql(&http(), &sandbox, &limited, &with_bids, json!({})).expect("graphql answered");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.text().expect("body"),
        r#"{"errors":[{"message":"The client or authentication token doesn't have enough oauth2 permissions/scopes to access: [MarketplacePostingActivityStat.applicationsBidStats, ApplicationsBidStats.avgRateBid, Money.rawValue].","extensions":{"classification":"ExecutionAborted"}}]}"#
    );
    let (_, body) = graphql(&sandbox, &token(&sandbox), &with_bids, json!({}));
    assert!(
        body.get("errors").is_none(),
        "the default key has every scope: {body}"
    );
    assert!(body["data"]["a0"]["activityStat"]["jobActivity"]["totalHired"].is_i64());
}
