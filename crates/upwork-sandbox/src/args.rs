//! The options of `upjobpilot sandbox`, and the [`SandboxConfig`] they describe.
//!
//! They live with the sandbox, beside the settings they reach, so the product's `cli.rs` only names
//! them for its `sandbox` subcommand; the command itself (print the URL and the credentials, serve
//! until Ctrl-C) is the product's `commands/sandbox.rs`.

use crate::clock::ClockMode;
use crate::config::{ClientSpec, SandboxConfig, Scope};
use crate::faults::{FaultConfig, FaultKind};
use crate::market::MarketConfig;
use crate::realism::{DisplayValue, MissingAfter, Realism, VerificationForm};
use chrono::{SubsecRound, Utc};
use std::path::PathBuf;
use std::time::Duration;

const SANDBOX_EXAMPLES: &str = "\
Examples:
  upjobpilot sandbox --port 8080
  upjobpilot sandbox --seed 7 --latency-ms 150 --fault-rate 0.05 --faults 429,503,cut-body \\
      --request-log sandbox.jsonl

Output (stdout): the base URL, then the client id, then the client secret, one per line.
Endpoints: BASE/ab/account-security/oauth2/authorize, BASE/api/v3/oauth2/token, BASE/graphql.
Point pipeline.toml's base URLs at BASE and sign in with `upjobpilot auth login`.";

/// Serve a local stand-in for Upwork's OAuth2 and GraphQL API until Ctrl-C.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = SANDBOX_EXAMPLES)]
pub struct SandboxArgs {
    /// Port to listen on at 127.0.0.1; 0 picks a free one (read it from the first output line).
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// Seed of the synthetic market and of random faults: the same seed gives the same market.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// Client id (API key) of the registered client.
    #[arg(long, default_value = "sandbox-client")]
    pub client_id: String,

    /// Client secret of the registered client.
    #[arg(long, default_value = "sandbox-secret")]
    pub client_secret: String,

    /// Callback URL registered for the client; authorize redirects nowhere else.
    #[arg(long, default_value = "http://localhost:3000/callback", value_parser = parse_url)]
    pub redirect_uri: String,

    /// Mark the client as an enterprise key, which may use the client-credentials grant.
    #[arg(long)]
    pub enterprise: bool,

    /// The client's permissions, comma-separated: job-postings (search and job details), common
    /// (user, organization; Upwork needs it for everything), bid-stats (a job's
    /// activityStat.applicationsBidStats). A field outside them fails the whole query with
    /// Upwork's ExecutionAborted scope error. Default: all three; `--scopes job-postings,common`
    /// is a key with only the job-posting permissions (jobActivity served, bid statistics
    /// refused).
    #[arg(long, value_delimiter = ',', value_name = "SCOPE,..")]
    pub scopes: Vec<Scope>,

    /// Milliseconds added before every answer.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub latency_ms: u64,

    /// GraphQL requests allowed per client in any 60 seconds, then HTTP 429 (0 = unlimited).
    #[arg(long, default_value_t = 300, value_name = "N")]
    pub rate_limit: u32,

    /// GraphQL requests allowed per client per day, then HTTP 429 (0 = unlimited).
    #[arg(long, default_value_t = 40_000, value_name = "N")]
    pub daily_limit: u32,

    /// Send `Retry-After: SECS` with rate-limit 429s (Upwork documents no such header).
    #[arg(long, value_name = "SECS")]
    pub retry_after: Option<u64>,

    /// Access token lifetime in seconds (`expires_in`).
    #[arg(long, default_value_t = 86_400, value_name = "SECS")]
    pub token_ttl_secs: u64,

    /// Open postings when the sandbox starts.
    #[arg(long, default_value_t = MarketConfig::default().initial_postings, value_name = "N")]
    pub postings: usize,

    /// New postings per hour, on average.
    #[arg(long, default_value_t = MarketConfig::default().arrivals_per_hour, value_name = "N")]
    pub arrivals_per_hour: f64,

    /// Postings closing per hour, on average.
    #[arg(long, default_value_t = MarketConfig::default().closes_per_hour, value_name = "N")]
    pub closes_per_hour: f64,

    /// Postings changing (applicants, renewal) per hour, on average.
    #[arg(long, default_value_t = MarketConfig::default().changes_per_hour, value_name = "N")]
    pub changes_per_hour: f64,

    /// Probability (0 to 1) that a GraphQL request gets a random fault from --faults.
    #[arg(long, default_value_t = 0.0, value_parser = parse_probability, value_name = "P")]
    pub fault_rate: f64,

    /// Faults to draw from, comma-separated: 429[:SECS], 500, 502, 503, latency[:MS], cut-body,
    /// drop-connection, graphql-error, graphql-partial, revoke-token, expire-token, arrive[:N],
    /// close[:N]. Default: all of them.
    #[arg(long, value_delimiter = ',', value_name = "KIND,..")]
    pub faults: Vec<FaultKind>,

    /// Append every request as a JSON line to FILE (never with secrets).
    #[arg(long, value_name = "FILE")]
    pub request_log: Option<PathBuf>,

    /// Largest page a search returns (`pagination_eq.first` is capped to it).
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub max_page_size: u32,

    /// Deepest offset a search pages to.
    #[arg(long, default_value_t = 5_000, value_name = "N")]
    pub max_offset: u32,

