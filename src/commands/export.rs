//! `upjobpilot export`: write the views again without fetching.

use crate::config::Config;
use crate::exit::Exit;
use crate::failure::Failure;
use crate::pipeline;
use std::path::Path;
use std::time::Duration;

/// Exports every view under the pipeline lock.
pub fn run(config_path: &Path) -> Result<Exit, Failure> {
    let config = Config::load(config_path)?;
    let database = config.database_path();
    let _lock = pipeline::lock(&database, Duration::ZERO)?;
    let conn = crate::db::open(&database)?;
    for file in pipeline::export_with_scores(&config, &conn)? {
        println!("exported {}", file.display());
    }
    Ok(Exit::Ok)
}
