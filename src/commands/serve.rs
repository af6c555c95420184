//! `upjobpilot serve`: the local dashboard ([`crate::serve`]) over the configured database.
//!
//! Prints the URL, optionally opens it, and answers until interrupted. No tokio: the server is
//! blocking, like DuckDB.

use crate::cli::ServeArgs;
use crate::config::Config;
use crate::exit::Exit;
use crate::failure::Failure;
use crate::serve::Server;
use std::path::Path;

/// Serves until the process is interrupted.
pub fn run(config_path: &Path, args: &ServeArgs) -> Result<Exit, Failure> {
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
    server.spawn().wait();
    Ok(Exit::Ok)
}
