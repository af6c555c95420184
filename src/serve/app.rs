//! What every request handler of the dashboard shares.

use crate::config::Config;
use std::path::PathBuf;

/// What every request handler shares.
pub struct App {
    pub config: Config,
    pub database: PathBuf,
    /// The per-process token every change must carry.
    pub token: String,
    /// The port, for the `Origin` check.
    pub port: u16,
    /// Every label a posting can have.
    pub labels: Vec<String>,
}
