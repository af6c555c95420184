//! `upjobpilot demo`: the whole pipeline against the built-in sandbox, in a new folder.
//!
//! It starts the sandbox in-process, writes a `pipeline.toml` that points at it, signs in through
//! the real authorization-code flow (the demo plays the browser: it follows the sandbox's
//! redirect to the callback), syncs, moves the sandbox clock two hours on, syncs again, and prints
//! what was stored and where. Nothing in the pipeline knows it is talking to the sandbox except
//! the URLs in the config.

use super::context::Context;
use crate::auth::{self, LoginOptions, TokenStore};
use crate::cli::DemoArgs;
use crate::config::Config;
use crate::db::sql;
use crate::exit::Exit;
use crate::failure::Failure;
use crate::pipeline::{SyncOptions, SyncReport, views};
use crate::secret::Secret;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::runtime::Runtime;
use upwork_sandbox::{ClientSpec, Sandbox, SandboxConfig};

const DEMO_CLIENT_ID: &str = "upjobpilot-demo";

fn fail(error: impl Into<anyhow::Error>) -> Failure {
    Failure::other(error)
}

/// Runs the demo.
pub fn run(args: DemoArgs, runtime: &Runtime) -> Result<Exit, Failure> {
    let dir = match args.dir {
        Some(dir) => dir,
        None => PathBuf::from(format!(
            "upjobpilot-demo-{}",
            chrono::Utc::now().format("%Y%m%d-%H%M%S")
        )),
    };
    views::write_default_views(&dir.join("queries")).map_err(fail)?;
    let callback_port = free_port().map_err(fail)?;
    let redirect_uri = format!("http://127.0.0.1:{callback_port}/callback");
    let secret = format!("demo-secret-{:016x}", rand::random::<u64>());
    // The demo's token file lives in the demo folder, so a demo never touches a real sign-in.
    let token_file = std::path::absolute(&dir)
        .map_err(fail)?
        .join("demo-tokens.json");
    let mut sandbox_config = SandboxConfig {
        port: 0,
        clients: vec![ClientSpec {
            id: DEMO_CLIENT_ID.into(),
            secret: secret.clone(),
            redirect_uri: redirect_uri.clone(),
            ..ClientSpec::default()
        }],
        ..SandboxConfig::default()
    };
    sandbox_config.market.seed = args.seed;
    let sandbox = Sandbox::start(sandbox_config).map_err(fail)?;
    let base = sandbox.base_url();
    let config_path = dir.join("pipeline.toml");
    std::fs::write(&config_path, demo_config(&base, &redirect_uri)).map_err(fail)?;
    let context = Context::with(
        Config::load(&config_path)?,
        TokenStore::at(token_file),
        Some(Secret::new(secret)),
    );
    let progress = std::io::stderr().is_terminal();
    let (first, second) = runtime.block_on(async {
        sign_in(&context).await?;
        println!("signed in to the sandbox at {base} (authorization code flow, state checked)");
        let options = SyncOptions {
            export: false,
            lock_wait: Duration::from_secs(5),
            progress,
            busy_wait: super::sync::BUSY_WAIT,
        };
        let first = super::sync::sync(&context, &options).await?;
        sandbox.advance(chrono::Duration::hours(2).to_std().unwrap_or_default());
        let options = SyncOptions {
            export: true,
            ..options
        };
        let second = super::sync::sync(&context, &options).await?;
        Ok::<_, Failure>((first, second))
    })?;
    summary(&dir, &context.config, &first, &second, &sandbox).map_err(fail)?;
    sandbox.shutdown();
    Ok(Exit::Ok)
}

