//! Requests to the token endpoint: code exchange, refresh and client credentials.
//!
//! The `oauth2` crate builds the requests and parses the answers; this module adds what it leaves
//! to us: one reqwest client with redirects off (a token request must never be replayed to another
//! host), retries with backoff on network failures, 5xx and 429, a classification of OAuth errors
//! into [`AuthError`] variants a person can act on, and the conversion into [`Tokens`].
//!
//! Every grant authenticates the client with `client_id` and `client_secret` as form fields
//! (RFC 6749 2.3.1 allows it): Upwork answers a refresh that sends them only in an HTTP Basic
//! header with 400 "Missing parameters: client_id" (node-upwork-oauth2 issue 29), and its
//! documentation lists them as form fields for every grant.

use super::error::AuthError;
use super::error::printable;
use super::tokens::{Grant, OAuthSettings, Tokens};
use crate::secret::Secret;
use chrono::{DateTime, TimeDelta, Utc};
use oauth2::basic::{BasicClient, BasicErrorResponse, BasicErrorResponseType, BasicTokenResponse};
use oauth2::reqwest;
use oauth2::{
    AsyncHttpClient, AuthType, AuthorizationCode, ClientId, ClientSecret, HttpRequest,
    HttpResponse, RedirectUrl, RefreshToken, RequestTokenError, TokenResponse, TokenUrl,
};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// Attempts per token request when the endpoint cannot be reached or answers 5xx/429.
const ATTEMPTS: u32 = 4;
/// First backoff delay; doubled per attempt, with jitter.
const BACKOFF: Duration = Duration::from_millis(250);
/// Assumed access-token lifetime when the response omits `expires_in` (Upwork sends 86400; an
/// hour is the conservative guess: renewing early costs one request, renewing late a failed sync).
const DEFAULT_LIFETIME: TimeDelta = TimeDelta::hours(1);

/// A reqwest client for the token endpoint: no redirects, the settings' timeout and user agent.
pub(crate) fn http_client(settings: &OAuthSettings) -> Result<reqwest::Client, AuthError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.timeout)
        .user_agent(settings.user_agent.clone())
        .build()
        .map_err(|e| AuthError::Http {
            url: settings.token_url.clone(),
            reason: error_chain(&e.without_url()),
            status: None,
        })
}

/// Asks for tokens with the client credentials grant (enterprise keys only).
#[tracing::instrument(skip_all, fields(stage = "auth", client_id = %settings.client_id))]
pub async fn client_credentials(settings: &OAuthSettings) -> Result<Tokens, AuthError> {
    let http = http_client(settings)?;
    request_client_credentials(&http, settings).await
}

/// [`client_credentials`] with a client that already exists (renewals reuse theirs).
pub(crate) async fn request_client_credentials(
    http: &reqwest::Client,
    settings: &OAuthSettings,
) -> Result<Tokens, AuthError> {
    let client = BasicClient::new(ClientId::new(settings.client_id.clone()))
        .set_client_secret(client_secret(&settings.client_secret))
        .set_token_uri(token_url(settings)?)
        .set_auth_type(AuthType::RequestBody);
    let send = Http(http.clone());
    let issued_at = Utc::now();
    let response = retrying(settings, || {
        client.exchange_client_credentials().request_async(&send)
    })
    .await
    .map_err(|e| match e {
        AuthError::TokenEndpoint { error, .. } if error == "unauthorized_client" => {
            AuthError::NotEnterprise {
                client_id: settings.client_id.clone(),
            }
        }
        other => other,
    })?;
    let tokens = into_tokens(
        settings,
        &response,
        None,
        Grant::ClientCredentials,
        issued_at,
    )?;
    tracing::info!(
        stage = "auth",
        expires_at = %tokens.expires_at,
        "obtained tokens with client credentials"
    );
    Ok(tokens)
}

/// Exchanges an authorization code for tokens (no retries: a code is single use, so a retry after
/// a lost response could only fail with `invalid_grant` and hide the real error).
pub(crate) async fn exchange_code(
    http: &reqwest::Client,
    settings: &OAuthSettings,
    code: Secret,
) -> Result<Tokens, AuthError> {
    let redirect =
        RedirectUrl::new(settings.redirect_uri.clone()).map_err(|e| AuthError::InvalidUrl {
            name: "redirect_uri",
            value: settings.redirect_uri.clone(),
            reason: e.to_string(),
        })?;
    let client = BasicClient::new(ClientId::new(settings.client_id.clone()))
        .set_client_secret(client_secret(&settings.client_secret))
        .set_token_uri(token_url(settings)?)
        .set_redirect_uri(redirect)
        .set_auth_type(AuthType::RequestBody);
    let send = Http(http.clone());
    let issued_at = Utc::now();
    let response = client
        .exchange_code(AuthorizationCode::new(code.expose().to_owned()))
        .request_async(&send)
        .await
        .map_err(|e| match classify(settings, e).into_error() {
            // For a code, `invalid_grant` means this code was refused (used, expired, or issued
            // for another redirect URI), not that a stored sign-in expired.
            AuthError::SignInExpired => AuthError::Denied {
                error: "invalid_grant".into(),
                description: Some("the authorization code was refused".into()),
            },
            other => other,
        })?;
    into_tokens(
        settings,
        &response,
        None,
        Grant::AuthorizationCode,
        issued_at,
    )
}

