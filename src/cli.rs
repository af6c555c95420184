//! The command line: the clap definitions and nothing else.
//!
//! `main` parses these and hands them to [`crate::commands::run`], which dispatches to one file
//! per command under `src/commands/`. Every `--help` text and example lives here, so the man page
//! and the shell completions (`upjobpilot completions`) come from one place; the one exception is
//! `upjobpilot sandbox`, whose options live with the sandbox (`upwork_sandbox::SandboxArgs`) and
//! are only named here.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use upwork_sandbox::SandboxArgs;

/// upjobpilot: your own Upwork job data, in DuckDB, CSV and Parquet.
#[derive(Debug, Parser)]
#[command(
    name = "upjobpilot",
    version,
    long_version = crate::version::long(),
    about,
    after_help = "Examples:\n  upjobpilot demo                 run the whole pipeline on the built-in sandbox\n  upjobpilot init                 write pipeline.toml\n  upjobpilot auth login           sign in to Upwork\n  upjobpilot sync                 fetch new postings, load them, export the views\n\nExit statuses: 0 ok, 1 failure, 2 usage, 3 partial sync, 4 config error, 5 auth error,\n6 locked by another sync, 7 database busy (pages kept in the spool)."
)]
pub struct Cli {
    /// The configuration file.
    #[arg(
        long,
        global = true,
        env = "UPJOBPILOT_CONFIG",
        default_value = "pipeline.toml"
    )]
    pub config: PathBuf,
    /// More log output (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// How log events are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented pipeline.toml; once signed in, add searches from your profile.
    #[command(
        after_help = "Examples:\n  upjobpilot init --client-id abc123 --keywords \"rust, tokio\"\n  upjobpilot init --from-profile    # after `upjobpilot auth login`"
    )]
    Init(InitArgs),
    /// Sign in to Upwork, show or forget the sign-in.
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Fetch new postings for every search, load them into DuckDB, export the views.
    #[command(
        after_help = "Examples:\n  upjobpilot sync\n  upjobpilot schedule install --every 10m   run it every 10 minutes (systemd, cron, launchd, Task Scheduler)"
    )]
    Sync(SyncArgs),
    /// Keep syncing every interval (alerts included) until SIGTERM or Ctrl-C.
    #[command(
        after_help = "Examples (`upjobpilot schedule install --watch` runs it as a service):\n  upjobpilot watch                      every 18 s for up to 50 searches\n  upjobpilot watch --interval-secs 120\n\nWithout --interval-secs it polls as often as a quarter of the daily budget allows\n(counting each poll's signals), but not more than every 15 s. It prints the interval and the requests a day it will\nuse, and refuses an interval that would take more than 80% of the daily budget.\nOn SIGTERM or Ctrl-C it finishes the sync in progress and exits with status 0."
    )]
    Watch(WatchArgs),
    /// Run sync (or watch) on a schedule: a systemd user timer, cron, launchd or Task Scheduler.
    #[command(
        subcommand,
        after_help = "Examples:\n  upjobpilot schedule install                 sync every 10 minutes, in this folder\n  upjobpilot schedule install --every 1h      every hour on the hour\n  upjobpilot schedule install --watch         one long-running `watch` instead\n  upjobpilot schedule install --dry-run       print the files and commands, change nothing\n  upjobpilot schedule status                  what is installed and when it last ran\n  upjobpilot schedule remove\n  upjobpilot schedule show upjobpilot-sync.xml > task.xml   the Task Scheduler XML (UTF-16)\n\nThe schedule runs this binary with the absolute path of --config, in the config's folder.\nInstalling again replaces it."
    )]
    Schedule(ScheduleCommand),
    /// Export the views in queries/ without fetching.
    #[command(after_help = "Example:\n  upjobpilot export")]
    Export,
    /// Check config, sign-in, endpoints, database and export folder, and say what to fix.
    #[command(after_help = "Example:\n  upjobpilot doctor")]
    Doctor,
    /// Show the searches, their watermarks and the last runs.
    #[command(after_help = "Example:\n  upjobpilot status --json | jq .searches")]
    Status(StatusArgs),
    /// Show the alert rules' deliveries, or send a sample posting through one.
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// Serve a local stand-in for Upwork's OAuth2 and GraphQL API.
    Sandbox(SandboxArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell) or the man page.
    #[command(
        after_help = "Examples:\n  upjobpilot completions bash > ~/.local/share/bash-completion/completions/upjobpilot\n  upjobpilot completions man > ~/.local/share/man/man1/upjobpilot.1"
    )]
    Completions(CompletionsArgs),
    /// Measure load, export and sync against their references (see BENCHMARKS.md).
    #[command(
        subcommand,
        after_help = "Example:\n  upjobpilot bench load --postings 100000 --export"
    )]
    Bench(BenchCommand),
    /// Forget where searches stopped, so the next sync fetches back to `max_age_hours`.
    #[command(
        after_help = "Examples:\n  upjobpilot reset --search rust          forget one search's watermark\n  upjobpilot reset --search rust --postings --yes   also drop what it found (scripts)"
    )]
    Reset(ResetArgs),
    /// Rebuild the typed tables from the stored raw JSON (after an upgrade that adds or fixes a
    /// column); resumable.
    #[command(after_help = "Example:\n  upjobpilot renormalize --batch 5000")]
    Renormalize(RenormalizeArgs),
    /// Browse, filter and label the stored postings in a local dashboard (loopback only).
    #[command(
        after_help = "Examples:\n  upjobpilot serve --open\n  upjobpilot serve --watch   the dashboard and the syncs in one process"
    )]
    Serve(ServeArgs),
    /// Serve the stored postings, your labels and the market to an AI assistant over MCP
    /// (stdio).
    #[command(
        after_help = "Examples:\n  upjobpilot mcp --print-config claude   the snippet for claude_desktop_config.json\n  upjobpilot mcp --read-only              without the label_posting tool"
    )]
    Mcp(McpArgs),
    /// Run the whole pipeline against the built-in sandbox, in a new folder.
    #[command(after_help = "Example:\n  upjobpilot demo --dir /tmp/upjobpilot-demo")]
    Demo(DemoArgs),
}

