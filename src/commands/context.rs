//! What commands share: the loaded config, the token store it points at, the OAuth settings,
//! the token source and the one Upwork client built from them.
//!
//! Every command that talks to Upwork goes through [`Context::client`], so the rate limiter,
//! retries, refresh on 401 and the tenant header apply to all of them alike. `demo` places the
//! token file and the secret here explicitly instead of through the process environment.

use crate::auth::{self, OAuthSettings, TokenSource, TokenStore, Tokens};
use crate::config::{Config, GrantKind};
use crate::exit::Exit;
use crate::failure::Failure;
use crate::secret::Secret;
use crate::upwork::UpworkClient;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A loaded config and where its sign-in lives.
pub struct Context {
    /// The validated config.
    pub config: Config,
    store: TokenStore,
    secret: Option<Secret>,
}

impl Context {
    /// Loads the config at `path`; the token store is the per-user one for its key.
    pub fn load(path: &Path) -> Result<Context, Failure> {
        let config = Config::load(path)?;
        let store = TokenStore::for_client(&config.upwork.client_id, &config.upwork.token_url)?;
        Ok(Context {
            config,
            store,
            secret: None,
        })
    }

    /// A context with its token store and client secret given (`demo`, benchmarks).
    pub fn with(config: Config, store: TokenStore, secret: Option<Secret>) -> Context {
        Context {
            config,
            store,
            secret,
        }
    }

    /// The token store.
    pub fn store(&self) -> &TokenStore {
        &self.store
    }

    /// The OAuth settings; the secret from the context, the environment or the token store.
    pub fn oauth_settings(&self, stored: Option<&Tokens>) -> Result<OAuthSettings, Failure> {
        let env = &self.config.upwork.client_secret_env;
        let secret = self
            .secret
            .clone()
            .or_else(|| {
                std::env::var(env)
                    .ok()
                    .filter(|s| !s.is_empty())
                    .map(Secret::new)
            })
            .or_else(|| stored.and_then(|t| t.client_secret.clone()))
            .ok_or_else(|| {
                Failure::msg(
                    Exit::Auth,
                    format!("no client secret: the environment variable {env} is not set"),
                )
                .hint(format!(
                    "export {env}=<your key's secret> (it is kept in the token store after `upjobpilot auth login`)"
                ))
            })?;
        let upwork = &self.config.upwork;
        Ok(OAuthSettings {
            client_id: upwork.client_id.clone(),
            client_secret: secret,
            authorize_url: upwork.authorize_url.clone(),
            token_url: upwork.token_url.clone(),
            redirect_uri: upwork.redirect_uri.clone(),
            user_agent: crate::upwork::USER_AGENT.to_string(),
            timeout: Duration::from_secs(u64::from(upwork.timeout_secs)),
        })
    }

    /// The stored sign-in as a token source (client credentials are fetched on the spot).
    pub async fn token_source(&self) -> Result<Arc<TokenSource>, Failure> {
        let tokens = match (self.store.load()?, self.config.upwork.grant) {
            (Some(tokens), _) => tokens,
            (None, GrantKind::ClientCredentials) => {
                let settings = self.oauth_settings(None)?;
                let tokens = auth::client_credentials(&settings).await?;
                self.store.save(&tokens)?;
                tokens
            }
            (None, GrantKind::AuthorizationCode) => {
                return Err(auth::AuthError::NotSignedIn {
                    path: self.store.path().to_path_buf(),
                }
                .into());
            }
        };
        let settings = self.oauth_settings(Some(&tokens))?;
        Ok(Arc::new(TokenSource::new(
            settings,
            self.store.clone(),
            tokens,
        )))
    }

    /// The Upwork client, signed in with the stored tokens, to share between tasks.
    pub async fn client(&self) -> Result<Arc<UpworkClient>, Failure> {
        Ok(Arc::new(self.upwork_client().await?))
    }

    /// The Upwork client, signed in with the stored tokens.
    pub async fn upwork_client(&self) -> Result<UpworkClient, Failure> {
        let tokens = self.token_source().await?;
        Ok(UpworkClient::new(&self.config.upwork, tokens)?)
    }
}

/// Asks `question` on stderr and reads one line of the answer from stdin, trimmed (the commands
/// that ask do so only on a terminal).
pub fn ask(question: &str) -> Result<String, Failure> {
    use std::io::{BufRead, Write};
    eprint!("{question}: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(Failure::other)?;
    Ok(line.trim().to_string())
}
