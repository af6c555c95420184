//! `upjobpilot init`: write a commented `pipeline.toml`.
//!
//! On a terminal it asks for what the flags did not give; off a terminal it uses the flags and
//! defaults, so scripts can run it. It explains where the key comes from and what to register.

use crate::cli::{Failure, InitArgs};
use crate::exit::Exit;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

const TEMPLATE: &str = include_str!("../pipeline.toml");

/// Writes the config file.
pub fn run(path: &Path, args: InitArgs) -> Result<Exit, Failure> {
    if path.exists() && !args.force {
        return Err(Failure {
            exit: Exit::Config,
            error: anyhow::anyhow!("{} already exists", path.display()),
            hint: Some("pass --force to overwrite it".into()),
        });
    }
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        eprintln!(
            "Get an API key at https://www.upwork.com/developer/keys/apply\n\
             - callback URL to register: http://localhost:3000/callback\n\
             - permissions to tick: \"Common Entities - Read-Only Access\" and \"Read marketplace Job Postings\"\n\
             Approval takes days to two weeks; meanwhile `upjobpilot demo` runs everything on a local sandbox.\n"
        );
    }
    let client_id = match args.client_id {
        Some(id) => id,
        None if interactive => ask("client id (Enter to fill in later)")?,
        None => String::new(),
    };
    let keywords = match args.keywords {
        Some(k) => k,
        None if interactive => {
            ask("keywords for a first search, comma-separated (e.g. rust, tokio)")?
        }
        None => String::new(),
    };
    let text = render(&client_id, &keywords);
    std::fs::write(path, text).map_err(|e| Failure {
        exit: Exit::Failure,
        error: anyhow::anyhow!("cannot write {}: {e}", path.display()),
        hint: None,
    })?;
    println!("wrote {}", path.display());
    println!("next: export UPWORK_CLIENT_SECRET=<secret>; upjobpilot auth login; upjobpilot sync");
    Ok(Exit::Ok)
}

fn ask(question: &str) -> Result<String, Failure> {
    eprint!("{question}: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure {
            exit: Exit::Failure,
            error: e.into(),
            hint: None,
        })?;
    Ok(line.trim().to_string())
}

/// The template with the client id and a first search from the keywords.
pub fn render(client_id: &str, keywords: &str) -> String {
    let client_id = if client_id.is_empty() {
        "your-client-id"
    } else {
        client_id
    };
    let mut text = TEMPLATE.replace(
        "client_id = \"your-client-id\"",
        &format!("client_id = {}", toml_string(client_id)),
    );
    let words: Vec<&str> = keywords
        .split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect();
    if !words.is_empty() {
        let expression = words.join(" OR ");
        text.push_str(&format!(
            "\n[[search]]\nname = \"my-keywords\"\nexpression = {}\n",
            toml_string(&expression)
        ));
    }
    text
}

fn toml_string(value: &str) -> String {
    toml::Value::String(value.to_string()).to_string()
}
