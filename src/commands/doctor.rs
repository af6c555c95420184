//! `upjobpilot doctor`: a health check that walks what a sync will do and says what to fix.
//!
//! Config, sign-in and token expiry, the endpoints (a real GraphQL request with the stored
//! token, like sync's first one), the database and the export folder, each alert rule, and the
//! schedule (what the scheduler says of its last run, and the database's last run), and what
//! Upwork refused the competition signals (a permission to tick in the API Center).
//! Each check prints one line; the exit status is the first failing check's (config, auth or
//! failure); a failing alert rule or a refused signals field is listed but leaves the status
//! alone.

use super::context::Context;
use crate::config::Config;
use crate::exit::Exit;
use crate::failure::Failure;
use crate::pipeline::{export, scores, signals, views};
use crate::upwork::activity::BID_STATS_FIELD;
use crate::upwork::{RetryPolicy, UpworkError};
use std::path::Path;
use std::time::Duration;
use tokio::runtime::Runtime;

struct Check {
    ok: bool,
    what: String,
    fix: Option<String>,
}

fn pass(what: impl Into<String>) -> Check {
    Check {
        ok: true,
        what: what.into(),
        fix: None,
    }
}

fn fail(what: impl Into<String>, fix: impl Into<String>) -> Check {
    Check {
        ok: false,
        what: what.into(),
        fix: Some(fix.into()),
    }
}

/// Runs every check and prints the results.
pub fn run(config_path: &Path, runtime: &Runtime) -> Result<Exit, Failure> {
    let context = match Context::load(config_path) {
        Ok(context) => context,
        Err(failure) => {
            let what = if failure.exit == Exit::Config {
                "config"
            } else {
                "token store"
            };
            println!("FAIL {what}: {}", failure.error);
            if let Some(hint) = &failure.hint {
                println!("     fix: {hint}");
            }
            return Ok(failure.exit);
        }
    };
    let config = &context.config;
    let mut checks = vec![pass(format!(
        "config {} ({} searches)",
        config_path.display(),
        config.searches.len()
    ))];
    let mut first_failure = None;
    let auth = auth_checks(&context, runtime);
    if auth.iter().any(|c| !c.ok) {
        first_failure.get_or_insert(Exit::Auth);
    }
    checks.extend(auth);
    let storage = storage_checks(config);
    if storage.iter().any(|c| !c.ok) {
        first_failure.get_or_insert(Exit::Failure);
    }
    checks.extend(storage);
    // A failing alert rule is reported, but the data is safe: it does not change the status.
    checks.extend(alert_checks(config));
    // So is a refused signals field: the other figures still come.
    checks.extend(signals_checks(config));
    // Information, not a check: no schedule is a choice.
    checks.push(pass(super::schedule::summary_line(config, true)));
    for check in &checks {
        println!("{} {}", if check.ok { "ok  " } else { "FAIL" }, check.what);
        if let Some(fix) = &check.fix {
            println!("     fix: {fix}");
        }
    }
    Ok(first_failure.unwrap_or(Exit::Ok))
}

fn auth_checks(context: &Context, runtime: &Runtime) -> Vec<Check> {
    let config = &context.config;
    let store = context.store();
    let tokens = match store.load() {
        Ok(Some(tokens)) => tokens,
        Ok(None) => {
            return vec![fail(
                format!("not signed in (no tokens at {})", store.path().display()),
                "run `upjobpilot auth login`",
            )];
        }
        Err(e) => {
            let fix = e
                .hint()
                .unwrap_or_else(|| "run `upjobpilot auth login`".into());
            return vec![fail(format!("token file: {e}"), fix)];
        }
    };
    let mut checks = vec![pass(format!(
        "signed in; access token expires {}",
        tokens.expires_at.format("%Y-%m-%d %H:%M UTC")
    ))];
    // Through the same client as sync (tenant header, refresh on 401), but without minutes of
    // retries: a health check answers now.
    let probe = runtime.block_on(async {
        let client = context.upwork_client().await.map_err(|f| match f.hint {
            Some(hint) => (f.error.to_string(), hint),
            None => (
                f.error.to_string(),
                "run `upjobpilot auth login`".to_string(),
            ),
        })?;
        let client = client.with_retry(RetryPolicy {
            max_retries: 1,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(2),
        });
        client.ping().await.map_err(|e| match e {
            UpworkError::Auth(auth) => (
                format!("the GraphQL endpoint refuses the token: {auth}"),
                auth.hint()
                    .unwrap_or_else(|| "run `upjobpilot auth login`".into()),
            ),
            other => (
                format!(
                    "the GraphQL endpoint {}: {other}",
                    config.upwork.graphql_url
                ),
                "check the network, `upwork.graphql_url` and Upwork's status page".into(),
            ),
        })
    });
    checks.push(match probe {
        Ok(()) => pass(format!(
            "GraphQL endpoint {} answers",
            config.upwork.graphql_url
        )),
        Err((what, fix)) => fail(what, fix),
    });
    checks
}

