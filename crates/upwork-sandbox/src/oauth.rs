//! Upwork's OAuth2 server, in memory: the authorize endpoint, the token endpoint, and the tokens.
//!
//! The rules follow `shared/upwork/API.md` and RFC 6749: the authorize endpoint approves at once
//! but only redirects to the exact URI registered for the client (anything else gets an error page,
//! never a redirect, which is what makes open redirects impossible); codes are single-use and
//! short-lived, and replaying one revokes what it issued; refresh rotates (the old refresh token is
//! cut to a grace period); client credentials are for enterprise keys only. Lifetimes are measured
//! on the sandbox clock, so a test expires a token by advancing time. Nothing here does I/O: the
//! server hands in parsed requests and sends back what this module returns.

use crate::config::{ClientSpec, Scope};
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

/// Tokens as the token endpoint issues them; `Debug` leaves the tokens out.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenPair {
    /// `oauth2v2_` + 32 hex.
    pub access_token: String,
    /// `oauth2v2_` + 32 hex.
    pub refresh_token: String,
    /// Seconds the access token lives.
    pub expires_in: u64,
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("access_token", &"[redacted]")
            .field("refresh_token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// Lifetimes of what the server issues.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lifetimes {
    pub(crate) access: Duration,
    pub(crate) refresh: Duration,
    pub(crate) refresh_grace: Duration,
    pub(crate) code: Duration,
}

/// A valid access token's owner.
#[derive(Debug, Clone)]
pub(crate) struct Granted {
    pub(crate) client_id: String,
    pub(crate) scopes: Vec<Scope>,
}

/// What the authorize endpoint answers (no `Debug`: the redirect carries a code).
pub(crate) enum AuthorizeReply {
    /// HTTP 302 to this URL.
    Redirect(String),
    /// HTTP 400 with an HTML page saying this; never a redirect.
    ErrorPage(String),
}

/// What the token endpoint answers (no `Debug`: the body carries tokens).
pub(crate) struct TokenReply {
    pub(crate) status: u16,
    /// JSON body: tokens or an RFC 6749 error.
    pub(crate) body: String,
    /// The client the request named, for the log.
    pub(crate) client_id: Option<String>,
    /// Send `WWW-Authenticate: Basic` (a 401 to a client that used Basic auth).
    pub(crate) basic_challenge: bool,
}

struct Code {
    client_id: String,
    redirect_uri: String,
    expires: DateTime<Utc>,
    used: bool,
}

struct Token {
    client_id: String,
    expires: DateTime<Utc>,
    revoked: bool,
    /// The authorization code this token descends from, to revoke it if that code is replayed.
    code: Option<String>,
}

#[derive(Serialize)]
struct TokenBody<'a> {
    access_token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    token_type: &'static str,
    expires_in: u64,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'static str,
    error_description: &'a str,
}

/// The authorization server's state (no `Debug`: it is made of secrets).
pub(crate) struct OAuth {
    clients: Vec<ClientSpec>,
    lifetimes: Lifetimes,
    codes: HashMap<String, Code>,
    access: HashMap<String, Token>,
    refresh: HashMap<String, Token>,
}

const REFRESH_DEAD: &str = "Refresh token is expired or revoked or not registered";
const CODE_DEAD: &str = "Authorization code is expired or revoked or not registered";

impl OAuth {
    pub(crate) fn new(clients: Vec<ClientSpec>, lifetimes: Lifetimes) -> Self {
        OAuth {
            clients,
            lifetimes,
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
        }
    }

    fn client(&self, id: &str) -> Option<&ClientSpec> {
        self.clients.iter().find(|c| c.id == id)
    }

    /// `GET /ab/account-security/oauth2/authorize?…`, given the raw query string.
    pub(crate) fn authorize(&mut self, query: &str, now: DateTime<Utc>) -> AuthorizeReply {
        let params: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let Some(client) = params.get("client_id").and_then(|id| self.client(id)) else {
            return AuthorizeReply::ErrorPage(
                "The client_id is missing or is not a registered API key.".to_owned(),
            );
        };
        let (client_id, redirect_uri) = (client.id.clone(), client.redirect_uri.clone());
        if params.get("redirect_uri") != Some(&redirect_uri) {
            return AuthorizeReply::ErrorPage(
                "The redirect_uri does not match the callback URL registered for this API key."
                    .to_owned(),
            );
        }
        let Ok(mut target) = url::Url::parse(&redirect_uri) else {
            return AuthorizeReply::ErrorPage(
                "The callback URL registered for this API key is not a valid URL.".to_owned(),
            );
        };
        if params.get("response_type").map(String::as_str) == Some("code") {
            let code = format!("{:032x}", rand::rng().random::<u128>());
            target.query_pairs_mut().append_pair("code", &code);
            self.codes.insert(
                code,
                Code {
                    client_id,
                    redirect_uri,
                    expires: add(now, self.lifetimes.code),
                    used: false,
                },
            );
        } else {
            target
                .query_pairs_mut()
                .append_pair("error", "unsupported_response_type");
        }
        if let Some(state) = params.get("state") {
            target.query_pairs_mut().append_pair("state", state);
        }
        AuthorizeReply::Redirect(target.into())
    }