/// `auth` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Sign in with the browser (authorization code) or the key alone (client credentials).
    #[command(
        after_help = "Example:\n  UPWORK_CLIENT_SECRET=... upjobpilot auth login --no-browser"
    )]
    Login(LoginArgs),
    /// Show who is signed in and when the token expires.
    #[command(after_help = "Example:\n  upjobpilot auth status")]
    Status,
    /// Delete the stored tokens.
    #[command(after_help = "Example:\n  upjobpilot auth logout")]
    Logout,
}

/// `schedule` subcommands.
#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// Install the schedule (or replace the one installed) for this config.
    #[command(
        after_help = "Examples:\n  upjobpilot --config ~/jobs/pipeline.toml schedule install --every 15m\n  upjobpilot schedule install --watch --every 2m\n\nThe webhook variables the config names (and the client secret's, and any\nUPJOBPILOT_* folder variable) are read from this environment and handed to the\nscheduler in a file only you can read (Linux, macOS); on Windows set them with `setx`.\nA variable the config names that is not set is a warning; the install goes on."
    )]
    Install(ScheduleInstallArgs),
    /// Whether a schedule is installed, what it runs, and when it last ran.
    #[command(after_help = "Example:\n  upjobpilot schedule status")]
    Status,
    /// Remove the installed schedule (and its variables file).
    #[command(after_help = "Example:\n  upjobpilot schedule remove --dry-run")]
    Remove(ScheduleRemoveArgs),
    /// Print one file that `install` writes, exactly (list the names without one).
    #[command(
        after_help = "Examples:\n  upjobpilot schedule show\n  upjobpilot schedule show upjobpilot-sync.timer --every 1h\n  upjobpilot schedule show upjobpilot-sync.xml > task.xml\n\nAny system's files can be shown on any system. Redirected, the Task Scheduler XML\nis written as `schtasks /XML` reads it: UTF-16LE with a byte order mark; on a\nterminal it is shown as text. Variables' values are never shown."
    )]
    Show(ScheduleShowArgs),
}

/// `schedule install` options.
#[derive(Debug, Args)]
pub struct ScheduleInstallArgs {
    /// How often: minutes that divide an hour (1m, 2m, 5m, 10m, 15m, 30m, ...) or hours that
    /// divide a day (1h, 2h, ... 24h); runs stay on the clock. Default 10m (2m with --watch).
    #[arg(long, value_name = "INTERVAL")]
    pub every: Option<crate::schedule::Every>,
    /// Install one long-running `upjobpilot watch` (restarted when it fails) instead of a sync
    /// on a timer.
    #[arg(long)]
    pub watch: bool,
    /// Print every file it would write and every command it would run; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `schedule remove` options.
#[derive(Debug, Args)]
pub struct ScheduleRemoveArgs {
    /// Print what it would delete and run; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `schedule show` options.
#[derive(Debug, Args)]
pub struct ScheduleShowArgs {
    /// The file, by its name in contrib/ (none: list them).
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(crate::schedule::file_names().into_iter().map(|(name, _, _)| name)))]
    pub name: Option<String>,
    /// As for `install`.
    #[arg(long, value_name = "INTERVAL")]
    pub every: Option<crate::schedule::Every>,
    /// As for `install` (for `crontab`; the other names say which kind they are).
    #[arg(long)]
    pub watch: bool,
}