/// Each alert rule: its webhook variable is set, and it is not failing.
fn alert_checks(config: &Config) -> Vec<Check> {
    let statuses = super::alerts::read_status(config).unwrap_or_default();
    let mut checks = Vec::new();
    for alert in &config.alerts {
        if let crate::config::Channel::Webhook { env, .. } = &alert.channel
            && std::env::var_os(env).is_none_or(|v| v.is_empty())
        {
            checks.push(fail(
                format!("alert {:?}: environment variable {env} is not set", alert.name),
                format!("export {env}=<the webhook URL>, then `upjobpilot schedule install` again so the schedule has it too"),
            ));
        }
        if let Some(status) = statuses.iter().find(|s| s.rule == alert.name && s.failing) {
            checks.push(fail(
                format!(
                    "alert {:?} is failing: {} deliveries in a row failed ({})",
                    alert.name,
                    status.consecutive_failures,
                    status.last_error.as_deref().unwrap_or("no message")
                ),
                format!("fix the channel, then `upjobpilot alerts test {}`; waiting postings are retried by the next sync", alert.name),
            ));
        } else {
            checks.push(pass(format!("alert {:?}", alert.name)));
        }
    }
    checks
}

/// One finding per thing Upwork refused the signals requests in the last day.
fn signals_checks(config: &Config) -> Vec<Check> {
    let database = config.database_path();
    let refusals = database
        .exists()
        .then(|| crate::db::open_read_only(&database).ok())
        .flatten()
        .and_then(|conn| signals::refusals(&conn, chrono::Utc::now()).ok())
        .unwrap_or_default();
    refusals
        .into_iter()
        .map(|refusal| match refusal.what.as_str() {
            BID_STATS_FIELD => fail(
                format!(
                    "signals: the API key may not read bid statistics (activityStat.applicationsBidStats); the other figures are fetched. Upwork said: {}",
                    refusal.message
                ),
                "in the Upwork API Center (https://www.upwork.com/developer/keys/) edit the key and tick the permission that grants job postings' bid statistics (the fields named above), then run `upjobpilot auth login` (changing a key's permissions invalidates its tokens); syncs ask again a day after the refusal",
            ),
            _ => fail(
                format!(
                    "signals: Upwork refused several postings in one request ({}); each posting costs a request of its own",
                    refusal.message
                ),
                "nothing to do; syncs try batching again a day after the refusal",
            ),
        })
        .collect()
}

fn storage_checks(config: &Config) -> Vec<Check> {
    let mut checks = Vec::new();
    let database = config.database_path();
    let conn = match crate::db::open(&database) {
        Ok(conn) => {
            checks.push(pass(format!("database {}", database.display())));
            Some(conn)
        }
        Err(e) => {
            checks.push(fail(format!("{e}"), e.hint().unwrap_or_default()));
            None
        }
    };
    let export = config.export_dir();
    let probe = std::fs::create_dir_all(&export).and_then(|()| {
        let file = tempfile::Builder::new()
            .prefix(".doctor-")
            .tempfile_in(&export)?;
        drop(file);
        Ok(())
    });
    checks.push(match probe {
        Ok(()) => pass(format!("export folder {} is writable", export.display())),
        Err(e) => fail(
            format!("export folder {}: {e}", export.display()),
            "set `export.dir` (or UPJOBPILOT_EXPORT_DIR) to a writable folder",
        ),
    });
    let queries = config.queries_dir();
    let views = match views::read_views(&queries) {
        Ok(views) => views,
        Err(e) => {
            checks.push(fail(
                e.to_string(),
                "create the folder and put .sql views in it",
            ));
            return checks;
        }
    };
    checks.push(match conn.map(|conn| try_views(config, &conn, &views)) {
        None => pass(format!("{} views in {}", views.len(), queries.display())),
        Some(Ok(())) => pass(format!(
            "{} views in {} run against the database",
            views.len(),
            queries.display()
        )),
        Some(Err(e)) => fail(
            e,
            "fix the view's SQL (or `export.partitioned`); `upjobpilot export` shows the same error",
        ),
    });
    checks
}

/// Creates the views as an export would, checks the partitioned ones, and rolls it all back.
fn try_views(
    config: &Config,
    conn: &duckdb::Connection,
    views: &[views::View],
) -> Result<(), String> {
    let tx = conn.unchecked_transaction().map_err(|e| e.to_string())?;
    scores::write_profile(&tx, &config.profile).map_err(|e| e.to_string())?;
    export::create_views(&tx, views).map_err(|e| e.to_string())?;
    export::check_partitioned(&tx, views, &config.export.partitioned).map_err(|e| e.to_string())
    // Dropping the transaction rolls it back: the database is left as it was.
}
