//! upjobpilot: a freelancer's own Upwork job pipeline.
//!
//! The binary (`src/main.rs`) is a thin shell over this library. The stages live in their own
//! modules: `config` reads `pipeline.toml`, `auth` signs in, `upwork` talks GraphQL, `pipeline`
//! fetches, spools, loads and exports, `db` owns the DuckDB schema, and `sandbox` is the local
//! stand-in for Upwork that the tests and `upjobpilot demo` run against.

pub mod auth;
pub mod bench;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod doctor;
pub mod exit;
pub mod init;
pub mod pipeline;
pub mod sandbox;
pub mod secret;
pub mod status;
pub mod upwork;
