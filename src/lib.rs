//! upjobpilot: a freelancer's own Upwork job pipeline.
//!
//! The binary (`src/main.rs`) is a thin shell over this library. Dependencies run one way, from
//! the top down:
//!
//! - [`cli`] (the clap definitions), [`commands`] (one file per command, and what they share)
//!   and [`failure`] (every stage's error as an exit status and a hint)
//! - [`schedule`]: the systemd, cron, launchd and Task Scheduler files of `upjobpilot schedule`
//! - [`serve`]: the local dashboard (`upjobpilot serve`) over the database and the views;
//!   [`mcp`]: the same postings as tools for an AI assistant (`upjobpilot mcp`)
//! - [`postings`]: the postings' queries both of them answer from (list, filters, one posting,
//!   labels, charts)
//! - [`pipeline`]: a sync's orchestration and its stages (lock, fetch, spool, load, retention,
//!   export)
//! - [`alerts`]: new postings matched against the `[[alert]]` rules and delivered once each
//! - [`upwork`] (the only HTTP path to Upwork) and [`db`] (the DuckDB file; every SQL text)
//! - [`auth`], [`config`], [`activity`] (a posting's competition signals as people read them),
//!   [`fs`] (one atomic-write rule), [`http`] (capped bodies),
//!   [`secret`], [`exit`], [`test_hooks`] (the crash and failure tests' hooks), [`version`]
//!   (what `--version` says: the commit and the linked DuckDB)
//! - [`local_server`]: the hardened HTTP server under the dashboard and the sign-in callback
//!
//! The local stand-in for Upwork that the tests, `upjobpilot sandbox` and `upjobpilot demo` run
//! against is its own crate, `upwork_sandbox` (`crates/upwork-sandbox`); only those commands, the
//! benches and the tests use it.

pub mod activity;
pub mod alerts;
pub mod auth;
pub mod cli;
pub mod commands;
pub mod config;
pub mod db;
pub mod exit;
pub mod failure;
pub mod fs;
pub mod http;
pub mod local_server;
pub mod mcp;
pub mod pipeline;
pub mod platform;
pub mod postings;
pub mod schedule;
pub mod secret;
pub mod serve;
pub mod test_hooks;
pub mod upwork;
pub mod version;
