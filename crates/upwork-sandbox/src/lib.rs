//! The sandbox: a local stand-in for Upwork's OAuth2 and GraphQL API.
//!
//! New users wait days for Upwork to approve their API key, and no test may reach Upwork, so
//! `upjobpilot sandbox`, `upjobpilot demo` and every integration test talk to this instead. It
//! serves the three endpoints of `shared/upwork/API.md` on 127.0.0.1 (`/ab/account-security/
//! oauth2/authorize`, `/api/v3/oauth2/token`, `/graphql`) from a seeded, moving job market, and
//! can misbehave on purpose: rate limits, injected faults, expiring tokens.
//!
//! How the parts connect: [`Sandbox`] (`sandbox.rs`) starts one from a [`SandboxConfig`]
//! (`config.rs`) and is the handle tests hold; `shared` is the state its worker threads share.
//! [`market`] generates and moves the postings, [`search`] filters and sorts them, [`node`] renders
//! them in the live wire format. `oauth` holds codes and tokens, `graphql` validates documents
//! against the documented schema and executes them, `ratelimit` and `faults` decide what to refuse
//! or break, [`Realism`] which of live Upwork's reported quirks to imitate (nulls, renewal order,
//! error and value forms), `server` runs the HTTP worker pool behind the `relay` (which owns the
//! client sockets so faults can cut them), `log` records every request, and `clock` says what time
//! it is. [`SandboxArgs`] (`args.rs`) are the options of `upjobpilot sandbox`, whose command (the
//! product's `src/commands/sandbox.rs`) serves the sandbox from the command line; this crate
//! imports nothing of the product. This file only declares the modules and re-exports what the
//! product and the tests use.
//!
//! Where `shared/upwork/API.md` is silent or split, the sandbox chose, and says so here:
//! - A field outside the key's [`Scope`]s (a root field, or a sub-field such as
//!   `activityStat.applicationsBidStats` without [`Scope::BidStatsRead`]) fails the whole document:
//!   HTTP 200, no `data`, one entry with the documented message and
//!   `"extensions":{"classification":"ExecutionAborted"}`. The documented example has no
//!   `extensions`, the 2026-12 evidence names the classification `ExecutionAborted`; graphql-java
//!   puts a classification in `extensions`, so both are kept: the example's message, the later
//!   evidence's classification.
//! - `marketplaceJobPosting(id)` of an id that never existed or was removed: that field (alias)
//!   `null` and graphql-java's data-fetcher error at its `path` (`Exception while fetching data
//!   (/a1) : Job posting not found: <id>`, `DataFetchingException`), the other aliases answered; a
//!   closed posting is answered with `workFlowState.status` `CLOSED`.
//! - `jobActivity.lastClientActivity` (only "string" in the evidence) is written as every other
//!   sandbox timestamp, `2025-10-16T06:06:47+0000`.
//!
//! Tests use [`Sandbox`] directly:
//!
//! ```no_run
//! use upwork_sandbox::{Sandbox, SandboxConfig};
//! let sandbox = Sandbox::start(SandboxConfig::default())?;
//! let graphql_url = format!("{}/graphql", sandbox.base_url());
//! let token = sandbox.mint_token(&sandbox.client().id);
//! sandbox.advance(std::time::Duration::from_secs(3600)); // an hour of arrivals and closes
//! # Ok::<(), std::io::Error>(())
//! ```

mod args;
mod clock;
mod config;
mod faults;
mod graphql;
mod log;
pub mod market;
pub mod node;
mod oauth;
mod ratelimit;
mod realism;
mod relay;
mod sandbox;
pub mod search;
mod server;
mod shared;

pub use args::SandboxArgs;
pub use clock::ClockMode;
pub use config::{ClientSpec, ParseScopeError, SandboxConfig, Scope};
pub use faults::{FaultConfig, FaultKind, ParseFaultError};
pub use log::{MEMORY_RECORDS, RequestRecord, Stats};
pub use oauth::TokenPair;
pub use realism::{DisplayValue, MissingAfter, ParseFormError, Realism, VerificationForm};
pub use sandbox::Sandbox;
pub use server::{AUTHORIZE_PATH, GRAPHQL_PATH, TOKEN_PATH};
