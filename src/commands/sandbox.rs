//! `upjobpilot sandbox`: serve the sandbox on localhost until Ctrl-C.
//!
//! Scripts drive it, so its output is an interface: the first line of standard output is the base
//! URL, the second the client id, the third the client secret; everything else goes to standard
//! error. The options set the registered client, the market, the limits and the faults; each is
//! documented in `--help`, and the README has a section on the command.

use crate::cli::SandboxArgs;
use crate::exit::Exit;
use crate::failure::Failure;
use anyhow::Context as _;
use chrono::{SubsecRound, Utc};
use std::io::Write;
use std::time::Duration;
use tokio::runtime::Runtime;
use upwork_sandbox::market::MarketConfig;
use upwork_sandbox::{ClientSpec, ClockMode, FaultConfig, Sandbox, SandboxConfig};

/// The sandbox configuration the options describe, on the real clock starting now.
pub fn to_config(args: &SandboxArgs) -> SandboxConfig {
    SandboxConfig {
        port: args.port,
        clients: vec![ClientSpec {
            id: args.client_id.clone(),
            secret: args.client_secret.clone(),
            redirect_uri: args.redirect_uri.clone(),
            enterprise: args.enterprise,
            ..ClientSpec::default()
        }],
        market: MarketConfig {
            seed: args.seed,
            start: Utc::now().trunc_subsecs(0),
            initial_postings: args.postings,
            arrivals_per_hour: args.arrivals_per_hour,
            closes_per_hour: args.closes_per_hour,
            changes_per_hour: args.changes_per_hour,
            ..MarketConfig::default()
        },
        clock: ClockMode::Real,
        token_ttl: Duration::from_secs(args.token_ttl_secs),
        latency: Duration::from_millis(args.latency_ms),
        rate_limit_per_min: args.rate_limit,
        daily_limit: args.daily_limit,
        retry_after_secs: args.retry_after,
        max_page_size: args.max_page_size,
        max_offset: args.max_offset,
        faults: FaultConfig {
            seed: args.seed,
            rate: args.fault_rate,
            kinds: args.faults.clone(),
            schedule: Vec::new(),
        },
        realism: upwork_sandbox::Realism {
            null_rate: args.null_rate,
            sparse_rate: args.sparse_rate,
            renewals_to_top: args.renewals_to_top,
            missing_after: args.missing_after,
            display_value: args.display_value,
            verification: args.verification,
            refuse_batches: args.refuse_batches,
        },
        request_log: args.request_log.clone(),
        ..SandboxConfig::default()
    }
}

/// Runs `upjobpilot sandbox`: starts, prints the URL and credentials, serves until Ctrl-C.
pub fn run(args: &SandboxArgs, runtime: &Runtime) -> Result<Exit, Failure> {
    serve(args, runtime).map_err(Failure::other)?;
    Ok(Exit::Ok)
}

fn serve(args: &SandboxArgs, runtime: &Runtime) -> anyhow::Result<()> {
    let config = to_config(args);
    let port = config.port;
    let sandbox = Sandbox::start(config)
        .with_context(|| format!("cannot start the sandbox on 127.0.0.1:{port}"))?;
    let client = sandbox.client();
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", sandbox.base_url())?;
    writeln!(stdout, "{}", client.id)?;
    writeln!(stdout, "{}", client.secret)?;
    stdout.flush()?;
    drop(stdout);
    tracing::info!(stage = "sandbox", url = %sandbox.base_url(), "sandbox serving; Ctrl-C stops it");
    runtime
        .block_on(tokio::signal::ctrl_c())
        .context("cannot wait for Ctrl-C")?;
    sandbox.shutdown();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use upwork_sandbox::FaultKind;

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
        ])
        .expect("valid arguments");
        let config = to_config(&cli.args);
        assert_eq!(config.clients[0].id, "k");
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
    fn bad_options_are_refused() {
        for bad in [
            &["sandbox", "--fault-rate", "2"][..],
            &["sandbox", "--faults", "504"],
            &["sandbox", "--redirect-uri", "not a url"],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }
}
