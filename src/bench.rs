//! `upjobpilot bench`: the benchmarks behind BENCHMARKS.md, each against its reference measured
//! in the same run.
//!
//! - `load`: N postings from the sandbox's market generator, spooled as search pages, loaded into
//!   a new database, against DuckDB's own `read_json` loading the same files into a table.
//! - `export`: every view to CSV and Parquet, against DuckDB's own `COPY (SELECT * FROM view)`.
//! - `sync`: a first and an idle sync of several searches against the sandbox with added latency
//!   and Upwork's rate limit, against the bound that the limit and the latency set.
//!
//! Each prints one JSON line (with the process's peak RSS), so `scripts/bench` can run every
//! figure in a fresh process and take medians.

use crate::config::Config;
use crate::pipeline::{self, SyncOptions, load, spool};
use crate::sandbox::market::{Market, MarketConfig};
use crate::sandbox::{Sandbox, SandboxConfig};
use clap::{Args, Subcommand};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `bench` subcommands.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Spool N postings and load them; compare with DuckDB's read_json.
    Load(LoadArgs),
    /// Sync against the sandbox with latency and Upwork's rate limit; compare with the bound.
    Sync(SyncArgs),
}

/// `bench load` options.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Postings to generate.
    #[arg(long, default_value_t = 100_000)]
    pub postings: usize,
    /// Postings per spooled page.
    #[arg(long, default_value_t = 100)]
    pub page_size: usize,
    /// Working folder (default: a temp folder).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Also export every view and compare with COPY.
    #[arg(long)]
    pub export: bool,
    /// Run only the reference (DuckDB read_json), for its own RSS.
    #[arg(long)]
    pub reference_only: bool,
}

/// `bench sync` options.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Latency the sandbox adds to every request.
    #[arg(long, default_value_t = 100)]
    pub latency_ms: u64,
    /// Requests per minute (client and sandbox).
    #[arg(long, default_value_t = 300)]
    pub rate_limit: u32,
    /// Postings in the sandbox market.
    #[arg(long, default_value_t = 10_000)]
    pub postings: usize,
}

/// Runs a benchmark and prints its JSON line.
pub fn run(command: BenchCommand) -> anyhow::Result<()> {
    let result = match command {
        BenchCommand::Load(args) => bench_load(&args)?,
        BenchCommand::Sync(args) => bench_sync(&args)?,
    };
    println!("{result}");
    Ok(())
}

/// Writes `postings` generated postings as search pages into a spool; returns the page count.
pub fn generate_spool(
    spool_dir: &Path,
    postings: usize,
    page_size: usize,
) -> anyhow::Result<usize> {
    let market = Market::new(MarketConfig {
        seed: 1,
        initial_postings: postings,
        history: chrono::Duration::hours((postings as i64 / 500).max(24)),
        ..MarketConfig::default()
    });
    let spool = spool::Spool::new(spool_dir.to_path_buf());
    let record = spool::RunRecord {
        run_id: pipeline::new_run_id(chrono::Utc::now()),
        started_at: chrono::Utc::now(),
        finished_at: None,
        pid: std::process::id(),
        requests: 0,
    };
    let run = spool.begin(&record)?;
    let nodes: Vec<_> = market.open_postings().collect();
    let mut pages = 0;
    for (index, chunk) in nodes.chunks(page_size.max(1)).enumerate() {
        let offset = index * page_size;
        let edges: Vec<serde_json::Value> = chunk
            .iter()
            .enumerate()
            .map(|(i, p)| json!({ "cursor": (offset + i).to_string(), "node": p.to_node() }))
            .collect();
        let body = json!({ "data": { "marketplaceJobPostingsSearch": {
            "totalCount": nodes.len(),
            "edges": edges,
            "pageInfo": { "endCursor": (offset + chunk.len()).to_string(), "hasNextPage": offset + chunk.len() < nodes.len() },
        }}});
        run.write_page("bench", index as u32 + 1, &serde_json::to_vec(&body)?)?;
        pages += 1;
    }
    run.finish(&spool::RunRecord {
        finished_at: Some(chrono::Utc::now()),
        ..record
    })?;
    Ok(pages)
}

