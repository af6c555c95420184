//! The command line: clap definitions and one thin function per command.
//!
//! Each command returns the [`Exit`] status it earned or a [`Failure`] that carries its status,
//! the error and, where there is a next step, a hint; `main` prints it and exits.

use crate::auth::{self, LoginOptions, OAuthSettings, TokenSource, TokenStore, Tokens};
use crate::config::{Config, ConfigError, GrantKind};
use crate::exit::Exit;
use crate::pipeline::{self, SyncOptions, SyncReport};
use crate::secret::Secret;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// upjobpilot: your own Upwork job data, in DuckDB, CSV and Parquet.
#[derive(Debug, Parser)]
#[command(
    name = "upjobpilot",
    version,
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
        after_help = "Example (cron, every 10 minutes):\n  */10 * * * * cd ~/jobs && upjobpilot sync --quiet"
    )]
    Sync(SyncArgs),
    /// Export the views in queries/ without fetching.
    #[command(after_help = "Example:\n  upjobpilot export")]
    Export,
    /// Check config, sign-in, endpoints, database and export folder, and say what to fix.
    #[command(after_help = "Example:\n  upjobpilot doctor")]
    Doctor,
    /// Show the searches, their watermarks and the last runs.
    #[command(after_help = "Example:\n  upjobpilot status --json | jq .searches")]
    Status(StatusArgs),
    /// Serve a local stand-in for Upwork's OAuth2 and GraphQL API.
    Sandbox(crate::sandbox::cli::SandboxArgs),
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
    Bench(crate::bench::BenchCommand),
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

