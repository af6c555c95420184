//! `upjobpilot reset`: forget searches' watermarks, so the next sync fetches back to each
//! search's `max_age_hours` (after widening a search, say); with `--postings`, also drop which
//! postings the searches found. Postings themselves, the user's labels and the alert bookkeeping
//! are never touched. It asks on a terminal; scripts pass `--yes`.

use super::context::ask;
use crate::cli::ResetArgs;
use crate::config::Config;
use crate::db::sql;
use crate::exit::Exit;
use crate::failure::Failure;
use crate::pipeline::{self, spool::Spool};
use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

/// Resets the searches `args` names, under the pipeline lock, in one transaction.
pub fn run(config_path: &Path, args: &ResetArgs) -> Result<Exit, Failure> {
    let config = Config::load(config_path)?;
    let names: Vec<String> = match &args.search {
        Some(name) => {
            if !config.searches.iter().any(|s| &s.name == name) {
                return Err(Failure::msg(
                    Exit::Usage,
                    format!("no search named {name:?} in {}", config.path.display()),
                )
                .hint(format!(
                    "the searches are: {}",
                    config
                        .searches
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            vec![name.clone()]
        }
        None => config.searches.iter().map(|s| s.name.clone()).collect(),
    };
    let what = if args.postings {
        "forget the watermark and the found postings of"
    } else {
        "forget the watermark of"
    };
    let question = format!("{what} {} ({})?", plural(names.len()), names.join(", "));
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(Failure::msg(Exit::Usage, format!("not asked: {question}"))
                .hint("pass --yes to reset without asking"));
        }
        if !confirm(&question)? {
            eprintln!("nothing changed");
            return Ok(Exit::Ok);
        }
    }
    let database = config.database_path();
    let _lock = pipeline::lock(&database, Duration::ZERO)?;
    let conn = crate::db::open(&database)?;
    let db_err = |e: duckdb::Error| Failure::other(anyhow::anyhow!("{}: {e}", database.display()));
    let tx = conn.unchecked_transaction().map_err(db_err)?;
    let mut hits = 0;
    for name in &names {
        tx.execute(sql::RESET_WATERMARK, [name]).map_err(db_err)?;
        if args.postings {
            hits += tx.execute(sql::RESET_HITS, [name]).map_err(db_err)?;
        }
    }
    tx.commit().map_err(db_err)?;
    // The spool's copy of the watermarks (used while the database is busy) follows.
    let watermarks = pipeline::load::watermarks(&conn).map_err(db_err)?;
    Spool::new(config.spool_dir())
        .save_state(&watermarks)
        .map_err(Failure::other)?;
    println!(
        "reset {}; the next sync fetches back to max_age_hours{}",
        plural(names.len()),
        if args.postings {
            format!(" ({hits} hits dropped)")
        } else {
            String::new()
        }
    );
    Ok(Exit::Ok)
}

fn plural(n: usize) -> String {
    format!("{n} search{}", if n == 1 { "" } else { "es" })
}

fn confirm(question: &str) -> Result<bool, Failure> {
    let answer = ask(&format!("{question} [y/N]"))?;
    Ok(matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes"))
}
