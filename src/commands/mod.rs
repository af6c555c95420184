//! The commands: one file each, and the dispatch from the parsed command line to them.
//!
//! Each command takes its arguments (and the one tokio runtime `main` built, where it needs one)
//! and returns the [`Exit`] status it earned or a [`Failure`]. Commands sit at the top of the
//! crate: they use the pipeline, the Upwork client, the database, auth and config, and nothing
//! below imports them. [`context`] is what they share.

pub mod alerts;
pub mod auth;
pub mod bench;
pub mod completions;
pub mod context;
pub mod demo;
pub mod doctor;
pub mod export;
pub mod init;
pub mod mcp;
pub mod renormalize;
pub mod reset;
pub mod sandbox;
pub mod schedule;
pub mod serve;
pub mod status;
pub mod sync;
pub mod watch;

use crate::cli::{AlertsCommand, AuthCommand, Cli, Command, ScheduleCommand};
use crate::exit::Exit;
use crate::failure::Failure;
use tokio::runtime::Runtime;

/// Runs the parsed command line on `runtime`.
pub fn run(cli: Cli, runtime: &Runtime) -> Result<Exit, Failure> {
    let config = cli.config.as_path();
    match cli.command {
        Command::Init(args) => init::run(config, args, runtime),
        Command::Auth(AuthCommand::Login(args)) => auth::login(config, &args, runtime),
        Command::Auth(AuthCommand::Status) => auth::status(config),
        Command::Auth(AuthCommand::Logout) => auth::logout(config),
        Command::Sync(args) => sync::run(config, &args, cli.quiet, runtime),
        Command::Watch(args) => watch::run(config, &args, cli.quiet, runtime),
        Command::Schedule(ScheduleCommand::Install(args)) => schedule::install(config, &args),
        Command::Schedule(ScheduleCommand::Status) => schedule::status(config),
        Command::Schedule(ScheduleCommand::Remove(args)) => schedule::remove(args.dry_run),
        Command::Schedule(ScheduleCommand::Show(args)) => schedule::show(config, &args),
        Command::Export => export::run(config),
        Command::Doctor => doctor::run(config, runtime),
        Command::Status(args) => status::run(config, args.json),
        Command::Alerts(AlertsCommand::Status(args)) => alerts::status(config, args.json),
        Command::Alerts(AlertsCommand::Test(args)) => alerts::test(config, &args.name),
        Command::Sandbox(args) => sandbox::run(&args, runtime),
        Command::Serve(args) => serve::run(config, &args, cli.quiet, runtime),
        Command::Mcp(args) => mcp::run(config, &args, runtime),
        Command::Demo(args) => demo::run(args, runtime),
        Command::Reset(args) => reset::run(config, &args),
        Command::Renormalize(args) => renormalize::run(config, &args),
        Command::Completions(args) => completions::run(args.shell),
        Command::Bench(command) => bench::run(command, runtime),
    }
}
