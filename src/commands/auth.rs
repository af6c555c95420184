//! `upjobpilot auth login | status | logout`: sign in, show the sign-in, forget it.

use super::context::Context;
use crate::auth::{self, LoginOptions};
use crate::cli::LoginArgs;
use crate::config::GrantKind;
use crate::exit::Exit;
use crate::failure::Failure;
use std::path::Path;
use std::time::Duration;
use tokio::runtime::Runtime;

/// Signs in as the config says and stores the tokens.
pub fn login(config_path: &Path, args: &LoginArgs, runtime: &Runtime) -> Result<Exit, Failure> {
    let context = Context::load(config_path)?;
    let settings = context.oauth_settings(None)?;
    let tokens = runtime.block_on(async {
        match context.config.upwork.grant {
            GrantKind::ClientCredentials => auth::client_credentials(&settings).await,
            GrantKind::AuthorizationCode => {
                let options = LoginOptions {
                    open_browser: !args.no_browser,
                    timeout: Duration::from_secs(args.timeout_secs),
                };
                auth::login(&settings, &options, |url| {
                    eprintln!("Open this URL to sign in to Upwork:\n\n  {url}\n");
                })
                .await
            }
        }
    })?;
    context.store().save(&tokens)?;
    println!(
        "signed in; tokens saved to {}",
        context.store().path().display()
    );
    Ok(Exit::Ok)
}

/// Shows the stored sign-in, never a secret.
pub fn status(config_path: &Path) -> Result<Exit, Failure> {
    let context = Context::load(config_path)?;
    let store = context.store();
    match store.load()? {
        Some(tokens) => {
            println!("{}", auth::status(&tokens));
            println!("token file: {}", store.path().display());
            Ok(Exit::Ok)
        }
        None => Err(Failure::msg(
            Exit::Auth,
            format!("not signed in (no tokens at {})", store.path().display()),
        )
        .hint("run `upjobpilot auth login`")),
    }
}

/// Deletes the stored tokens.
pub fn logout(config_path: &Path) -> Result<Exit, Failure> {
    let context = Context::load(config_path)?;
    let store = context.store();
    if store.delete()? {
        println!("signed out; deleted {}", store.path().display());
    } else {
        println!("not signed in; nothing to delete");
    }
    Ok(Exit::Ok)
}
