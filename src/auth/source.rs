//! The access token shared by a sync's concurrent fetch tasks.
//!
//! One [`TokenSource`] per run. Renewals are single-flight: the tokens sit behind one async mutex
//! that is held across the token request, so when several tasks find the token expiring (or get
//! a 401 with the same token) exactly one refresh happens and the rest wait for its result.
//! Upwork rotates the refresh token on every refresh, so the new tokens are written to the store
//! before anyone uses them: a run that dies right after a refresh must not leave behind a refresh
//! token that stops working in 24 hours.

use super::error::AuthError;
use super::store::TokenStore;
use super::token;
use super::tokens::{OAuthSettings, Tokens};
use crate::secret::Secret;
use chrono::Utc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::Mutex;

/// A self-renewing access token (`Send + Sync`; share it behind an `Arc`).
pub struct TokenSource {
    settings: OAuthSettings,
    store: TokenStore,
    state: Mutex<State>,
    refreshes: AtomicU64,
}

struct State {
    tokens: Tokens,
    /// Built on the first renewal: most runs never need it.
    http: Option<oauth2::reqwest::Client>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("client_id", &self.settings.client_id)
            .field("store", &self.store.path())
            .field("refreshes", &self.refreshes())
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    /// Starts from stored (or freshly obtained) tokens; renewals are saved to `store`.
    pub fn new(settings: OAuthSettings, store: TokenStore, tokens: Tokens) -> TokenSource {
        TokenSource {
            settings,
            store,
            state: Mutex::new(State { tokens, http: None }),
            refreshes: AtomicU64::new(0),
        }
    }

    /// The access token to send, renewed first when it expires within five minutes (or a tenth
    /// of its lifetime, if that is shorter).
    pub async fn access_token(&self) -> Result<Secret, AuthError> {
        let mut state = self.state.lock().await;
        if state.tokens.needs_refresh(Utc::now()) {
            self.renew(&mut state, None).await?;
        }
        Ok(state.tokens.access_token.clone())
    }

    /// Called once after an HTTP 401 for `rejected`. If another task has renewed the token since,
    /// returns the new one; otherwise renews now.
    pub async fn unauthorized(&self, rejected: &Secret) -> Result<Secret, AuthError> {
        let mut state = self.state.lock().await;
        if state.tokens.access_token != *rejected {
            return Ok(state.tokens.access_token.clone());
        }
        tracing::info!(stage = "auth", "access token rejected, renewing it");
        self.renew(&mut state, Some(rejected)).await?;
        Ok(state.tokens.access_token.clone())
    }

    /// How many times this source asked the token endpoint for new tokens.
    pub fn refreshes(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    async fn renew(&self, state: &mut State, rejected: Option<&Secret>) -> Result<(), AuthError> {
        if let Some(stored) = self.newer_in_store(&state.tokens, rejected) {
            tracing::info!(stage = "auth", "using tokens renewed by another process");
            state.tokens = stored;
            return Ok(());
        }
        let http = match &state.http {
            Some(http) => http.clone(),
            None => {
                let http = token::http_client(&self.settings)?;
                state.http = Some(http.clone());
                http
            }
        };
        let renewed = token::renew(&http, &self.settings, &state.tokens).await?;
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        let saved = self.store.save(&renewed);
        // Kept in memory even if saving failed, so the other tasks do not rotate again (every
        // rotation shortens the life of the refresh token on disk); the error still ends the
        // caller's request, because a sign-in that cannot be saved is lost by the next run.
        state.tokens = renewed;
        saved?;
        tracing::info!(
            stage = "auth",
            grant = %state.tokens.grant,
            expires_at = %state.tokens.expires_at,
            "renewed the access token"
        );
        Ok(())
    }

    /// Tokens in the store that are newer than ours, still fresh, and not the rejected ones: a
    /// concurrent `auth login` or another run renewed them, and renewing again would only rotate
    /// the refresh token once more.
    fn newer_in_store(&self, current: &Tokens, rejected: Option<&Secret>) -> Option<Tokens> {
        let stored = match self.store.load() {
            Ok(stored) => stored?,
            Err(e) => {
                tracing::debug!(stage = "auth", error = %e, "cannot re-read the token store");
                return None;
            }
        };
        let usable = stored.client_id == current.client_id
            && stored.saved_at > current.saved_at
            && Some(&stored.access_token) != rejected
            && !stored.needs_refresh(Utc::now());
        usable.then_some(stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Grant;
    use std::time::Duration;

    fn assert_send<T: Send>(_: &T) {}

    /// Fetch tasks renew tokens from `tokio::spawn`ed tasks, which need `Send` futures.
    #[test]
    fn token_futures_are_send_and_the_source_is_shared() {
        fn assert_sync<T: Send + Sync>() {}
        assert_sync::<TokenSource>();
        let now = Utc::now();
        let settings = OAuthSettings {
            client_id: "k".into(),
            client_secret: Secret::new("s"),
            authorize_url: "http://127.0.0.1:1/a".into(),
            token_url: "http://127.0.0.1:1/t".into(),
            redirect_uri: "http://127.0.0.1:1/cb".into(),
            user_agent: "t".into(),
            timeout: Duration::from_secs(1),
        };
        let tokens = Tokens {
            access_token: Secret::new("a"),
            refresh_token: None,
            expires_at: now,
            client_id: "k".into(),
            client_secret: None,
            grant: Grant::AuthorizationCode,
            saved_at: now,
        };
        let source = TokenSource::new(
            settings.clone(),
            TokenStore::at("unused.json".into()),
            tokens.clone(),
        );
        assert_send(&source.access_token());
        assert_send(&source.unauthorized(&tokens.access_token));
        assert_send(&crate::auth::client_credentials(&settings));
        assert_send(&crate::auth::login(
            &settings,
            &crate::auth::LoginOptions::default(),
            |_| {},
        ));
    }
}
