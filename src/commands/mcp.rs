//! `upjobpilot mcp`: the MCP server ([`crate::mcp`]) on stdio over the configured database, or
//! with `--print-config` a client's configuration snippet.
//!
//! The config is loaded before the first message (an invalid one exits with the config status
//! and nothing on stdout); the server then answers until the client closes stdin, and exits 0.

use crate::cli::McpArgs;
use crate::config::Config;
use crate::exit::Exit;
use crate::failure::Failure;
use crate::mcp::{Desk, McpServer, client_config};
use std::path::Path;
use tokio::runtime::Runtime;

/// Serves MCP on stdio until the client closes it, or prints a client's configuration.
pub fn run(config_path: &Path, args: &McpArgs, runtime: &Runtime) -> Result<Exit, Failure> {
    if let Some(client) = args.print_config {
        let binary = std::env::current_exe().map_err(Failure::other)?;
        let config = std::path::absolute(config_path).map_err(Failure::other)?;
        if !config.exists() {
            eprintln!(
                "warning: {} does not exist yet: run `upjobpilot init` first",
                config.display()
            );
        }
        let snippet = client_config::snippet(client, &binary, &config);
        println!(
            "{}",
            serde_json::to_string_pretty(&snippet).map_err(Failure::other)?
        );
        return Ok(Exit::Ok);
    }
    let config = Config::load(config_path)?;
    let database = config.database_path();
    // Bring an older file's schema up to date once (the labels table), as `serve` does; every
    // later open is read-only or a short save. A busy file is migrated by the sync that holds
    // it, a missing one is left to the first sync (the tools say so).
    if !args.read_only
        && database.exists()
        && let Err(error) = crate::db::open(&database)
    {
        tracing::warn!(stage = "mcp", database = %database.display(), error = %error, "database not opened at start");
    }
    tracing::info!(stage = "mcp", database = %database.display(), read_only = args.read_only, "serving MCP on stdio");
    let server = McpServer::new(Desk::new(config), args.read_only);
    runtime
        .block_on(crate::mcp::serve_stdio(server))
        .map_err(Failure::other)?;
    Ok(Exit::Ok)
}