/// `alerts` subcommands.
#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Each rule's deliveries (sent, waiting, suppressed, the last one, failures in a row) and
    /// the health notices open now.
    #[command(after_help = "Example:\n  upjobpilot alerts status --json")]
    Status(StatusArgs),
    /// Send a sample posting through a rule's channel, to check the webhook or the command.
    #[command(
        after_help = "Example:\n  SLACK_WEBHOOK_URL=https://hooks.slack.com/... upjobpilot alerts test rust-to-slack"
    )]
    Test(AlertTestArgs),
}

/// `alerts test` options.
#[derive(Debug, Args)]
pub struct AlertTestArgs {
    /// The `[[alert]]` rule's name.
    pub name: String,
}

/// `auth login` options.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Print the sign-in URL instead of opening a browser.
    #[arg(long)]
    pub no_browser: bool,
    /// Seconds to wait for the browser to come back.
    #[arg(long, default_value_t = 300)]
    pub timeout_secs: u64,
}

/// `sync` options.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Do not export the views after loading.
    #[arg(long)]
    pub no_export: bool,
    /// Seconds to wait for another running sync before exiting with status 6.
    #[arg(long, default_value_t = 0)]
    pub wait_secs: u64,
}

/// Postings `renormalize` rebuilds per transaction unless told: about a load's batch under the
/// default memory limit (12.8 MB of pages). Measured on a million stored postings (release,
/// DuckDB 2.0.1, `bench load --renormalize --renormalize-batch N`): 2,000 took 188 s (2.4× the
/// load) at 324 MB peak, 4,000 took 132 s (1.7×) at 347 MB.
pub const DEFAULT_RENORMALIZE_BATCH: u32 = 4000;

/// `renormalize` options.
#[derive(Debug, Args)]
pub struct RenormalizeArgs {
    /// Postings rebuilt per transaction.
    #[arg(long, default_value_t = DEFAULT_RENORMALIZE_BATCH, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub batch: u32,
}

/// `reset` options.
#[derive(Debug, Args)]
pub struct ResetArgs {
    /// The search to reset (default: every search in the config).
    #[arg(long, value_name = "NAME")]
    pub search: Option<String>,
    /// Also drop the search's hits (which postings it found); the postings, labels and alert
    /// bookkeeping stay.
    #[arg(long)]
    pub postings: bool,
    /// Do not ask (needed off a terminal).
    #[arg(long, short)]
    pub yes: bool,
}

/// `watch`'s daily budget when none is given: Upwork's documented daily limit.
pub const DEFAULT_DAILY_BUDGET: u64 = 40_000;

/// `watch` options.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Seconds from the start of one sync to the start of the next, 10 to 86400. Default: the
    /// shortest interval, 15 s or more, at which the polls and their signals take at most a
    /// quarter of the daily budget (18 s for up to 50 searches at the default budget; 15 s with
    /// `[signals] top = 0`).
    #[arg(long, value_parser = clap::value_parser!(u64).range(10..=86_400))]
    pub interval_secs: Option<u64>,
    /// Requests a day the key may use (Upwork's documented daily limit is 40000); an interval
    /// whose idle polls alone would take more than 80% of it is refused.
    #[arg(long, default_value_t = DEFAULT_DAILY_BUDGET, value_parser = clap::value_parser!(u64).range(1..))]
    pub daily_budget: u64,
    /// Do not export the views after each sync.
    #[arg(long)]
    pub no_export: bool,
}

/// `serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port on 127.0.0.1 and [::1] (0: any free port).
    #[arg(long, default_value_t = crate::serve::DEFAULT_PORT)]
    pub port: u16,
    /// Open the dashboard in the browser.
    #[arg(long)]
    pub open: bool,
    /// Also sync every `--interval-secs` in this process, as `upjobpilot watch` does (alerts
    /// included), so one program runs.
    #[arg(long)]
    pub watch: bool,
    /// With --watch: seconds from the start of one sync to the start of the next, 10 to 86400
    /// (default: chosen from the budget, see `upjobpilot watch --help`).
    #[arg(long, requires = "watch", value_parser = clap::value_parser!(u64).range(10..=86_400))]
    pub interval_secs: Option<u64>,
    /// With --watch: requests a day the key may use (see `upjobpilot watch --help`).
    #[arg(long, default_value_t = DEFAULT_DAILY_BUDGET, requires = "watch", value_parser = clap::value_parser!(u64).range(1..))]
    pub daily_budget: u64,
}

/// `mcp` options.
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Leave out `label_posting`, the one tool that writes (to the local `labels` table).
    #[arg(long)]
    pub read_only: bool,
    /// Print the configuration snippet for this MCP client, with this binary's and the config's
    /// absolute paths, and exit.
    #[arg(long, value_name = "CLIENT")]
    pub print_config: Option<crate::mcp::client_config::Client>,
}

