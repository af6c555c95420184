//! `upjobpilot serve`: the local dashboard ([`crate::serve`]) over the configured database.
//!
//! Prints the URL, optionally opens it, and answers until the system asks it to stop
//! ([`crate::platform::stop_signal`]), then exits 0. No tokio: the server is
//! blocking, like DuckDB. With `--watch` the same process also syncs every interval, as
//! `upjobpilot watch` does ([`super::watch`]): the server answers on its own threads while the
//! syncs run, and SIGTERM or Ctrl-C ends both once the poll in progress is done.

use crate::cli::{ServeArgs, WatchArgs};
use crate::config::Config;
use crate::exit::Exit;
use crate::failure::Failure;
use crate::serve::Server;
use std::path::Path;
use tokio::runtime::Runtime;

/// Serves until the process is interrupted (syncing meanwhile with `--watch`).
pub fn run(
    config_path: &Path,
    args: &ServeArgs,
    quiet: bool,
    runtime: &Runtime,
) -> Result<Exit, Failure> {
    let config = Config::load(config_path)?;
    let database = config.database_path();
    let server = Server::bind(config, args.port).map_err(|error| {
        let hint = error.hint();
        let failure = Failure::other(error);
        match hint {
            Some(hint) => failure.hint(hint),
            None => failure,
        }
    })?;
    // Registered before the URL is printed: whoever reads it may stop us at once.
    let stopped = if args.watch {
        None
    } else {
        let _runtime = runtime.enter();
        Some(crate::platform::stop_signal().map_err(Failure::other)?)
    };
    let url = server.url();
    println!("upjobpilot dashboard: {url}");
    println!("database: {}", database.display());
    println!("(loopback only; Ctrl-C stops it)");
    if args.open {
        let opened = url::Url::parse(&url)
            .map_err(std::io::Error::other)
            .and_then(|u| crate::auth::open_browser(&u));
        if let Err(error) = opened {
            eprintln!("could not open a browser ({error}); open {url} yourself");
        }
    }
    let running = server.spawn();
    if args.watch {
        let watch = WatchArgs {
            interval_secs: args.interval_secs,
            daily_budget: args.daily_budget,
            no_export: false,
        };
        let result = super::watch::run(config_path, &watch, quiet, runtime);
        // Dropping the server stops it: the syncs are over, so is the process.
        drop(running);
        return result;
    }
    if let Some(stopped) = stopped {
        runtime.block_on(stopped);
    }
    drop(running);
    Ok(Exit::Ok)
}
