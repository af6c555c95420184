//! `upjobpilot auth login`: the authorization-code flow, browser and callback included.
//!
//! Order matters: the callback server is bound first (a busy port fails before anything is shown),
//! then the authorization URL is shown and the browser opened, then the callback is awaited on a
//! blocking thread, then the code is exchanged. The request carries a random `state` and nothing
//! else optional: no `scope` (Upwork fixes scopes on the key) and no PKCE (Upwork documents none,
//! and a parameter it might reject buys nothing for a confidential client).

use super::callback::CallbackServer;
use super::error::AuthError;
use super::token;
use super::tokens::{OAuthSettings, Tokens};
use oauth2::basic::BasicClient;
use oauth2::{AuthUrl, ClientId, CsrfToken, RedirectUrl};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use url::Url;

/// How `login` interacts with the user.
#[derive(Debug, Clone)]
pub struct LoginOptions {
    /// Open the authorization URL in the default browser (`--no-browser` turns it off; the URL is
    /// always shown too).
    pub open_browser: bool,
    /// How long to wait for the browser's callback.
    pub timeout: Duration,
}

impl Default for LoginOptions {
    fn default() -> Self {
        LoginOptions {
            open_browser: true,
            timeout: Duration::from_secs(300),
        }
    }
}

/// Signs in through the browser and returns the new tokens (the caller saves them).
///
/// `show_url` receives the authorization URL once the callback server listens; the CLI prints it,
/// tests follow it.
#[tracing::instrument(skip_all, fields(stage = "auth", client_id = %settings.client_id))]
pub async fn login(
    settings: &OAuthSettings,
    options: &LoginOptions,
    show_url: impl FnOnce(&Url),
) -> Result<Tokens, AuthError> {
    // Everything that can be wrong in the settings fails here, before the user is sent anywhere.
    let http = token::http_client(settings)?;
    let auth_url =
        AuthUrl::new(settings.authorize_url.clone()).map_err(|e| AuthError::InvalidUrl {
            name: "authorize_url",
            value: settings.authorize_url.clone(),
            reason: e.to_string(),
        })?;
    let redirect =
        RedirectUrl::new(settings.redirect_uri.clone()).map_err(|e| AuthError::InvalidUrl {
            name: "redirect_uri",
            value: settings.redirect_uri.clone(),
            reason: e.to_string(),
        })?;
    url::Url::parse(&settings.token_url).map_err(|e| AuthError::InvalidUrl {
        name: "token_url",
        value: settings.token_url.clone(),
        reason: e.to_string(),
    })?;
    let server = CallbackServer::bind(&settings.redirect_uri)?;

    let (url, state) = BasicClient::new(ClientId::new(settings.client_id.clone()))
        .set_auth_uri(auth_url)
        .set_redirect_uri(redirect)
        .authorize_url(CsrfToken::new_random)
        .url();
    show_url(&url);
    if options.open_browser
        && let Err(e) = open_browser(&url)
    {
        tracing::warn!(
            stage = "auth",
            error = %e,
            "could not open a browser; open the URL above by hand"
        );
    }

    // If this future is dropped (Ctrl-C), the guard tells the blocking thread to give up.
    let cancelled = Arc::new(AtomicBool::new(false));
    let _cancel_on_drop = CancelOnDrop(Arc::clone(&cancelled));
    let expected_state = state.secret().clone();
    let timeout = options.timeout;
    let code =
        tokio::task::spawn_blocking(move || server.wait(&expected_state, timeout, &cancelled))
            .await
            .map_err(|e| match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(_) => AuthError::CallbackTimeout {
                    waited: timeout,
                    turned_away: Vec::new(),
                },
            })??;
    tracing::info!(
        stage = "auth",
        "callback received, exchanging the authorization code"
    );
    let tokens = token::exchange_code(&http, settings, code).await?;
    tracing::info!(stage = "auth", expires_at = %tokens.expires_at, "signed in");
    Ok(tokens)
}

struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Hands the URL to the desktop's URL opener. The URL is passed as one argument, never through a
/// shell (it contains `&`).
pub fn open_browser(url: &Url) -> std::io::Result<()> {
    let mut child = crate::platform::url_opener()
        .arg(url.as_str())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    // Reaped on a side thread: some openers run until the browser exits.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}