/// A command that failed: its exit status, the error, and the next step if there is one.
#[derive(Debug)]
pub struct Failure {
    /// The exit status.
    pub exit: Exit,
    /// What failed.
    pub error: anyhow::Error,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Failure {
    fn new(exit: Exit, error: impl Into<anyhow::Error>) -> Failure {
        Failure {
            exit,
            error: error.into(),
            hint: None,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Failure {
        self.hint = Some(hint.into());
        self
    }
}

impl From<ConfigError> for Failure {
    fn from(error: ConfigError) -> Failure {
        let missing = matches!(&error, ConfigError::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound);
        let failure = Failure::new(Exit::Config, error);
        if missing {
            failure.hint("run `upjobpilot init` to write one, or pass --config")
        } else {
            failure
        }
    }
}

impl From<auth::AuthError> for Failure {
    fn from(error: auth::AuthError) -> Failure {
        let hint = error.hint().map(|h| h.to_string());
        Failure {
            exit: Exit::Auth,
            error: error.into(),
            hint,
        }
    }
}

impl From<pipeline::SyncError> for Failure {
    fn from(error: pipeline::SyncError) -> Failure {
        let exit = error.exit();
        let hint = match &error {
            pipeline::SyncError::Db(db) => db.hint(),
            pipeline::SyncError::Auth(auth) => auth.hint().map(|h| h.to_string()),
            pipeline::SyncError::Locked { .. } => {
                Some("wait for it to finish, or pass --wait-secs to wait".into())
            }
            _ => None,
        };
        Failure {
            exit,
            error: error.into(),
            hint,
        }
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<Exit, Failure> {
    match cli.command {
        Command::Init(args) => crate::init::run(&cli.config, args),
        Command::Auth(AuthCommand::Login(args)) => runtime()?.block_on(login(&cli.config, &args)),
        Command::Auth(AuthCommand::Status) => auth_status(&cli.config),
        Command::Auth(AuthCommand::Logout) => logout(&cli.config),
        Command::Sync(args) => {
            let config = Config::load(&cli.config)?;
            let options = SyncOptions {
                export: !args.no_export,
                lock_wait: Duration::from_secs(args.wait_secs),
                progress: !cli.quiet && std::io::stderr().is_terminal(),
            };
            let report = runtime()?.block_on(sync(&config, &options))?;
            print_sync(&report, cli.quiet);
            finish_sync(&report)
        }
        Command::Export => export(&cli.config),
        Command::Doctor => crate::doctor::run(&cli.config),
        Command::Status(args) => crate::status::run(&cli.config, args.json),
        Command::Sandbox(args) => crate::sandbox::cli::run(args)
            .map(|()| Exit::Ok)
            .map_err(|e| Failure::new(Exit::Failure, e)),
        Command::Demo(args) => crate::demo::run(args),
        Command::Completions(args) => completions(args.shell),
        Command::Bench(command) => crate::bench::run(command)
            .map(|()| Exit::Ok)
            .map_err(|e| Failure::new(Exit::Failure, e)),
    }
}

fn completions(target: CompletionTarget) -> Result<Exit, Failure> {
    use clap::CommandFactory;
    use clap_complete::Shell;
    let mut command = Cli::command();
    let mut out = std::io::stdout();
    let shell = match target {
        CompletionTarget::Bash => Shell::Bash,
        CompletionTarget::Zsh => Shell::Zsh,
        CompletionTarget::Fish => Shell::Fish,
        CompletionTarget::Elvish => Shell::Elvish,
        CompletionTarget::Powershell => Shell::PowerShell,
        CompletionTarget::Man => {
            clap_mangen::Man::new(command)
                .render(&mut out)
                .map_err(|e| Failure::new(Exit::Failure, e))?;
            return Ok(Exit::Ok);
        }
    };
    clap_complete::generate(shell, &mut command, "upjobpilot", &mut out);
    Ok(Exit::Ok)
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::new(Exit::Failure, e))
}

/// The OAuth settings of a config; the secret from the environment or the token store.
pub fn oauth_settings(config: &Config, stored: Option<&Tokens>) -> Result<OAuthSettings, Failure> {
    let env = &config.upwork.client_secret_env;
    let secret = std::env::var(env)
        .ok()
        .filter(|s| !s.is_empty())
        .map(Secret::new)
        .or_else(|| stored.and_then(|t| t.client_secret.clone()))
        .ok_or_else(|| {
            Failure::new(
                Exit::Auth,
                anyhow::anyhow!("no client secret: the environment variable {env} is not set"),
            )
            .hint(format!(
                "export {env}=<your key's secret> (it is kept in the token store after `upjobpilot auth login`)"
            ))
        })?;
    Ok(OAuthSettings {
        client_id: config.upwork.client_id.clone(),
        client_secret: secret,
        authorize_url: config.upwork.authorize_url.clone(),
        token_url: config.upwork.token_url.clone(),
        redirect_uri: config.upwork.redirect_uri.clone(),
        user_agent: crate::upwork::USER_AGENT.to_string(),
        timeout: Duration::from_secs(u64::from(config.upwork.timeout_secs)),
    })
}

fn token_store(config: &Config) -> Result<TokenStore, Failure> {
    Ok(TokenStore::for_client(
        &config.upwork.client_id,
        &config.upwork.token_url,
    )?)
}

/// Signs in as the config says and stores the tokens.
pub async fn login(config_path: &Path, args: &LoginArgs) -> Result<Exit, Failure> {
    let config = Config::load(config_path)?;
    let store = token_store(&config)?;
    let settings = oauth_settings(&config, None)?;
    let tokens = match config.upwork.grant {
        GrantKind::ClientCredentials => auth::client_credentials(&settings).await?,
        GrantKind::AuthorizationCode => {
            let options = LoginOptions {
                open_browser: !args.no_browser,
                timeout: Duration::from_secs(args.timeout_secs),
            };
            auth::login(&settings, &options, |url| {
                eprintln!("Open this URL to sign in to Upwork:\n\n  {url}\n");
            })
            .await?
        }
    };
    store.save(&tokens)?;
    println!("signed in; tokens saved to {}", store.path().display());
    Ok(Exit::Ok)
}

/// Builds the token source a sync uses (client credentials are fetched on the spot).
pub async fn token_source(config: &Config) -> Result<Arc<TokenSource>, Failure> {
    let store = token_store(config)?;
    let stored = store.load()?;
    let tokens = match (stored, config.upwork.grant) {
        (Some(tokens), _) => tokens,
        (None, GrantKind::ClientCredentials) => {
            let settings = oauth_settings(config, None)?;
            let tokens = auth::client_credentials(&settings).await?;
            store.save(&tokens)?;
            tokens
        }
        (None, GrantKind::AuthorizationCode) => {
            return Err(auth::AuthError::NotSignedIn {
                path: store.path().to_path_buf(),
            }
            .into());
        }
    };
    let settings = oauth_settings(config, Some(&tokens))?;
    Ok(Arc::new(TokenSource::new(settings, store, tokens)))
}

/// Runs one sync with the stored sign-in.
pub async fn sync(config: &Config, options: &SyncOptions) -> Result<SyncReport, Failure> {
    let tokens = token_source(config).await?;
    Ok(pipeline::sync(config, tokens, options).await?)
}

fn finish_sync(report: &SyncReport) -> Result<Exit, Failure> {
    let exit = report.exit();
    match (&report.auth_error, &report.spooled) {
        (Some(message), _) => Err(Failure::new(exit, anyhow::anyhow!("{message}"))),
        (None, Some(message)) => Err(Failure::new(
            exit,
            anyhow::anyhow!("{message}; the fetched pages stay in the spool"),
        )
        .hint("the next `upjobpilot sync` loads them")),
        (None, None) => Ok(exit),
    }
}

/// Prints a sync's summary on stdout.
pub fn print_sync(report: &SyncReport, quiet: bool) {
    if quiet {
        return;
    }
    for search in &report.searches {
        let status = match search.status {
            pipeline::spool::SearchStatus::Complete => "ok",
            pipeline::spool::SearchStatus::Truncated => "truncated",
            pipeline::spool::SearchStatus::Failed => "failed",
        };
        println!(
            "{:<24} {:>9} {:>4} pages {:>6} postings{}",
            search.name,
            status,
            search.pages,
            search.postings,
            search
                .note
                .as_ref()
                .map(|n| format!("  ({n})"))
                .unwrap_or_default()
        );
    }
    if let Some(load) = &report.load {
        println!(
            "loaded {} postings from {} pages: {} new, {} changed, {} quarantined; {} requests in {:.1}s",
            load.postings,
            load.pages,
            load.new_postings,
            load.changed_postings,
            load.quarantined,
            report.requests,
            report.elapsed.as_secs_f64()
        );
    }
    for file in &report.exported {
        println!("exported {}", file.display());
    }
}

fn export(config_path: &Path) -> Result<Exit, Failure> {
    let config = Config::load(config_path)?;
    let database = config.database_path();
    let _lock = pipeline::lock(&database, Duration::ZERO)?;
    let conn = crate::db::open(&database).map_err(pipeline::SyncError::from)?;
    let files = pipeline::export_views(&config, &conn)?;
    for file in files {
        println!("exported {}", file.display());
    }
    Ok(Exit::Ok)
}

fn auth_status(config_path: &Path) -> Result<Exit, Failure> {
    let config = Config::load(config_path)?;
    let store = token_store(&config)?;
    match store.load()? {
        Some(tokens) => {
            println!("{}", auth::status(&tokens));
            println!("token file: {}", store.path().display());
            Ok(Exit::Ok)
        }
        None => Err(Failure::new(
            Exit::Auth,
            anyhow::anyhow!("not signed in (no tokens at {})", store.path().display()),
        )
        .hint("run `upjobpilot auth login`")),
    }
}

fn logout(config_path: &Path) -> Result<Exit, Failure> {
    let config = Config::load(config_path)?;
    let store = token_store(&config)?;
    if store.delete()? {
        println!("signed out; deleted {}", store.path().display());
    } else {
        println!("not signed in; nothing to delete");
    }
    Ok(Exit::Ok)
}