    /// `POST /api/v3/oauth2/token`, given HTTP Basic credentials (if sent) and the form fields.
    pub(crate) fn token(
        &mut self,
        basic: Option<(String, String)>,
        form: &[(String, String)],
        now: DateTime<Utc>,
    ) -> TokenReply {
        let field = |name: &str| {
            form.iter()
                .find(|(k, v)| k == name && !v.is_empty())
                .map(|(_, v)| v.as_str())
        };
        let used_basic = basic.is_some();
        let (client_id, secret) = match &basic {
            Some((id, secret)) => (Some(id.as_str()), Some(secret.as_str())),
            None => (field("client_id"), field("client_secret")),
        };
        let reply = |status: u16, body: String, basic_challenge: bool| TokenReply {
            status,
            body,
            client_id: client_id.map(str::to_owned),
            basic_challenge,
        };
        let error = |status: u16, code: &'static str, description: &str| {
            reply(
                status,
                error_json(code, description),
                status == 401 && used_basic,
            )
        };
        let mut missing = Vec::new();
        if client_id.is_none() {
            missing.push("client_id");
        }
        if field("grant_type").is_none() {
            missing.push("grant_type");
        }
        if !missing.is_empty() {
            let description = format!("Missing parameters: {}", missing.join(", "));
            return error(400, "invalid_request", &description);
        }
        let client_id = client_id.unwrap_or_default();
        if used_basic && field("client_id").is_some_and(|form_id| form_id != client_id) {
            return error(
                400,
                "invalid_request",
                "client_id in the form does not match HTTP Basic authentication",
            );
        }
        let Some(client) = self.client(client_id).cloned() else {
            return error(401, "invalid_client", "Client authentication failed");
        };
        if secret != Some(client.secret.as_str()) {
            return error(401, "invalid_client", "Client authentication failed");
        }
        match field("grant_type").unwrap_or_default() {
            "authorization_code" => {
                let mut missing = Vec::new();
                if field("code").is_none() {
                    missing.push("code");
                }
                if field("redirect_uri").is_none() {
                    missing.push("redirect_uri");
                }
                if !missing.is_empty() {
                    let description = format!("Missing parameters: {}", missing.join(", "));
                    return error(400, "invalid_request", &description);
                }
                let code_text = field("code").unwrap_or_default();
                let Some(code) = self.codes.get_mut(code_text) else {
                    return error(400, "invalid_grant", CODE_DEAD);
                };
                if code.client_id != client.id || now >= code.expires {
                    return error(400, "invalid_grant", CODE_DEAD);
                }
                if code.used {
                    self.revoke_descendants(code_text);
                    return error(400, "invalid_grant", CODE_DEAD);
                }
                if field("redirect_uri") != Some(code.redirect_uri.as_str()) {
                    return error(
                        400,
                        "invalid_grant",
                        "redirect_uri does not match the one of the authorization request",
                    );
                }
                code.used = true;
                let pair = self.issue(&client.id, now, Some(code_text.to_owned()), true);
                reply(200, pair_json(&pair, true), false)
            }
            "refresh_token" => {
                let Some(old_text) = field("refresh_token") else {
                    return error(400, "invalid_request", "Missing parameters: refresh_token");
                };
                // Upwork answers a refresh that names the client only in an HTTP Basic header as
                // if it were not named at all (node-upwork-oauth2 issue 29); its code exchange
                // takes Basic.
                if used_basic && field("client_id").is_none() {
                    return error(400, "invalid_request", "Missing parameters: client_id");
                }
                let grace_end = add(now, self.lifetimes.refresh_grace);
                let Some(old) = self.refresh.get_mut(old_text) else {
                    return error(400, "invalid_grant", REFRESH_DEAD);
                };
                if old.client_id != client.id || old.revoked || now >= old.expires {
                    return error(400, "invalid_grant", REFRESH_DEAD);
                }
                old.expires = old.expires.min(grace_end);
                let code = old.code.clone();
                let pair = self.issue(&client.id, now, code, true);
                reply(200, pair_json(&pair, true), false)
            }
            "client_credentials" => {
                if !client.enterprise {
                    return error(
                        400,
                        "unauthorized_client",
                        "The client is not authorized to use this grant type",
                    );
                }
                let pair = self.issue(&client.id, now, None, false);
                reply(200, pair_json(&pair, false), false)
            }
            other => {
                let description = format!("Unsupported grant type: {other}");
                error(400, "unsupported_grant_type", &description)
            }
        }
    }

    /// Issues an access token (and a refresh token when `with_refresh`).
    fn issue(
        &mut self,
        client_id: &str,
        now: DateTime<Utc>,
        code: Option<String>,
        with_refresh: bool,
    ) -> TokenPair {
        let access_token = new_token();
        self.access.insert(
            access_token.clone(),
            Token {
                client_id: client_id.to_owned(),
                expires: add(now, self.lifetimes.access),
                revoked: false,
                code: code.clone(),
            },
        );
        let refresh_token = if with_refresh {
            let token = new_token();
            self.refresh.insert(
                token.clone(),
                Token {
                    client_id: client_id.to_owned(),
                    expires: add(now, self.lifetimes.refresh),
                    revoked: false,
                    code,
                },
            );
            token
        } else {
            String::new()
        };
        TokenPair {
            access_token,
            refresh_token,
            expires_in: self.lifetimes.access.as_secs(),
        }
    }

    fn revoke_descendants(&mut self, code: &str) {
        for token in self.access.values_mut().chain(self.refresh.values_mut()) {
            if token.code.as_deref() == Some(code) {
                token.revoked = true;
            }
        }
    }

    /// The owner of a live access token.
    pub(crate) fn check_access(&self, token: &str, now: DateTime<Utc>) -> Option<Granted> {
        let access = self.access.get(token)?;
        if access.revoked || now >= access.expires {
            return None;
        }
        let scopes = self
            .client(&access.client_id)
            .map(|c| c.scopes.clone())
            .unwrap_or_default();
        Some(Granted {
            client_id: access.client_id.clone(),
            scopes,
        })
    }

    /// Kills one access token now: revoked, or expired at `now`.
    pub(crate) fn kill_access(&mut self, token: &str, now: DateTime<Utc>, revoke: bool) {
        if let Some(access) = self.access.get_mut(token) {
            if revoke {
                access.revoked = true;
            } else {
                access.expires = access.expires.min(now);
            }
        }
    }

    /// Issues a token pair directly (tests skip the browser dance).
    pub(crate) fn mint(&mut self, client_id: &str, now: DateTime<Utc>) -> TokenPair {
        self.issue(client_id, now, None, true)
    }

    /// Every token and code dies.
    pub(crate) fn revoke_all(&mut self) {
        for token in self.access.values_mut().chain(self.refresh.values_mut()) {
            token.revoked = true;
        }
        for code in self.codes.values_mut() {
            code.used = true;
        }
    }
}

