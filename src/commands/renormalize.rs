//! `upjobpilot renormalize`: rebuild the typed tables from the stored raw JSON, under the
//! pipeline lock, resumable (see [`crate::pipeline::renormalize`]).

use crate::cli::RenormalizeArgs;
use crate::config::Config;
use crate::exit::Exit;
use crate::failure::Failure;
use crate::pipeline::{self, renormalize};
use std::path::Path;
use std::time::Duration;

/// Runs the renormalize and says what it did, and what it could not redo.
pub fn run(config_path: &Path, args: &RenormalizeArgs) -> Result<Exit, Failure> {
    let config = Config::load(config_path)?;
    let database = config.database_path();
    let _lock = pipeline::lock(&database, Duration::ZERO)?;
    let conn = crate::db::open(&database)?;
    crate::db::set_memory_limit(&conn, config.storage.memory_limit)
        .map_err(|e| Failure::other(anyhow::anyhow!("{}: {e}", database.display())))?;
    let report = renormalize::renormalize(
        &conn,
        &database,
        args.batch as usize,
        config.storage.memory_limit,
        |done| {
            tracing::info!(stage = "renormalize", rebuilt = done, "batch committed");
        },
    )?;
    if report.resumed {
        println!("went on from an interrupted renormalize");
    }
    println!(
        "rebuilt {} postings from their raw JSON; {} quarantined (see the quarantine table)",
        report.rebuilt, report.quarantined
    );
    if report.pruned > 0 {
        println!(
            "{} postings had their raw JSON pruned by retention and keep their stored columns",
            report.pruned
        );
    }
    Ok(Exit::Ok)
}
