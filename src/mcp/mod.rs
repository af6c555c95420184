//! `upjobpilot mcp`: the stored postings, the user's labels and the market as tools and prompts
//! for an AI assistant, over the Model Context Protocol on stdio (rmcp, the official Rust SDK).
//!
//! Stdout carries only the protocol (newline-delimited JSON-RPC); logs go to stderr. Like the
//! dashboard it never gets in the way of a sync: each call opens the database read-only (a
//! short write for `label_posting`) through [`crate::db`] and lets it go, and while another
//! program's load holds the file a call answers "updating, try again in a few seconds". Posting
//! text comes back only as data in its own JSON field, cleaned of control characters
//! ([`clean`]), and every answer stays within 50 rows and 50,000 characters unless it asks for
//! less, saying what it left out.
//!
//! [`server`] speaks the protocol, [`tools`] answers the tools (from [`crate::postings`], the
//! dashboard's queries), [`query`] the SQL tool, [`prompts`] the prompts, [`client_config`]
//! prints a client's configuration. It uses the postings, the pipeline (status), the database
//! and the config; nothing below imports it.

mod args;
mod clean;
pub mod client_config;
mod error;
mod prompts;
mod query;
mod server;
mod tools;

pub use error::{ToolError, UPDATING};
pub use server::{McpServer, serve_stdio};
pub use tools::Desk;
