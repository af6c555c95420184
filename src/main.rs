//! The `upjobpilot` binary: parse the command line, set up logging, build the one tokio
//! runtime, run the command, print its error chain and hint, exit with its status.

use clap::Parser;
use std::io::IsTerminal;
use std::process::ExitCode;
use upjobpilot::cli::{Cli, LogFormat};
use upjobpilot::exit::Exit;
use upjobpilot::failure::Failure;

/// jemalloc, on x86_64 Linux (Cargo.toml says why not elsewhere), for Rust and, through its
/// unprefixed `malloc`, for DuckDB's C++. Measured with `bench load` (release, 100k postings,
/// BENCHMARKS.md "sixth session"): glibc's malloc, free and their page faults were about a
/// tenth of the load's profile; jemalloc took the load from 5.9-6.1 s to 4.8-5.0 s, mimalloc to
/// 4.9-5.1 s.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read when it starts (the `MALLOC_CONF` variable still overrides them):
/// one arena, as the load's few threads need no more (each thread's cache takes most
/// allocations), and dirty pages given back after a second and at once when purged. With its
/// defaults the load's peak RSS was 223-236 MB at 100k; with these 209-210 MB, glibc's 210-213.
/// A background thread does the purging: without it jemalloc purges only when the process
/// allocates, and a dashboard left idle after 400 page loads held 129 MB for over 5 s (glibc
/// 57 MB); with it, 53 MB 5 s later. It costs the load 7-14 MB of peak at 100k (215-222 MB
/// against 206-208), not time: a dashboard, `watch` or the MCP server idles for long.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[unsafe(export_name = "malloc_conf")]
static MALLOC_CONF: MallocConf =
    MallocConf(c"narenas:1,dirty_decay_ms:1000,muzzy_decay_ms:0,background_thread:true".as_ptr());

/// A C string pointer jemalloc reads as its `const char *malloc_conf`.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[repr(transparent)]
struct MallocConf(*const std::ffi::c_char);

// SAFETY: it points at a string literal, never written.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
unsafe impl Sync for MallocConf {}

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