async fn sign_in(context: &Context) -> Result<(), Failure> {
    let settings = context.oauth_settings(None)?;
    let options = LoginOptions {
        open_browser: false,
        timeout: Duration::from_secs(30),
    };
    let (url_tx, url_rx) = std::sync::mpsc::channel::<String>();
    // The browser's part: follow the authorize redirect to the callback.
    let browser = std::thread::spawn(move || -> Result<(), String> {
        let url = url_rx.recv().map_err(|e| e.to_string())?;
        let client = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        let response = client.get(&url).send().map_err(|e| e.to_string())?;
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .ok_or("the sandbox did not redirect")?
            .to_string();
        client.get(&location).send().map_err(|e| e.to_string())?;
        Ok(())
    });
    let tokens = auth::login(&settings, &options, |url| {
        let _ = url_tx.send(url.to_string());
    })
    .await?;
    browser
        .join()
        .map_err(|_| fail(anyhow::anyhow!("the demo browser thread panicked")))?
        .map_err(|e| fail(anyhow::anyhow!("demo browser: {e}")))?;
    context.store().save(&tokens)?;
    Ok(())
}

fn demo_config(base: &str, redirect_uri: &str) -> String {
    format!(
        r#"# Written by `upjobpilot demo`: the same pipeline, pointed at the built-in sandbox.
[upwork]
client_id = "{DEMO_CLIENT_ID}"
redirect_uri = "{redirect_uri}"
authorize_url = "{base}/ab/account-security/oauth2/authorize"
token_url = "{base}/api/v3/oauth2/token"
graphql_url = "{base}/graphql"
requests_per_minute = 300

[profile]
skills = ["python", "sql", "rust", "react"]
hourly_rate = 60

[storage]
database = "upjobpilot.duckdb"
spool_dir = "spool"
queries_dir = "queries"

[export]
dir = "exports"
formats = ["csv", "parquet"]
partitioned = ["fit_score"]

[[search]]
name = "rust"
expression = "rust"
max_age_hours = 24

[[search]]
name = "python-data"
skills = ["python", "pandas", "sql"]
max_age_hours = 24

[[search]]
name = "web-fixed-price"
job_type = "fixed"
budget = {{ min = 500 }}
max_age_hours = 24

[[search]]
name = "design-expert"
expression = "design"
experience = "expert"
max_age_hours = 24
"#
    )
}

fn summary(
    dir: &Path,
    config: &Config,
    first: &SyncReport,
    second: &SyncReport,
    sandbox: &Sandbox,
) -> anyhow::Result<()> {
    let conn = crate::db::open(&config.database_path())?;
    let total: i64 = conn.query_row("SELECT count(*) FROM jobs", [], |r| r.get(0))?;
    println!();
    println!(
        "first sync: {} requests, {} postings new",
        first.requests,
        first.load.as_ref().map_or(0, |l| l.new_postings)
    );
    println!(
        "two hours later (sandbox clock): {} requests, {} postings new, {} changed",
        second.requests,
        second.load.as_ref().map_or(0, |l| l.new_postings),
        second.load.as_ref().map_or(0, |l| l.changed_postings)
    );
    println!();
    println!("{:<20} {:>9}", "search", "postings");
    let mut stmt = conn.prepare(sql::HITS_PER_SEARCH)?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    for row in rows {
        let (search, count) = row?;
        println!("{search:<20} {count:>9}");
    }
    println!("{:<20} {:>9}", "(distinct postings)", total);
    println!();
    // `absolute`, not `canonicalize`: the paths a user copies, without Windows' `\\?\` prefix.
    let dir = std::path::absolute(dir)?;
    println!("database: {}", dir.join("upjobpilot.duckdb").display());
    for file in &second.exported.written {
        println!("export:   {}", std::path::absolute(file)?.display());
    }
    for (file, why) in &second.exported.held {
        println!("kept:     {} ({why})", std::path::absolute(file)?.display());
    }
    println!();
    println!(
        "open it:  duckdb {}  then  SELECT * FROM new_postings;",
        dir.join("upjobpilot.duckdb").display()
    );
    println!(
        "or:       upjobpilot status --config {}",
        dir.join("pipeline.toml").display()
    );
    println!(
        "browse:   upjobpilot serve --config {}",
        dir.join("pipeline.toml").display()
    );
    println!("sandbox:  {} requests served", sandbox.stats().total);
    Ok(())
}

fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