fn bench_load(args: &LoadArgs) -> anyhow::Result<serde_json::Value> {
    let temp = tempfile::tempdir()?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    let spool_dir = dir.join("spool");
    let _ = std::fs::remove_dir_all(&spool_dir);
    let pages = generate_spool(&spool_dir, args.postings, args.page_size)?;
    let glob = format!("{}/*/*/*.json", spool_dir.display());

    let reference_db = dir.join("reference.duckdb");
    let _ = std::fs::remove_file(&reference_db);
    let conn = duckdb::Connection::open(&reference_db)?;
    let start = Instant::now();
    conn.execute_batch(&format!(
        "CREATE TABLE postings AS
         SELECT unnest(data.marketplaceJobPostingsSearch.edges, recursive := true)
         FROM read_json('{glob}', maximum_object_size = 67108864)"
    ))?;
    let reference_secs = start.elapsed().as_secs_f64();
    drop(conn);
    if args.reference_only {
        return Ok(json!({
            "bench": "load-reference", "postings": args.postings, "pages": pages,
            "reference_secs": reference_secs, "peak_rss_mb": peak_rss_mb(),
        }));
    }

    let database = dir.join("bench.duckdb");
    let _ = std::fs::remove_file(&database);
    let mut conn = crate::db::open(&database)?;
    let spool = spool::Spool::new(spool_dir);
    let start = Instant::now();
    let pending = spool.pending()?;
    let report = load::load(&mut conn, &pending, None)?;
    let load_secs = start.elapsed().as_secs_f64();
    anyhow::ensure!(
        report.postings == args.postings,
        "loaded {} of {}",
        report.postings,
        args.postings
    );
    let mut result = json!({
        "bench": "load", "postings": args.postings, "pages": pages,
        "load_secs": load_secs, "reference_secs": reference_secs,
        "ratio": load_secs / reference_secs,
        "postings_per_sec": args.postings as f64 / load_secs,
    });
    if args.export {
        result["export"] = bench_export(&conn, &dir)?;
    }
    result["peak_rss_mb"] = json!(peak_rss_mb());
    Ok(result)
}

fn bench_export(conn: &duckdb::Connection, dir: &Path) -> anyhow::Result<serde_json::Value> {
    let views: Vec<_> = crate::demo::DEFAULT_VIEWS
        .iter()
        .map(|(file, sql)| pipeline::export::View {
            name: file.trim_end_matches(".sql").to_string(),
            path: PathBuf::from(file),
            sql: sql.trim().trim_end_matches(';').to_string(),
        })
        .collect();
    pipeline::export::write_profile(conn, &crate::config::Profile::default())?;
    pipeline::export::create_views(conn, &views)?;
    let mut rows = Vec::new();
    for view in &views {
        for format in [
            crate::config::ExportFormat::Csv,
            crate::config::ExportFormat::Parquet,
        ] {
            let out = dir.join("exports");
            let start = Instant::now();
            pipeline::export::export(
                conn,
                std::slice::from_ref(view),
                &out,
                &[format],
                pipeline::export::CsvOptions {
                    formula_guard: true,
                    ..Default::default()
                },
            )?;
            let ours = start.elapsed().as_secs_f64();
            let target = dir.join(format!("reference-{}.{}", view.name, format.extension()));
            let options = match format {
                crate::config::ExportFormat::Csv => "FORMAT csv, HEADER true",
                crate::config::ExportFormat::Parquet => "FORMAT parquet, COMPRESSION zstd",
            };
            let start = Instant::now();
            conn.execute_batch(&format!(
                "COPY (SELECT * FROM \"{}\") TO '{}' ({options})",
                view.name,
                target.display()
            ))?;
            let reference = start.elapsed().as_secs_f64();
            rows.push(json!({
                "view": view.name, "format": format.extension(),
                "secs": ours, "reference_secs": reference, "ratio": ours / reference,
            }));
        }
    }
    Ok(json!(rows))
}