/// Renews `current` with its refresh token, or with the key itself for client credentials.
pub(crate) async fn renew(
    http: &reqwest::Client,
    settings: &OAuthSettings,
    current: &Tokens,
) -> Result<Tokens, AuthError> {
    match current.grant {
        Grant::ClientCredentials => request_client_credentials(http, settings).await,
        Grant::AuthorizationCode => {
            let Some(refresh_token) = &current.refresh_token else {
                return Err(AuthError::SignInExpired);
            };
            let client = BasicClient::new(ClientId::new(settings.client_id.clone()))
                .set_client_secret(client_secret(&settings.client_secret))
                .set_token_uri(token_url(settings)?)
                .set_auth_type(AuthType::RequestBody);
            let refresh_token_value = RefreshToken::new(refresh_token.expose().to_owned());
            let send = Http(http.clone());
            let issued_at = Utc::now();
            let response = retrying(settings, || {
                client
                    .exchange_refresh_token(&refresh_token_value)
                    .request_async(&send)
            })
            .await?;
            into_tokens(
                settings,
                &response,
                Some(refresh_token),
                Grant::AuthorizationCode,
                issued_at,
            )
        }
    }
}

fn client_secret(secret: &Secret) -> ClientSecret {
    ClientSecret::new(secret.expose().to_owned())
}

fn token_url(settings: &OAuthSettings) -> Result<TokenUrl, AuthError> {
    TokenUrl::new(settings.token_url.clone()).map_err(|e| AuthError::InvalidUrl {
        name: "token_url",
        value: settings.token_url.clone(),
        reason: e.to_string(),
    })
}

/// Builds [`Tokens`] from a token response; `previous_refresh` is kept when the server sends no
/// new refresh token.
fn into_tokens(
    settings: &OAuthSettings,
    response: &BasicTokenResponse,
    previous_refresh: Option<&Secret>,
    grant: Grant,
    issued_at: DateTime<Utc>,
) -> Result<Tokens, AuthError> {
    let access_token = response.access_token().secret();
    if access_token.is_empty() {
        return Err(AuthError::BadResponse {
            url: settings.token_url.clone(),
            reason: "empty access_token".into(),
        });
    }
    let lifetime = response
        .expires_in()
        .and_then(|d| TimeDelta::from_std(d).ok())
        .unwrap_or(DEFAULT_LIFETIME);
    let refresh_token = response
        .refresh_token()
        .map(|t| Secret::new(t.secret().clone()))
        .filter(|t| !t.expose().is_empty())
        .or_else(|| previous_refresh.cloned());
    let expires_at =
        issued_at
            .checked_add_signed(lifetime)
            .ok_or_else(|| AuthError::BadResponse {
                url: settings.token_url.clone(),
                reason: "expires_in out of range".into(),
            })?;
    Ok(Tokens {
        access_token: Secret::new(access_token.clone()),
        refresh_token,
        expires_at,
        client_id: settings.client_id.clone(),
        client_secret: Some(settings.client_secret.clone()),
        grant,
        saved_at: issued_at,
    })
}

/// Why a single HTTP exchange with the token endpoint failed before OAuth parsing.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Transport {
    /// Connect, TLS, timeout or body read failure.
    #[error("{}", error_chain(.0))]
    Network(reqwest::Error),
    /// A status that carries no OAuth error: 5xx, 429, or a 4xx with a non-OAuth body.
    #[error("HTTP {0}")]
    Status(reqwest::StatusCode),
    /// A body past [`crate::http::MAX_TOKEN_BODY`]: not a token response.
    #[error("{0}")]
    TooLarge(String),
}

/// The HTTP client handed to the `oauth2` crate. A named type with a boxed `Send` future rather
/// than a closure: with a closure the compiler cannot prove the token request future `Send` for
/// every lifetime, and fetch tasks renew tokens from `tokio::spawn`ed tasks.
struct Http(reqwest::Client);

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = Transport;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Transport>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(send(&self.0, request))
    }
}

/// Sends one token request. Statuses that are not an OAuth answer are turned into
/// [`Transport::Status`] here, while the status is still known, so they can be retried.
async fn send(http: &reqwest::Client, request: HttpRequest) -> Result<HttpResponse, Transport> {
    let request = reqwest::Request::try_from(request).map_err(Transport::Network)?;
    let response = http.execute(request).await.map_err(Transport::Network)?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = crate::http::read_body(response, crate::http::MAX_TOKEN_BODY)
        .await
        .map_err(|e| match e {
            crate::http::BodyError::Read(e) => Transport::Network(e),
            too_large => Transport::TooLarge(too_large.to_string()),
        })?;
    if status.is_server_error()
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        || (!status.is_success() && !is_oauth_error(&body))
    {
        return Err(Transport::Status(status));
    }
    let mut converted = HttpResponse::new(body);
    *converted.status_mut() = status;
    *converted.headers_mut() = headers;
    Ok(converted)
}

