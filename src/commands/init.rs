//! `upjobpilot init`: write a commented `pipeline.toml`.
//!
//! On a terminal it asks for what the flags did not give; off a terminal it uses the flags and
//! defaults, so scripts can run it. It explains where the key comes from and what to register.

use super::context::{Context, ask};
use crate::cli::InitArgs;
use crate::config::Config;
use crate::exit::Exit;
use crate::failure::Failure;
use crate::pipeline::views;
use crate::upwork::UpworkError;
use std::io::IsTerminal;
use std::path::Path;
use tokio::runtime::Runtime;

const TEMPLATE: &str = include_str!("../../pipeline.toml");

/// The search `init --from-profile` adds.
pub const PROFILE_SEARCH: &str = "profile-skills";

/// Writes the config file.
pub fn run(path: &Path, args: InitArgs, runtime: &Runtime) -> Result<Exit, Failure> {
    if args.from_profile {
        return from_profile(path, args.yes, runtime);
    }
    if path.exists() && !args.force {
        return Err(
            Failure::msg(Exit::Config, format!("{} already exists", path.display()))
                .hint("pass --force to overwrite it"),
        );
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
    crate::fs::write_atomic(path, text.as_bytes()).map_err(|e| {
        Failure::msg(
            Exit::Failure,
            format!("cannot write {}: {e}", path.display()),
        )
    })?;
    println!("wrote {}", path.display());
    if search_expression(&keywords).is_none() {
        println!(
            "it has no active search yet: uncomment an example in it, or pass --keywords (with --force)"
        );
    }
    // The views sync exports, unless the folder is there already (it may hold the user's own).
    let queries = crate::fs::parent_dir(path).join("queries");
    if !queries.exists() {
        views::write_default_views(&queries).map_err(|e| {
            Failure::msg(
                Exit::Failure,
                format!("cannot write {}: {e}", queries.display()),
            )
        })?;
        println!(
            "wrote {} views in {} (one SELECT per file; add your own)",
            views::DEFAULT_VIEWS.len(),
            queries.display()
        );
    }
    println!("next: export UPWORK_CLIENT_SECRET=<secret>; upjobpilot auth login; upjobpilot sync");
    println!(
        "after signing in, `upjobpilot init --from-profile` adds a search for your profile's skills"
    );
    Ok(Exit::Ok)
}

fn failure(exit: Exit, error: impl std::fmt::Display, hint: Option<&str>) -> Failure {
    let failure = Failure::msg(exit, error);
    match hint {
        Some(hint) => failure.hint(hint),
        None => failure,
    }
}

/// `init --from-profile`: asks Upwork for the signed-in freelancer's skills (the `user` query),
/// then adds a search for any of them and makes them the `[profile]` skills, after showing the
/// change (and asking, on a terminal, unless `--yes`). The new file is validated before it
/// replaces the old one.
fn from_profile(path: &Path, yes: bool, runtime: &Runtime) -> Result<Exit, Failure> {
    let context = Context::load(path)?;
    let config = &context.config;
    if config.searches.iter().any(|s| s.name == PROFILE_SEARCH) {
        return Err(failure(
            Exit::Config,
            format!(
                "{} already has a search named {PROFILE_SEARCH}",
                path.display()
            ),
            Some("remove or rename that [[search]] to propose it again"),
        ));
    }
    let skills = runtime.block_on(async {
        let client = context.client().await?;
        client.profile_skills().await.map_err(profile_failure)
    })?;
    if skills.is_empty() {
        return Err(failure(
            Exit::Failure,
            "your Upwork profile lists no skills",
            Some(
                "add skills to your profile, or write searches by hand (`upjobpilot init --keywords` shows the form)",
            ),
        ));
    }
    let old = std::fs::read_to_string(path).map_err(|e| {
        failure(
            Exit::Config,
            format!("cannot read {}: {e}", path.display()),
            None,
        )
    })?;
    let new = with_profile_skills(&old, &skills);
    eprintln!(
        "Your Upwork profile lists: {}\nProposed: a search `{PROFILE_SEARCH}` for postings with any of these skills, and these as the [profile] skills that fit_score uses.",
        skills.join(", ")
    );
    if std::io::stdin().is_terminal() && !yes {
        let answer = ask(&format!("write them to {}? [Y/n]", path.display()))?;
        if answer.eq_ignore_ascii_case("n") || answer.eq_ignore_ascii_case("no") {
            eprintln!("nothing written");
            return Ok(Exit::Ok);
        }
    }
    replace_checked(path, &new)?;
    println!(
        "added search {PROFILE_SEARCH} ({} skills) to {}",
        skills.len(),
        path.display()
    );
    Ok(Exit::Ok)
}

/// Why the profile could not be had, with the permission to tick when the key lacks it.
fn profile_failure(error: UpworkError) -> Failure {
    match error {
        UpworkError::Refused { message, .. } => failure(
            Exit::Auth,
            format!("Upwork did not return your profile: {message}"),
            Some(
                "tick \"Common Entities - Read-Only Access\" for the key on the developer portal, then `upjobpilot auth login` again",
            ),
        ),
        UpworkError::Rejected(message) => failure(
            Exit::Failure,
            format!("Upwork did not return your profile: {message}"),
            None,
        ),
        other => other.into(),
    }
}

/// The config text with a `profile-skills` search appended and `[profile] skills` set: the
/// `skills` line of an existing `[profile]` table is replaced, or one is added.
pub fn with_profile_skills(text: &str, skills: &[String]) -> String {
    let list = format!(
        "[{}]",
        skills
            .iter()
            .map(|s| toml_string(s))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let skills_line = format!("skills = {list}   # from your Upwork profile");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header = lines.iter().position(|l| l.trim() == "[profile]");
    match header {
        Some(start) => {
            let end = lines[start + 1..]
                .iter()
                .position(|l| l.trim_start().starts_with('['))
                .map_or(lines.len(), |i| start + 1 + i);
            let existing = (start + 1..end).find(|&i| {
                let l = lines[i].trim_start();
                l.starts_with("skills") && l["skills".len()..].trim_start().starts_with('=')
            });
            match existing {
                Some(i) if lines[i].contains(']') => lines[i] = skills_line,
                // A list spread over lines: leave it and add nothing rather than break it.
                Some(_) => {}
                None => lines.insert(start + 1, skills_line),
            }
        }
        None => {
            lines.push(String::new());
            lines.push("[profile]".into());
            lines.push(skills_line);
        }
    }
    let mut out = lines.join("\n");
    out.push_str(&format!(
        "\n\n# Proposed by `upjobpilot init --from-profile` from your Upwork profile's skills.\n[[search]]\nname = \"{PROFILE_SEARCH}\"\nskills = {list}\n"
    ));
    out
}

/// Checks that `text` is a valid config, then writes it over `path` atomically (mode kept).
fn replace_checked(path: &Path, text: &str) -> Result<(), Failure> {
    Config::parse(text, path).map_err(|e| {
        failure(
            Exit::Config,
            format!(
                "the changed config would not be valid, so {} is unchanged: {e}",
                path.display()
            ),
            None,
        )
    })?;
    crate::fs::write_atomic(path, text.as_bytes()).map_err(|e| {
        failure(
            Exit::Failure,
            format!("cannot write {}: {e}", path.display()),
            None,
        )
    })
}

/// Where the template's example searches begin.
const EXAMPLES_START: &str = "# One [[search]] table per job search.";

/// The template with the client id, its example searches turned into comments, and a first
/// search from the keywords: a new config fetches what its user asked for and nothing else.
pub fn render(client_id: &str, keywords: &str) -> String {
    let client_id = if client_id.is_empty() {
        "your-client-id"
    } else {
        client_id
    };
    let text = TEMPLATE.replace(
        "client_id = \"your-client-id\"",
        &format!("client_id = {}", toml_string(client_id)),
    );
    let mut out = String::with_capacity(text.len() + 256);
    let mut in_examples = false;
    for line in text.lines() {
        if line.starts_with(EXAMPLES_START) {
            in_examples = true;
            out.push_str(line);
            out.push_str("\n# The searches below are examples: remove the `# ` to use one.\n");
            continue;
        }
        if in_examples && !line.trim().is_empty() && !line.starts_with('#') {
            out.push_str("# ");
        }
        out.push_str(line);
        out.push('\n');
    }
    match search_expression(keywords) {
        Some(expression) => out.push_str(&format!(
            "\n[[search]]\nname = \"my-keywords\"\nexpression = {}\n",
            toml_string(&expression)
        )),
        None => out.push_str(
            "\n# No search is active yet: uncomment an example above or add your own, e.g.\n# [[search]]\n# name = \"my-keywords\"\n# expression = \"rust OR \\\"data pipeline\\\"\"\n",
        ),
    }
    out
}

/// Comma-separated keywords as a search expression: any of them (`OR`), a keyword of several
/// words as a quoted phrase. `None` when there are none.
pub fn search_expression(keywords: &str) -> Option<String> {
    let terms: Vec<String> = keywords
        .split(',')
        .map(|w| w.trim().replace('"', ""))
        .map(|w| w.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.contains(' ') {
                format!("\"{w}\"")
            } else {
                w
            }
        })
        .collect();
    (!terms.is_empty()).then(|| terms.join(" OR "))
}

fn toml_string(value: &str) -> String {
    toml::Value::String(value.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skills() -> Vec<String> {
        vec!["Rust".into(), "API Integration".into()]
    }

    #[test]
    fn profile_skills_replace_the_profile_line_and_add_a_search() {
        let text = "[upwork]\nclient_id = \"x\"\n\n[profile]\n# mine\nskills = [\"go\"]\nhourly_rate = 50\n\n[[search]]\nname = \"a\"\n";
        let out = with_profile_skills(text, &skills());
        assert!(out.contains(
            "[profile]\n# mine\nskills = [\"Rust\", \"API Integration\"]   # from your Upwork profile\nhourly_rate = 50\n"
        ));
        assert!(out.ends_with(
            "[[search]]\nname = \"profile-skills\"\nskills = [\"Rust\", \"API Integration\"]\n"
        ));
        assert!(!out.contains("\"go\""));
    }

    #[test]
    fn profile_skills_add_a_profile_table_when_there_is_none() {
        let out = with_profile_skills("[upwork]\nclient_id = \"x\"\n", &skills());
        let value: toml::Table = out.parse().expect("valid TOML");
        assert_eq!(value["profile"]["skills"].as_array().map(Vec::len), Some(2));
        assert_eq!(value["search"][0]["name"].as_str(), Some(PROFILE_SEARCH));
    }

    #[test]
    fn keywords_become_one_active_search_with_phrases_quoted() {
        assert_eq!(
            search_expression("python, data pipeline").as_deref(),
            Some("python OR \"data pipeline\"")
        );
        assert_eq!(
            search_expression(" rust ,, \"web  scraping\" ").as_deref(),
            Some("rust OR \"web scraping\"")
        );
        assert_eq!(search_expression(" , "), None);
        let text = render("abc", "python, data pipeline");
        let config = Config::parse(&text, Path::new("/tmp/x/pipeline.toml")).expect("valid");
        let names: Vec<&str> = config.searches.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["my-keywords"], "the examples are comments");
        assert!(text.contains("# name = \"rust-backend\""));
        // Without keywords nothing is active, and the file says so.
        let text = render("abc", "");
        assert!(text.contains("No search is active yet"));
        assert!(Config::parse(&text, Path::new("/tmp/x/pipeline.toml")).is_err());
    }

    #[test]
    fn a_missing_permission_says_what_to_tick() {
        let refused = UpworkError::Refused {
            fields: vec!["Query.user".into(), "CurrentUser.id".into()],
            message: "The client or authentication token doesn't have enough oauth2 permissions/scopes to access: [Query.user, CurrentUser.id].".into(),
        };
        let failure = profile_failure(refused);
        assert_eq!(failure.exit, Exit::Auth);
        assert!(failure.hint.expect("hint").contains("Common Entities"));
        let other = profile_failure(UpworkError::Rejected("Exception occurred".into()));
        assert_eq!(other.exit, Exit::Failure);
    }
}