fn bench_sync(args: &SyncArgs) -> anyhow::Result<serde_json::Value> {
    let mut config = SandboxConfig {
        port: 0,
        latency: Duration::from_millis(args.latency_ms),
        rate_limit_per_min: args.rate_limit,
        ..SandboxConfig::default()
    };
    config.market.initial_postings = args.postings;
    config.market.seed = 3;
    let sandbox = Sandbox::start(config)?;
    let dir = tempfile::tempdir()?;
    let base = sandbox.base_url();
    let client = sandbox.client();
    std::fs::create_dir_all(dir.path().join("queries"))?;
    for (name, sql) in crate::demo::DEFAULT_VIEWS {
        std::fs::write(dir.path().join("queries").join(name), sql)?;
    }
    let text = format!(
        r#"[upwork]
client_id = "{}"
authorize_url = "{base}/ab/account-security/oauth2/authorize"
token_url = "{base}/api/v3/oauth2/token"
graphql_url = "{base}/graphql"
requests_per_minute = {}
concurrency = 4
[export]
formats = ["csv", "parquet"]
[[search]]
name = "web"
expression = "web OR website OR wordpress"
page_size = 50
max_age_hours = 72
[[search]]
name = "data"
skills = ["python", "sql", "pandas"]
page_size = 50
max_age_hours = 72
[[search]]
name = "design"
expression = "design"
page_size = 50
max_age_hours = 72
[[search]]
name = "fixed"
job_type = "fixed"
budget = {{ min = 1000 }}
page_size = 50
max_age_hours = 72
"#,
        client.id, args.rate_limit
    );
    let path = dir.path().join("pipeline.toml");
    std::fs::write(&path, text)?;
    let config = Config::load(&path)?;
    let pair = sandbox.mint_token(&client.id);
    let tokens = crate::auth::Tokens {
        access_token: crate::secret::Secret::new(pair.access_token),
        refresh_token: Some(crate::secret::Secret::new(pair.refresh_token)),
        expires_at: chrono::Utc::now() + chrono::Duration::seconds(pair.expires_in as i64),
        client_id: client.id.clone(),
        client_secret: Some(crate::secret::Secret::new(client.secret.clone())),
        grant: crate::auth::Grant::AuthorizationCode,
        saved_at: chrono::Utc::now(),
    };
    let store = crate::auth::TokenStore::at(dir.path().join("tokens.json"));
    store.save(&tokens)?;
    let settings = crate::cli::oauth_settings(&config, Some(&tokens)).map_err(|f| f.error)?;
    let source = std::sync::Arc::new(crate::auth::TokenSource::new(settings, store, tokens));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let options = SyncOptions {
        export: true,
        lock_wait: Duration::ZERO,
        progress: false,
    };
    let start = Instant::now();
    let first = runtime.block_on(pipeline::sync(&config, source.clone(), &options))?;
    let first_secs = start.elapsed().as_secs_f64();
    let requests = first.requests as f64;
    let latency = args.latency_ms as f64 / 1000.0;
    // Requests are spaced 60/limit apart; the last one still takes its latency.
    let bound = (requests - 1.0).max(0.0) * 60.0 / f64::from(args.rate_limit) + latency;
    let start = Instant::now();
    let idle = runtime.block_on(pipeline::sync(&config, source, &options))?;
    let idle_secs = start.elapsed().as_secs_f64();
    let postings: usize = first.searches.iter().map(|s| s.postings).sum();
    sandbox.shutdown();
    Ok(json!({
        "bench": "sync", "searches": config.searches.len(), "postings": postings,
        "requests": first.requests, "secs": first_secs, "bound_secs": bound,
        "ratio": first_secs / bound,
        "idle_requests": idle.requests, "idle_secs": idle_secs,
        "peak_rss_mb": peak_rss_mb(),
    }))
}

/// The process's peak resident set size, from `/proc/self/status` (Linux).
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