    /// Probability (0 to 1) that a search result has a non-null field null, as seen live: the
    /// null reaches the nearest nullable parent (mostly the whole edge) and the answer gets a
    /// graphql-java `NullValueInNonNullableField` error; the same postings break every time.
    #[arg(long, default_value_t = 0.0, value_parser = parse_probability, value_name = "P")]
    pub null_rate: f64,

    /// How often (0 to 1) nullable fields of search results are null: budgets, duration, client
    /// location, spend and verification, occupations, skills. Non-null fields are never touched.
    #[arg(long, default_value_t = 0.0, value_parser = parse_probability, value_name = "P")]
    pub sparse_rate: f64,

    /// Sort RECENCY by the later of publishedDateTime and renewedDateTime, so a renewed posting
    /// moves back to the top with its old publishedDateTime.
    #[arg(long)]
    pub renewals_to_top: bool,

    /// Refuse a document with more than one root field (`s1: marketplaceJobPostingsSearch(...)
    /// s2: ...`) with a validation error, as Upwork might; upjobpilot then asks one search per
    /// request.
    #[arg(long)]
    pub refuse_batches: bool,

    /// How a search without `pagination_eq.after` fails: `500` (HTTP 500) or `errors` (HTTP 200
    /// with an "Exception occurred" errors entry and the search null).
    #[arg(long, default_value = "500", value_name = "500|errors")]
    pub missing_after: MissingAfter,

    /// How `Money.displayValue` is written: `plain` ("40.0", like rawValue), `currency`
    /// ("$40.00") or `mixed` (one or the other per posting).
    #[arg(long, default_value = "plain", value_name = "plain|currency|mixed")]
    pub display_value: DisplayValue,

    /// How `client.verificationStatus` is sent: `enum` (every status) or `verified-or-null`
    /// ("VERIFIED", or null for any other status).
    #[arg(long, default_value = "enum", value_name = "enum|verified-or-null")]
    pub verification: VerificationForm,
}

fn parse_url(text: &str) -> Result<String, String> {
    url::Url::parse(text)
        .map(|_| text.to_owned())
        .map_err(|e| format!("not a URL: {e}"))
}

fn parse_probability(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err("must be a number from 0 to 1".to_owned()),
    }
}

impl SandboxArgs {
    /// The sandbox configuration the options describe, on the real clock starting now.
    pub fn to_config(&self) -> SandboxConfig {
        SandboxConfig {
            port: self.port,
            clients: vec![ClientSpec {
                id: self.client_id.clone(),
                secret: self.client_secret.clone(),
                redirect_uri: self.redirect_uri.clone(),
                enterprise: self.enterprise,
                scopes: if self.scopes.is_empty() {
                    Scope::ALL.to_vec()
                } else {
                    self.scopes.clone()
                },
            }],
            market: MarketConfig {
                seed: self.seed,
                start: Utc::now().trunc_subsecs(0),
                initial_postings: self.postings,
                arrivals_per_hour: self.arrivals_per_hour,
                closes_per_hour: self.closes_per_hour,
                changes_per_hour: self.changes_per_hour,
                ..MarketConfig::default()
            },
            clock: ClockMode::Real,
            token_ttl: Duration::from_secs(self.token_ttl_secs),
            latency: Duration::from_millis(self.latency_ms),
            rate_limit_per_min: self.rate_limit,
            daily_limit: self.daily_limit,
            retry_after_secs: self.retry_after,
            max_page_size: self.max_page_size,
            max_offset: self.max_offset,
            faults: FaultConfig {
                seed: self.seed,
                rate: self.fault_rate,
                kinds: self.faults.clone(),
                schedule: Vec::new(),
            },
            realism: Realism {
                null_rate: self.null_rate,
                sparse_rate: self.sparse_rate,
                renewals_to_top: self.renewals_to_top,
                missing_after: self.missing_after,
                display_value: self.display_value,
                verification: self.verification,
                refuse_batches: self.refuse_batches,
            },
            request_log: self.request_log.clone(),
            ..SandboxConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: SandboxArgs,
    }

    #[test]
    fn options_reach_the_config() {
        let cli = Cli::try_parse_from([
            "sandbox",
            "--port",
            "0",
            "--client-id",
            "k",
            "--enterprise",
            "--faults",
            "429:3,cut-body",
            "--fault-rate",
            "0.5",
            "--latency-ms",
            "20",
            "--scopes",
            "job-postings,common",
        ])
        .expect("valid arguments");
        let config = cli.args.to_config();
        assert_eq!(config.clients[0].id, "k");
        assert_eq!(
            config.clients[0].scopes,
            vec![Scope::JobPostingsRead, Scope::CommonRead]
        );
        assert!(config.clients[0].enterprise);
        assert_eq!(config.clock, ClockMode::Real);
        assert_eq!(config.latency, Duration::from_millis(20));
        assert_eq!(
            config.faults.kinds,
            vec![
                FaultKind::TooManyRequests {
                    retry_after: Some(3)
                },
                FaultKind::CutBody
            ]
        );
    }

    #[test]
    fn the_default_key_has_every_scope() {
        let cli = Cli::try_parse_from(["sandbox"]).expect("valid arguments");
        assert_eq!(cli.args.to_config().clients[0].scopes, Scope::ALL.to_vec());
    }

    #[test]
    fn bad_options_are_refused() {
        for bad in [
            &["sandbox", "--fault-rate", "2"][..],
            &["sandbox", "--faults", "504"],
            &["sandbox", "--redirect-uri", "not a url"],
            &["sandbox", "--scopes", "job-postings,everything"],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }
}
