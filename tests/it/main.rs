//! upjobpilot's integration tests: one binary (one link of the bundled DuckDB), a module per area,
//! one support module.
//!
//! Each test starts what it needs in-process (the sandbox on 127.0.0.1 port 0, DuckDB files in
//! temp folders) or drives the real binary (`CARGO_BIN_EXE_upjobpilot`) with a scrubbed
//! environment. Nothing reaches the network.

mod alerts;
mod auth;
mod browser;
mod chaos;
mod cli;
mod config;
mod crash;
mod db;
mod fuzz;
mod load_export;
mod local_server;
mod mcp;
mod notices;
mod one_instance;
mod pipeline;
mod reliability;
mod sandbox_api;
mod sandbox_faults;
mod sandbox_market;
mod sandbox_schema;
mod scheduling;
mod secrets;
mod serve;
mod signals;
mod support;
mod sync_errors;
mod text_index;
mod watch;
