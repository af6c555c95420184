//! `upjobpilot sandbox`: serve the sandbox on localhost until Ctrl-C.
//!
//! Scripts drive it, so its output is an interface: the first line of standard output is the base
//! URL, the second the client id, the third the client secret; everything else goes to standard
//! error. The options set the registered client, the market, the limits and the faults; they live
//! with the sandbox ([`SandboxArgs`], each documented in `--help`, which also turns them into the
//! sandbox's configuration), and the README has a section on the command.

use crate::exit::Exit;
use crate::failure::Failure;
use anyhow::Context as _;
use std::io::Write;
use tokio::runtime::Runtime;
use upwork_sandbox::{Sandbox, SandboxArgs};

/// Runs `upjobpilot sandbox`: starts, prints the URL and credentials, serves until Ctrl-C.
pub fn run(args: &SandboxArgs, runtime: &Runtime) -> Result<Exit, Failure> {
    serve(args, runtime).map_err(Failure::other)?;
    Ok(Exit::Ok)
}

fn serve(args: &SandboxArgs, runtime: &Runtime) -> anyhow::Result<()> {
    let config = args.to_config();
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
    let stopped = {
        let _runtime = runtime.enter();
        crate::platform::stop_signal().context("cannot wait for Ctrl-C")?
    };
    runtime.block_on(stopped);
    sandbox.shutdown();
    Ok(())
}