fn new_token() -> String {
    format!("oauth2v2_{:032x}", rand::rng().random::<u128>())
}

fn add(now: DateTime<Utc>, lifetime: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(lifetime)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn pair_json(pair: &TokenPair, with_refresh: bool) -> String {
    serde_json::to_string(&TokenBody {
        access_token: &pair.access_token,
        refresh_token: with_refresh.then_some(pair.refresh_token.as_str()),
        token_type: "Bearer",
        expires_in: pair.expires_in,
    })
    .unwrap_or_default()
}

fn error_json(error: &'static str, description: &str) -> String {
    serde_json::to_string(&ErrorBody {
        error,
        error_description: description,
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_a_token() {
        let pair = TokenPair {
            access_token: "oauth2v2_access".to_owned(),
            refresh_token: "oauth2v2_refresh".to_owned(),
            expires_in: 1,
        };
        let printed = format!("{pair:?}");
        for secret in [&pair.access_token, &pair.refresh_token] {
            assert!(!printed.contains(secret.as_str()), "{printed}");
        }
    }

    fn server() -> OAuth {
        OAuth::new(
            vec![ClientSpec::default()],
            Lifetimes {
                access: Duration::from_secs(60),
                refresh: Duration::from_secs(3600),
                refresh_grace: Duration::from_secs(10),
                code: Duration::from_secs(30),
            },
        )
    }

    fn now() -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_760_594_400, 0).unwrap_or_default()
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn tokens_have_the_documented_format() {
        let pair = server().mint("sandbox-client", now());
        for token in [&pair.access_token, &pair.refresh_token] {
            let hex = token.strip_prefix("oauth2v2_").unwrap_or_default();
            assert_eq!(hex.len(), 32);
            assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
        }
    }

    #[test]
    fn refresh_rotation_keeps_the_old_token_for_the_grace_only() {
        let mut oauth = server();
        let pair = oauth.mint("sandbox-client", now());
        let refresh = form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &pair.refresh_token),
            ("client_id", "sandbox-client"),
            ("client_secret", "sandbox-secret"),
        ]);
        assert_eq!(oauth.token(None, &refresh, now()).status, 200);
        let later = now() + chrono::Duration::seconds(5);
        assert_eq!(oauth.token(None, &refresh, later).status, 200);
        let too_late = now() + chrono::Duration::seconds(11);
        let reply = oauth.token(None, &refresh, too_late);
        assert_eq!(reply.status, 400);
        assert!(reply.body.contains(REFRESH_DEAD));
    }
}
