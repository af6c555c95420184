//! `upjobpilot bench`: the benchmarks behind BENCHMARKS.md, each against its reference measured
//! in the same run.
//!
//! - `load`: N postings from the sandbox's market generator, spooled as search pages, loaded into
//!   a new database, against DuckDB's own `read_json` loading the same files into a table.
//! - `export`: every view to CSV and Parquet, against DuckDB's own `COPY (SELECT * FROM view)`.
//! - `serve`: the dashboard's pages (list, every filter, a posting, charts) over a database of N
//!   postings, timed over HTTP; and its resident memory before and after many page loads.
//! - `mcp`: `upjobpilot mcp` started as a child over stdio, as a client starts it: the time to
//!   its answer to `initialize`, and `search_postings` (filters and sorts) and `get_posting`
//!   over a database of N postings.
//! - `sync`: a first and an idle sync of several searches against the sandbox with added latency
//!   and Upwork's rate limit, against the bound that the limit and the latency set.
//!
//! Each prints one JSON line (with the process's peak RSS), so `scripts/bench` can run every
//! figure in a fresh process and take medians.

use super::context::Context;
use crate::cli::{
    BenchCommand, BenchLoadArgs as LoadArgs, BenchMcpArgs as McpArgs, BenchServeArgs as ServeArgs,
    BenchSyncArgs as SyncArgs,
};
use crate::config::{Config, ExportFormat};
use crate::exit::Exit;
use crate::failure::Failure;
use crate::pipeline::{self, SyncOptions, load, spool, views};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use upwork_sandbox::market::{Market, MarketConfig};

