//! The `upjobpilot` binary: parse the command line, set up logging, build the one tokio
//! runtime, run the command, print its error chain and hint, exit with its status.

use clap::Parser;
use std::io::IsTerminal;
use std::process::ExitCode;
use upjobpilot::cli::{Cli, LogFormat};
use upjobpilot::exit::Exit;
use upjobpilot::failure::Failure;

fn main() -> ExitCode {
    upjobpilot::platform::init_process();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // --help and --version are not errors.
            let _ = error.print();
            return if error.use_stderr() {
                Exit::Usage.into()
            } else {
                Exit::Ok.into()
            };
        }
    };
    init_tracing(&cli);
    let result = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Failure::other)
        .and_then(|runtime| upjobpilot::commands::run(cli, &runtime));
    match result {
        Ok(exit) => exit.into(),
        Err(failure) => {
            if is_broken_pipe(&failure.error) {
                return Exit::Ok.into();
            }
            eprintln!("error: {}", format_chain(&failure.error));
            if let Some(hint) = &failure.hint {
                eprintln!("hint: {hint}");
            }
            failure.exit.into()
        }
    }
}

fn init_tracing(cli: &Cli) {
    let terminal = std::io::stderr().is_terminal();
    // Quiet by default off a terminal (cron mails whatever is printed); -v brings logs back.
    let level = match (cli.quiet, cli.verbose, terminal) {
        (true, _, _) => "error",
        (false, 0, false) => "warn",
        (false, 0, true) => "warn",
        (false, 1, _) => "info",
        (false, 2, _) => "debug",
        _ => "trace",
    };
    // The sandbox crate logs under its own name; -v and -q govern it as they do ours.
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("UPJOBPILOT_LOG").unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new(format!(
                "upjobpilot={level},upwork_sandbox={level},warn"
            ))
        });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(terminal && std::env::var_os("NO_COLOR").is_none());
    match cli.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn format_chain(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
