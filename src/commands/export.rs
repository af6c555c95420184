//! `upjobpilot export`: write the views again without fetching.

use crate::config::Config;
use crate::exit::Exit;
use crate::failure::Failure;
use crate::pipeline;
use crate::pipeline::export::Exported;
use std::path::Path;
use std::time::Duration;

/// Exports every view under the pipeline lock.
pub fn run(config_path: &Path) -> Result<Exit, Failure> {
    let config = Config::load(config_path)?;
    let database = config.database_path();
    let _lock = pipeline::lock(&database, Duration::ZERO)?;
    let conn = crate::db::open(&database)?;
    let exported = pipeline::export_with_scores(&config, &conn)?;
    print_exported(&exported);
    Ok(if exported.held.is_empty() {
        Exit::Ok
    } else {
        Exit::Partial
    })
}

/// Prints the files written, and those kept because another program held them open (the
/// export has already logged why and what to do).
pub fn print_exported(exported: &Exported) {
    for file in &exported.written {
        println!("exported {}", file.display());
    }
    for (file, _) in &exported.held {
        println!("kept     {} (open in another program)", file.display());
    }
}