/// Runs a benchmark and prints its JSON line.
pub fn run(command: BenchCommand, runtime: &Runtime) -> Result<Exit, Failure> {
    let result = match command {
        BenchCommand::Load(args) => bench_load(&args),
        BenchCommand::Sync(args) => bench_sync(&args, runtime),
        BenchCommand::Serve(args) => bench_serve(&args),
        BenchCommand::Mcp(args) => bench_mcp(&args),
    }
    .map_err(Failure::other)?;
    println!("{result}");
    Ok(Exit::Ok)
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
        status: None,
        errors: None,
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

/// The spool in `dir` for these sizes: reused when an earlier run left one (its manifest says
/// so), generated otherwise. Returns the page count and whether this process generated it.
fn prepare_spool(dir: &Path, postings: usize, page_size: usize) -> anyhow::Result<(usize, bool)> {
    let spool_dir = dir.join("spool");
    let manifest = dir.join("spool.json");
    let wanted = json!({ "postings": postings, "page_size": page_size });
    if let Ok(text) = std::fs::read_to_string(&manifest)
        && let Ok(found) = serde_json::from_str::<serde_json::Value>(&text)
        && found["postings"] == wanted["postings"]
        && found["page_size"] == wanted["page_size"]
        && let Some(pages) = found["pages"].as_u64()
    {
        return Ok((pages as usize, false));
    }
    let _ = std::fs::remove_file(&manifest);
    let _ = std::fs::remove_dir_all(&spool_dir);
    let pages = generate_spool(&spool_dir, postings, page_size)?;
    let mut written = wanted;
    written["pages"] = json!(pages);
    std::fs::write(&manifest, written.to_string())?;
    Ok((pages, true))
}

/// The bench's working folder: `dir` if given (created), else a temp folder kept alive by the
/// returned guard.
fn work_dir(dir: Option<&Path>) -> std::io::Result<(tempfile::TempDir, PathBuf)> {
    let temp = tempfile::tempdir()?;
    let dir = dir.map_or_else(|| temp.path().to_path_buf(), Path::to_path_buf);
    std::fs::create_dir_all(&dir)?;
    Ok((temp, dir))
}

fn bench_load(args: &LoadArgs) -> anyhow::Result<serde_json::Value> {
    let (_temp, dir) = work_dir(args.dir.as_deref())?;
    let (pages, generated) = prepare_spool(&dir, args.postings, args.page_size)?;
    if args.generate_only {
        return Ok(json!({
            "bench": "generate", "postings": args.postings, "pages": pages,
            "generated": generated,
        }));
    }
    let spool_dir = dir.join("spool");
    if args.reference_only {
        let reference_secs = reference_load(&dir, &spool_dir)?;
        return Ok(json!({
            "bench": "load-reference", "postings": args.postings, "pages": pages,
            "reference_secs": reference_secs, "peak_rss_mb": peak_rss_mb(),
            "generated_in_process": generated,
        }));
    }

    // Ours first, so the peak RSS read right after it is the load's own.
    let database = dir.join("bench.duckdb");
    let _ = std::fs::remove_file(&database);
    // A renormalize stopped in an earlier run would otherwise go on from where it stopped.
    let _ = std::fs::remove_file(pipeline::renormalize::progress_path(&database));
    let mut conn = crate::db::open(&database)?;
    let limit = crate::config::parse_size(&args.memory_limit)
        .ok_or_else(|| anyhow::anyhow!("--memory-limit: not a size"))?;
    crate::db::set_memory_limit(&conn, limit)?;
    let spool = spool::Spool::new(spool_dir.clone());
    let start = Instant::now();
    let pending = spool.pending()?;
    // As sync loads (retrying out-of-memory loads with more), unless a batch size is forced.
    let (report, limit_used) = match args.batch_bytes {
        Some(bytes) => (
            load::load_in_batches(&mut conn, &pending, None, bytes.max(1))?,
            Some(limit),
        ),
        None => load::load_within(&mut conn, &pending, None, limit)?,
    };
    let batch_bytes = args
        .batch_bytes
        .unwrap_or_else(|| load::batch_bytes_for(limit));
    let load_secs = start.elapsed().as_secs_f64();
    let load_peak_rss_mb = peak_rss_mb();
    anyhow::ensure!(
        report.postings == args.postings,
        "loaded {} of {}",
        report.postings,
        args.postings
    );
    let renormalize = if args.renormalize {
        // As `upjobpilot renormalize` runs: from the configured limit, whatever the load raised.
        crate::db::set_memory_limit(&conn, limit)?;
        let start = Instant::now();
        let done = pipeline::renormalize::renormalize(
            &conn,
            &database,
            args.renormalize_batch as usize,
            limit,
            |_| {},
        )?;
        let secs = start.elapsed().as_secs_f64();
        anyhow::ensure!(
            done.rebuilt == args.postings,
            "rebuilt {} of {}",
            done.rebuilt,
            args.postings
        );
        json!({
            "renormalize_batch": args.renormalize_batch,
            "renormalize_secs": secs,
            "renormalize_vs_load": secs / load_secs,
            "renormalize_peak_rss_mb": peak_rss_mb(),
        })
    } else {
        serde_json::Value::Null
    };
    let reference_secs = if args.no_reference {
        f64::NAN
    } else {
        reference_load(&dir, &spool_dir)?
    };
    let mut result = json!({
        "bench": "load", "postings": args.postings, "pages": pages,
        "load_secs": load_secs, "reference_secs": reference_secs,
        "ratio": load_secs / reference_secs,
        "postings_per_sec": args.postings as f64 / load_secs,
        "load_peak_rss_mb": load_peak_rss_mb,
        "timings": report.timings,
        "batch_bytes": batch_bytes,
        "memory_limit": args.memory_limit,
        "memory_limit_used_mib": limit_used.map(|l| l >> 20),
        "generated_in_process": generated,
        "renormalize": renormalize,
    });
    if args.export {
        result["export"] = bench_export(&conn, &dir, limit_used, limit)?;
    }
    // The file as a user's would be after the sync: every change checkpointed into it.
    conn.execute_batch("CHECKPOINT")?;
    drop(conn);
    result["database_mb"] = json!(std::fs::metadata(&database)?.len() as f64 / 1e6);
    let _ = std::fs::remove_file(&database);
    result["peak_rss_mb"] = json!(peak_rss_mb());
    Ok(result)
}

/// The reference: DuckDB's own `read_json` + `unnest` of the spooled pages into a table, in a
/// new database file. Returns its time in seconds.
fn reference_load(dir: &Path, spool_dir: &Path) -> anyhow::Result<f64> {
    let glob = format!("{}/*/*/*.json", spool_dir.display());
    let database = dir.join("reference.duckdb");
    let _ = std::fs::remove_file(&database);
    let conn = duckdb::Connection::open(&database)?;
    let start = Instant::now();
    conn.execute_batch(&format!(
        "CREATE TABLE postings AS SELECT unnest(data.marketplaceJobPostingsSearch.edges, recursive := true) FROM read_json('{glob}', maximum_object_size = 67108864)"
    ))?;
    let secs = start.elapsed().as_secs_f64();
    drop(conn);
    let _ = std::fs::remove_file(&database);
    Ok(secs)
}

/// Every default view to CSV and Parquet, ours against DuckDB's `COPY`. Ours runs as a sync's
/// export does: after the scores, under the limit the load needed (`limit`), retrying a view that
/// runs out of memory with more (issue 14's 1M run failed here, without the retries).
fn bench_export(
    conn: &duckdb::Connection,
    dir: &Path,
    mut limit: Option<u64>,
    configured: u64,
) -> anyhow::Result<serde_json::Value> {
    let views: Vec<_> = views::DEFAULT_VIEWS
        .iter()
        .map(|(file, sql)| views::View {
            name: file.trim_end_matches(".sql").to_string(),
            path: PathBuf::from(file),
            sql: sql.trim().trim_end_matches(';').to_string(),
        })
        .collect();
    pipeline::scores::refresh(
        conn,
        &crate::config::Profile::default(),
        &mut limit,
        configured,
    )?;
    pipeline::export::create_views(conn, &views)?;
    let mut rows = Vec::new();
    for view in &views {
        for format in [ExportFormat::Csv, ExportFormat::Parquet] {
            let out = dir.join("exports");
            let target = dir.join(format!("reference-{}.{}", view.name, format.extension()));
            let options = match format {
                ExportFormat::Csv => "FORMAT csv, HEADER true",
                ExportFormat::Parquet => "FORMAT parquet, COMPRESSION zstd",
            };
            let mut ours = || -> anyhow::Result<f64> {
                let start = Instant::now();
                crate::db::with_memory_retries(
                    conn,
                    &mut limit,
                    configured,
                    "export",
                    pipeline::export::ExportError::is_out_of_memory,
                    || {
                        pipeline::export::export(
                            conn,
                            std::slice::from_ref(view),
                            &out,
                            &[format],
                            pipeline::export::CsvOptions {
                                formula_guard: true,
                                ..Default::default()
                            },
                            &[],
                        )
                    },
                )?;
                Ok(start.elapsed().as_secs_f64())
            };
            let reference = || -> anyhow::Result<f64> {
                let start = Instant::now();
                conn.execute_batch(&format!(
                    "COPY (SELECT * FROM \"{}\") TO '{}' ({options})",
                    view.name,
                    target.display()
                ))?;
                Ok(start.elapsed().as_secs_f64())
            };
            // Both warm (the first query of a view reads its blocks), then alternating, and the
            // median of five each: single runs of a few milliseconds are mostly noise.
            reference()?;
            let (mut our_times, mut reference_times) = (Vec::new(), Vec::new());
            for _ in 0..5 {
                our_times.push(ours()?);
                reference_times.push(reference()?);
            }
            let (ours, reference) = (median(&mut our_times), median(&mut reference_times));
            rows.push(json!({
                "view": view.name, "format": format.extension(),
                "secs": ours, "reference_secs": reference, "ratio": ours / reference,
            }));
        }
    }
    Ok(json!(rows))
}

/// A sandbox in its own process, so the bench process's peak RSS is the sync's alone. Killed
/// on drop.
struct SandboxProcess {
    child: std::process::Child,
    base_url: String,
    client_id: String,
    client_secret: String,
}

impl SandboxProcess {
    fn start(args: &SyncArgs) -> anyhow::Result<SandboxProcess> {
        use std::io::BufRead;
        let postings = args.postings.to_string();
        let latency = args.latency_ms.to_string();
        let rate = args.rate_limit.to_string();
        let max_offset = (args.postings + 1_000).to_string();
        let mut child = std::process::Command::new(std::env::current_exe()?)
            .args(["sandbox", "--port", "0", "--seed", "3", "--enterprise"])
            .args(["--client-id", "bench", "--client-secret", "bench-secret"])
            .args(["--postings", &postings, "--latency-ms", &latency])
            .args(["--rate-limit", &rate, "--daily-limit", "4000000000"])
            .args(["--max-offset", &max_offset, "--arrivals-per-hour", "0"])
            .args(["--closes-per-hour", "0", "--changes-per-hour", "0"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let mut next = || -> anyhow::Result<String> {
            lines
                .next()
                .transpose()?
                .ok_or_else(|| anyhow::anyhow!("the sandbox process exited before serving"))
        };
        let (base_url, client_id, client_secret) = (next()?, next()?, next()?);
        Ok(SandboxProcess {
            child,
            base_url,
            client_id,
            client_secret,
        })
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Searches of the bound figure: four overlapping ones, as a user would define them.
const SYNC_SEARCHES: &str = r#"[[search]]
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
budget = { min = 1000 }
page_size = 50
max_age_hours = 72
"#;

/// The scan figure: one search through the whole market, 100 postings a page.
const SCAN_SEARCH: &str = r#"[[search]]
name = "all"
page_size = 100
max_pages = 10000
max_age_hours = 8784
"#;

fn bench_sync(args: &SyncArgs, runtime: &Runtime) -> anyhow::Result<serde_json::Value> {
    let sandbox = SandboxProcess::start(args)?;
    let dir = tempfile::tempdir()?;
    let base = &sandbox.base_url;
    views::write_default_views(&dir.path().join("queries"))?;
    let text = format!(
        r#"[upwork]
client_id = "{}"
grant = "client_credentials"
authorize_url = "{base}/ab/account-security/oauth2/authorize"
token_url = "{base}/api/v3/oauth2/token"
graphql_url = "{base}/graphql"
requests_per_minute = {}
concurrency = 4
[export]
formats = ["csv", "parquet"]
{}"#,
        sandbox.client_id,
        args.rate_limit.min(300),
        if args.scan {
            SCAN_SEARCH
        } else {
            SYNC_SEARCHES
        },
    );
    let path = dir.path().join("pipeline.toml");
    std::fs::write(&path, text)?;
    let mut config = Config::load(&path)?;
    // The sandbox takes what it is told; past Upwork's 300 a minute only a benchmark goes.
    config.upwork.requests_per_minute = args.rate_limit;
    let context = Context::with(
        config,
        crate::auth::TokenStore::at(dir.path().join("tokens.json")),
        Some(crate::secret::Secret::new(sandbox.client_secret.clone())),
    );
    let client = runtime.block_on(context.client()).map_err(|f| f.error)?;
    let config = &context.config;
    let options = SyncOptions {
        export: true,
        lock_wait: Duration::ZERO,
        busy_wait: Duration::ZERO,
        progress: false,
    };
    let start = Instant::now();
    let first = runtime.block_on(pipeline::sync(config, client.clone(), &options))?;
    let first_secs = start.elapsed().as_secs_f64();
    let first_peak_rss_mb = peak_rss_mb();
    let requests = first.requests as f64;
    let latency = args.latency_ms as f64 / 1000.0;
    // Requests are spaced 60/limit apart; the last one still takes its latency.
    let bound = (requests - 1.0).max(0.0) * 60.0 / f64::from(args.rate_limit) + latency;
    let start = Instant::now();
    let idle = runtime.block_on(pipeline::sync(config, client, &options))?;
    let idle_secs = start.elapsed().as_secs_f64();
    let postings: usize = first.searches.iter().map(|s| s.postings).sum();
    drop(sandbox);
    Ok(json!({
        "bench": if args.scan { "sync-scan" } else { "sync" },
        "searches": config.searches.len(), "market": args.postings, "postings": postings,
        "requests": first.requests, "secs": first_secs, "bound_secs": bound,
        "ratio": first_secs / bound,
        "idle_requests": idle.requests, "idle_secs": idle_secs,
        "first_peak_rss_mb": first_peak_rss_mb, "peak_rss_mb": peak_rss_mb(),
    }))
}

/// The dashboard's pages, each with what it exercises.
const SERVE_PAGES: &[(&str, &str)] = &[
    ("list", "/"),
    ("list page 100", "/?page=100"),
    (
        "every filter, hourly",
        "/?q=python&search=bench&label=any&type=hourly&rate_min=20&rate_max=200&skill=python&experience=intermediate&verified=1&hire_rate_min=10&spend_min=100&proposals_max=50&fit_min=10&since=2000-01-01&sort=fit",
    ),
    (
        "every filter, fixed",
        "/?q=data&search=bench&type=fixed&budget_min=100&budget_max=100000&skill=sql&verified=1&hire_rate_min=10&spend_min=100&proposals_max=50&since=2000-01-01&sort=budget",
    ),
    ("text search, by client quality", "/?q=api&sort=client"),
    (
        "text search, two words, by client quality",
        "/?q=data+entry&sort=client",
    ),
    ("list JSON", "/api/postings?type=hourly&sort=fit"),
    ("posting", "/postings/{id}"),
    ("charts", "/charts"),
];

/// The database of `bench serve` and `bench mcp` in `dir`: `postings` generated postings,
/// loaded and scored (reused when an earlier run left one of that size), with a config over it.
/// Returns the config and the newest posting's id.
fn scored_database(dir: &Path, postings: usize) -> anyhow::Result<(Config, String)> {
    let database = dir.join("serve.duckdb");
    let stored = crate::db::open(&database)
        .and_then(|conn| {
            conn.query_row("SELECT count(*) FROM jobs", [], |r| r.get::<_, i64>(0))
                .map_err(|source| crate::db::DbError::DuckDb {
                    path: database.clone(),
                    source,
                })
        })
        .unwrap_or(0);
    if usize::try_from(stored).ok() != Some(postings) {
        let _ = std::fs::remove_file(&database);
        prepare_spool(dir, postings, 100)?;
        let mut conn = crate::db::open(&database)?;
        let pending = spool::Spool::new(dir.join("spool")).pending()?;
        load::load_within(&mut conn, &pending, None, 128_000_000)?;
        let profile = crate::config::Profile {
            skills: vec!["python".into(), "sql".into(), "api-integration".into()],
            hourly_rate: Some(50.0),
        };
        pipeline::scores::write_profile(&conn, &profile)?;
        pipeline::scores::write_scores(&conn)?;
    }
    let config_path = dir.join("pipeline.toml");
    std::fs::write(
        &config_path,
        "[upwork]\nclient_id = \"bench\"\n[storage]\ndatabase = \"serve.duckdb\"\n[profile]\nskills = [\"python\", \"sql\", \"api-integration\"]\nhourly_rate = 50\n[[search]]\nname = \"bench\"\n",
    )?;
    let config = Config::load(&config_path)?;
    let id: String = crate::db::open(&database)?.query_row(
        "SELECT id FROM jobs ORDER BY published_at DESC LIMIT 1",
        [],
        |r| r.get(0),
    )?;
    Ok((config, id))
}

fn bench_serve(args: &ServeArgs) -> anyhow::Result<serde_json::Value> {
    let (_temp, dir) = work_dir(args.dir.as_deref())?;
    let (config, id) = scored_database(&dir, args.postings)?;
    let server = crate::serve::Server::bind(config, 0)?.spawn();
    let base = server.url().trim_end_matches('/').to_string();
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let fetch = |path: &str| -> anyhow::Result<f64> {
        let start = Instant::now();
        let response = client.get(format!("{base}{path}")).send()?;
        anyhow::ensure!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.bytes()?;
        Ok(start.elapsed().as_secs_f64() * 1000.0)
    };
    let mut pages = Vec::new();
    for (name, path) in SERVE_PAGES {
        let path = path.replace("{id}", &id);
        fetch(&path)?;
        let mut times = (0..args.runs.max(1))
            .map(|_| fetch(&path))
            .collect::<anyhow::Result<Vec<f64>>>()?;
        let max = times.iter().copied().fold(0.0, f64::max);
        pages.push(json!({ "page": name, "median_ms": median(&mut times), "max_ms": max }));
    }
    let rss_before = current_rss_mb();
    for n in 0..args.loads {
        fetch(SERVE_PAGES[n % 4].1)?;
    }
    let rss_after = current_rss_mb();
    Ok(json!({
        "bench": "serve", "postings": args.postings, "pages": pages,
        "loads": args.loads, "rss_before_mb": rss_before, "rss_after_mb": rss_after,
        "peak_rss_mb": peak_rss_mb(),
    }))
}

/// The process's resident set size now, from `/proc/self/status` (Linux).
fn current_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The process's peak resident set size, from `/proc/self/status` (Linux).
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The `search_postings` and `get_posting` calls `bench mcp` times.
const MCP_CALLS: &[(&str, &str, &str)] = &[
    ("search_postings, newest", "search_postings", "{}"),
    (
        "search_postings, by fit, page 100",
        "search_postings",
        r#"{"sort": "fit", "cursor": "4950"}"#,
    ),
    (
        "search_postings, every filter",
        "search_postings",
        r#"{"text": "python", "search": "bench", "label": "any", "job_type": "hourly", "rate_min": 20, "rate_max": 200, "skill": "python", "experience": "intermediate", "verified": true, "hire_rate_min": 10, "spend_min": 100, "proposals_max": 50, "fit_min": 10, "since": "2000-01-01", "sort": "fit"}"#,
    ),
    (
        "search_postings, text, by client",
        "search_postings",
        r#"{"text": "api", "sort": "client"}"#,
    ),
    (
        "search_postings, two-word text, by client",
        "search_postings",
        r#"{"text": "data entry", "sort": "client"}"#,
    ),
    ("get_posting", "get_posting", r#"{"id": "{id}"}"#),
];

/// A JSON-RPC client of an `upjobpilot mcp` child process.
struct McpChild {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: std::io::BufReader<std::process::ChildStdout>,
    next: u64,
}

impl McpChild {
    fn request(
        &mut self,
        method: &str,
        params: serde_json::Value,
    ) -> anyhow::Result<serde_json::Value> {
        use std::io::{BufRead, Write};
        self.next += 1;
        let id = self.next;
        writeln!(
            self.stdin,
            "{}",
            json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
        )?;
        self.stdin.flush()?;
        let mut line = String::new();
        loop {
            line.clear();
            anyhow::ensure!(
                self.stdout.read_line(&mut line)? > 0,
                "the server closed stdout"
            );
            let message: serde_json::Value = serde_json::from_str(&line)?;
            if message["id"] == json!(id) {
                anyhow::ensure!(message["error"].is_null(), "{method}: {}", message["error"]);
                return Ok(message["result"].clone());
            }
        }
    }
}

impl Drop for McpChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bench_mcp(args: &McpArgs) -> anyhow::Result<serde_json::Value> {
    let (_temp, dir) = work_dir(args.dir.as_deref())?;
    let (_config, id) = scored_database(&dir, args.postings)?;
    let start = || -> anyhow::Result<(McpChild, f64)> {
        let started = Instant::now();
        let mut child = std::process::Command::new(std::env::current_exe()?)
            .arg("--config")
            .arg(dir.join("pipeline.toml"))
            .arg("mcp")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        let mut server = McpChild {
            stdin: child
                .stdin
                .take()
                .ok_or_else(|| anyhow::anyhow!("no stdin"))?,
            stdout: std::io::BufReader::new(
                child
                    .stdout
                    .take()
                    .ok_or_else(|| anyhow::anyhow!("no stdout"))?,
            ),
            child,
            next: 0,
        };
        server.request(
            "initialize",
            json!({ "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": { "name": "bench", "version": "1" } }),
        )?;
        Ok((server, started.elapsed().as_secs_f64() * 1000.0))
    };
    let mut ready = Vec::new();
    for _ in 0..args.runs.max(1) {
        ready.push(start()?.1);
    }
    let (mut server, _) = start()?;
    use std::io::Write;
    writeln!(
        server.stdin,
        "{}",
        json!({ "jsonrpc": "2.0", "method": "notifications/initialized" })
    )?;
    let mut calls = Vec::new();
    for (name, tool, arguments) in MCP_CALLS {
        let arguments: serde_json::Value = serde_json::from_str(&arguments.replace("{id}", &id))?;
        let mut call = || -> anyhow::Result<f64> {
            let started = Instant::now();
            let result = server.request(
                "tools/call",
                json!({ "name": tool, "arguments": arguments }),
            )?;
            anyhow::ensure!(result["isError"] == false, "{name}: {}", result["content"]);
            Ok(started.elapsed().as_secs_f64() * 1000.0)
        };
        call()?;
        let mut times = (0..args.runs.max(1))
            .map(|_| call())
            .collect::<anyhow::Result<Vec<f64>>>()?;
        let max = times.iter().copied().fold(0.0, f64::max);
        calls.push(json!({ "call": name, "median_ms": median(&mut times), "max_ms": max }));
    }
    let max_ready = ready.iter().copied().fold(0.0, f64::max);
    Ok(json!({
        "bench": "mcp", "postings": args.postings,
        "ready_median_ms": median(&mut ready), "ready_max_ms": max_ready,
        "calls": calls, "peak_rss_mb": peak_rss_mb(),
    }))
}