fn is_oauth_error(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .is_some_and(|v| v.get("error").is_some_and(|e| e.is_string()))
}

/// A failed attempt, and whether trying again may help.
enum Failure {
    Transient(AuthError),
    Final(AuthError),
}

impl Failure {
    fn into_error(self) -> AuthError {
        match self {
            Failure::Transient(e) | Failure::Final(e) => e,
        }
    }
}

fn classify(
    settings: &OAuthSettings,
    error: RequestTokenError<Transport, BasicErrorResponse>,
) -> Failure {
    let url = settings.token_url.clone();
    match error {
        RequestTokenError::ServerResponse(response) => {
            let description = response.error_description().map(|d| printable(d));
            match response.error() {
                BasicErrorResponseType::InvalidGrant => Failure::Final(AuthError::SignInExpired),
                BasicErrorResponseType::InvalidClient => Failure::Final(AuthError::InvalidClient {
                    client_id: settings.client_id.clone(),
                }),
                BasicErrorResponseType::Extension(code)
                    if code == "server_error" || code == "temporarily_unavailable" =>
                {
                    Failure::Transient(AuthError::TokenEndpoint {
                        url,
                        error: printable(code),
                        description,
                    })
                }
                other => Failure::Final(AuthError::TokenEndpoint {
                    url,
                    error: printable(other.as_ref()),
                    description,
                }),
            }
        }
        RequestTokenError::Request(Transport::Status(status)) => {
            let transient =
                status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
            let error = AuthError::Http {
                url,
                reason: format!("HTTP {status}"),
                status: Some(status.as_u16()),
            };
            if transient {
                Failure::Transient(error)
            } else {
                Failure::Final(error)
            }
        }
        RequestTokenError::Request(Transport::TooLarge(reason)) => {
            Failure::Final(AuthError::BadResponse { url, reason })
        }
        RequestTokenError::Request(Transport::Network(e)) => {
            // The URL is already in the message; reqwest would repeat it.
            let e = e.without_url();
            let status = e.status().map(|s| s.as_u16());
            let error = AuthError::Http {
                url,
                reason: error_chain(&e),
                status,
            };
            if e.is_builder() {
                Failure::Final(error)
            } else {
                Failure::Transient(error)
            }
        }
        // A 200 whose body is cut off or not a token response. Retrying is right even for a
        // refresh: the old refresh token stays valid for 24 hours after a rotation we never saw.
        // The body is never quoted: it may hold tokens.
        RequestTokenError::Parse(e, _body) => {
            let reason = match e.inner().classify() {
                serde_json::error::Category::Data => {
                    format!("missing or malformed field `{}`", e.path())
                }
                _ => "not a JSON token response".to_owned(),
            };
            Failure::Transient(AuthError::BadResponse { url, reason })
        }
        RequestTokenError::Other(reason) => Failure::Transient(AuthError::BadResponse {
            url,
            reason: printable(&reason),
        }),
    }
}

/// Runs `attempt` until it succeeds, fails for good, or [`ATTEMPTS`] transient failures.
async fn retrying<F, Fut>(
    settings: &OAuthSettings,
    mut attempt: F,
) -> Result<BasicTokenResponse, AuthError>
where
    F: FnMut() -> Fut,
    Fut: Future<
        Output = Result<BasicTokenResponse, RequestTokenError<Transport, BasicErrorResponse>>,
    >,
{
    let mut delay = BACKOFF;
    let mut n = 1;
    loop {
        let error = match attempt().await {
            Ok(response) => return Ok(response),
            Err(e) => match classify(settings, e) {
                Failure::Final(error) => return Err(error),
                Failure::Transient(error) if n >= ATTEMPTS => return Err(error),
                Failure::Transient(error) => error,
            },
        };
        let jittered = delay.mul_f64(rand::random_range(0.5..1.5));
        tracing::warn!(
            stage = "auth",
            attempt = n,
            error = %error,
            retry_in_ms = u64::try_from(jittered.as_millis()).unwrap_or(u64::MAX),
            "token request failed, retrying"
        );
        tokio::time::sleep(jittered).await;
        delay *= 2;
        n += 1;
    }
}

/// `error: cause: cause`, the way `main` prints chains, for errors kept as strings.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_errors_are_told_apart_from_other_bodies() {
        assert!(is_oauth_error(br#"{"error":"invalid_grant"}"#));
        assert!(!is_oauth_error(b"<html>bad gateway</html>"));
        assert!(!is_oauth_error(br#"{"message":"nope"}"#));
    }
}