/// `status` options.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

/// `init` options.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The key's client id (asked for on a terminal when missing).
    #[arg(long)]
    pub client_id: Option<String>,
    /// Comma-separated keywords for a first search.
    #[arg(long)]
    pub keywords: Option<String>,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
    /// Once signed in: add a search for the skills on your Upwork profile to the existing
    /// config, and make them the `[profile]` skills.
    #[arg(long, conflicts_with_all = ["client_id", "keywords", "force"])]
    pub from_profile: bool,
    /// With --from-profile: write without asking.
    #[arg(long, short, requires = "from_profile")]
    pub yes: bool,
}

/// `completions` options.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// A shell, or `man` for the man page.
    pub shell: CompletionTarget,
}

/// What `completions` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionTarget {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
    /// Elvish.
    Elvish,
    /// PowerShell.
    Powershell,
    /// A roff man page.
    Man,
}

/// `demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The folder for the demo's config, database and exports (default: a new folder here).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The sandbox market's seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

/// `bench` subcommands.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Spool N postings and load them; compare with DuckDB's read_json.
    Load(BenchLoadArgs),
    /// Sync against a sandbox process with latency and a rate limit; compare with the bound.
    Sync(BenchSyncArgs),
    /// Time the dashboard's pages over a database of N postings, and its memory over many loads.
    Serve(BenchServeArgs),
    /// Time `upjobpilot mcp` over stdio: readiness, `search_postings` and `get_posting` over a
    /// database of N postings.
    Mcp(BenchMcpArgs),
}

/// `bench mcp` options.
#[derive(Debug, Args)]
pub struct BenchMcpArgs {
    /// Postings in the database.
    #[arg(long, default_value_t = 100_000)]
    pub postings: usize,
    /// Working folder (default: a temp folder). Its spool and database are reused by later runs
    /// with the same size (`bench serve` makes the same).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Timed runs of each call and of the start (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
}

/// `bench serve` options.
#[derive(Debug, Args)]
pub struct BenchServeArgs {
    /// Postings in the database.
    #[arg(long, default_value_t = 100_000)]
    pub postings: usize,
    /// Working folder (default: a temp folder). Its spool and database are reused by later runs
    /// with the same size.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Timed loads of each page (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Page loads between the two memory readings.
    #[arg(long, default_value_t = 1000)]
    pub loads: usize,
}

/// `bench load` options.
#[derive(Debug, Args)]
pub struct BenchLoadArgs {
    /// Postings to generate.
    #[arg(long, default_value_t = 100_000)]
    pub postings: usize,
    /// Postings per spooled page.
    #[arg(long, default_value_t = 100)]
    pub page_size: usize,
    /// Working folder (default: a temp folder). A spool generated there by an earlier run with
    /// the same sizes is reused, so the figure's peak RSS is the load's own.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Only generate the spool in `--dir` (for later runs to reuse).
    #[arg(long, requires = "dir")]
    pub generate_only: bool,
    /// Also export every view and compare with COPY.
    #[arg(long)]
    pub export: bool,
    /// Run only the reference (DuckDB read_json), for its own RSS.
    #[arg(long)]
    pub reference_only: bool,
    /// Skip the reference (for profiling the load alone).
    #[arg(long, conflicts_with = "reference_only")]
    pub no_reference: bool,
    /// Page bytes merged per batch (default: what the pipeline uses for the memory limit).
    #[arg(long)]
    pub batch_bytes: Option<usize>,
    /// DuckDB's memory limit for the load (the pipeline's default unless given).
    #[arg(long, default_value = "128MB")]
    pub memory_limit: String,
    /// Then rebuild every loaded posting from its raw JSON (`upjobpilot renormalize`) and
    /// compare with the load.
    #[arg(long, conflicts_with = "reference_only")]
    pub renormalize: bool,
    /// Postings the renormalize rebuilds per transaction (`renormalize --batch`).
    #[arg(long, default_value_t = DEFAULT_RENORMALIZE_BATCH, requires = "renormalize", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub renormalize_batch: u32,
}

/// `bench sync` options.
#[derive(Debug, Args)]
pub struct BenchSyncArgs {
    /// Latency the sandbox adds to every request.
    #[arg(long, default_value_t = 100)]
    pub latency_ms: u64,
    /// Requests per minute (client and sandbox).
    #[arg(long, default_value_t = 300)]
    pub rate_limit: u32,
    /// Postings in the sandbox market.
    #[arg(long, default_value_t = 10_000)]
    pub postings: usize,
    /// One search that pages through the whole market (for peak RSS at N postings) instead of
    /// four overlapping searches.
    #[arg(long)]
    pub scan: bool,
}
