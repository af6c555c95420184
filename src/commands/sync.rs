//! `upjobpilot sync`: fetch, load, export; print a summary; exit with the status a scheduler
//! acts on. A sync that cannot start because the user must sign in still evaluates the health
//! notices ([`client`]), so that `[notify]` hears of it.

use super::context::Context;
use crate::alerts::notices;
use crate::auth::AuthError;
use crate::cli::SyncArgs;
use crate::exit::Exit;
use crate::failure::Failure;
use crate::pipeline::{self, SyncOptions, SyncReport};
use crate::upwork::UpworkClient;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Runtime;

/// How long a sync's load waits for a database another program holds (`upjobpilot serve` saving
/// a label, a quick query) before it keeps the pages in the spool for the next run.
pub const BUSY_WAIT: Duration = Duration::from_secs(5);

/// Runs one sync with the stored sign-in.
pub fn run(
    config_path: &Path,
    args: &SyncArgs,
    quiet: bool,
    runtime: &Runtime,
) -> Result<Exit, Failure> {
    let context = Context::load(config_path)?;
    let options = SyncOptions {
        export: !args.no_export,
        lock_wait: Duration::from_secs(args.wait_secs),
        progress: !quiet && std::io::stderr().is_terminal(),
        busy_wait: BUSY_WAIT,
    };
    let report = runtime.block_on(sync(&context, &options))?;
    if !quiet {
        print_summary(&report);
    }
    finish(&report)
}

/// One sync through the context's client.
pub async fn sync(context: &Context, options: &SyncOptions) -> Result<SyncReport, Failure> {
    let client = client(context).await?;
    Ok(pipeline::sync(&context.config, client, options).await?)
}

/// The context's Upwork client. When there is none because the user must sign in (no token
/// file, no client secret), that is a health notice before the sync gives up.
pub async fn client(context: &Context) -> Result<Arc<UpworkClient>, Failure> {
    let failure = match context.client().await {
        Err(failure) if failure.exit == Exit::Auth => failure,
        other => return other,
    };
    let needs_user = failure
        .error
        .downcast_ref::<AuthError>()
        .is_none_or(AuthError::needs_sign_in);
    if needs_user && context.config.notify.is_some() {
        let facts = notices::Facts {
            sign_in: Some(Some(failure.error.to_string())),
            ..notices::Facts::default()
        };
        let config = context.config.clone();
        let evaluated =
            tokio::task::spawn_blocking(move || notices::after_sync(&config, &facts, BUSY_WAIT));
        if let Err(e) = evaluated.await {
            tracing::error!(stage = "notices", error = %e, "health notices skipped");
        }
    }
    Err(failure)
}

/// The run's exit status; an auth error or a spooled load is also a message.
pub fn finish(report: &SyncReport) -> Result<Exit, Failure> {
    let exit = report.exit();
    match (&report.auth_error, &report.spooled) {
        (Some(message), _) => Err(Failure::msg(exit, message)),
        (None, Some(message)) => Err(Failure::msg(
            exit,
            format!("{message}; the fetched pages stay in the spool"),
        )
        .hint("the next `upjobpilot sync` loads them")),
        (None, None) => Ok(exit),
    }
}

/// Prints a sync's summary on stdout.
fn print_summary(report: &SyncReport) {
    for search in &report.searches {
        println!(
            "{:<24} {:>9} {:>4} pages {:>6} postings{}",
            search.name,
            search.status.as_str(),
            search.pages,
            search.postings,
            search
                .note
                .as_ref()
                .map(|n| format!("  ({n})"))
                .unwrap_or_default()
        );
    }
    if let Some(load) = &report.load {
        println!(
            "loaded {} postings from {} pages: {} new, {} changed, {} quarantined; {} requests in {:.1}s",
            load.postings,
            load.pages,
            load.new_postings,
            load.changed_postings,
            load.quarantined,
            report.requests,
            report.elapsed.as_secs_f64()
        );
    }
    if let Some(signals) = report.signals.as_ref().filter(|s| s.wanted > 0) {
        println!(
            "signals: {} of {} postings in {} requests{}",
            signals.stored,
            signals.wanted,
            signals.requests,
            if signals.refused.is_empty() {
                String::new()
            } else {
                format!(
                    " (Upwork refused {}; see `upjobpilot doctor`)",
                    signals.refused.join(", ")
                )
            }
        );
    }
    super::export::print_exported(&report.exported);
}
