//! `upjobpilot init`: write a commented `pipeline.toml`.
//!
//! On a terminal it asks for what the flags did not give; off a terminal it uses the flags and
//! defaults, so scripts can run it. It explains where the key comes from and what to register.

use crate::cli::{Failure, InitArgs};
use crate::config::Config;
use crate::exit::Exit;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

const TEMPLATE: &str = include_str!("../pipeline.toml");

/// The search `init --from-profile` adds.
pub const PROFILE_SEARCH: &str = "profile-skills";

/// Writes the config file.
pub fn run(path: &Path, args: InitArgs) -> Result<Exit, Failure> {
    if args.from_profile {
        return from_profile(path, args.yes);
    }
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
    // The views sync exports, unless the folder is there already (it may hold the user's own).
    let queries = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("queries");
    if !queries.exists() {
        crate::demo::write_default_views(&queries).map_err(|e| Failure {
            exit: Exit::Failure,
            error: anyhow::anyhow!("cannot write {}: {e}", queries.display()),
            hint: None,
        })?;
        println!(
            "wrote {} views in {} (one SELECT per file; add your own)",
            crate::demo::DEFAULT_VIEWS.len(),
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
    Failure {
        exit,
        error: anyhow::anyhow!("{error}"),
        hint: hint.map(str::to_string),
    }
}

/// `init --from-profile`: asks Upwork for the signed-in freelancer's skills (the `user` query),
/// then adds a search for any of them and makes them the `[profile]` skills, after showing the
/// change (and asking, on a terminal, unless `--yes`). The new file is validated before it
/// replaces the old one.
fn from_profile(path: &Path, yes: bool) -> Result<Exit, Failure> {
    let config = Config::load(path)?;
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| failure(Exit::Failure, e, None))?;
    let skills = runtime.block_on(profile_skills(&config))?;
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

/// The skills on the signed-in freelancer's profile, by their labels, in profile order.
async fn profile_skills(config: &Config) -> Result<Vec<String>, Failure> {
    const QUERY: &str = "query ProfileSkills { user { id freelancerProfile { skills { edges { node { preferredLabel prettyName } } } } } }";
    let source = crate::cli::token_source(config).await?;
    let token = source
        .access_token()
        .await
        .map_err(|e| failure(Exit::Auth, e, Some("run `upjobpilot auth login`")))?;
    let client = reqwest::Client::builder()
        .user_agent(crate::upwork::USER_AGENT)
        .timeout(Duration::from_secs(u64::from(config.upwork.timeout_secs)))
        .build()
        .map_err(|e| failure(Exit::Failure, e, None))?;
    let mut request = client
        .post(&config.upwork.graphql_url)
        .bearer_auth(token.expose())
        .json(&serde_json::json!({ "query": QUERY }));
    if let Some(tenant) = &config.upwork.tenant_id {
        request = request.header("X-Upwork-API-TenantId", tenant);
    }
    let unreachable = |e: reqwest::Error| {
        failure(
            Exit::Failure,
            format!("{}: {e}", config.upwork.graphql_url),
            Some("check the network and `upwork.graphql_url`"),
        )
    };
    let response = request.send().await.map_err(unreachable)?;
    let status = response.status();
    if status.as_u16() == 401 || status.as_u16() == 403 {
        return Err(failure(
            Exit::Auth,
            format!("Upwork refused the token (HTTP {status})"),
            Some("run `upjobpilot auth login`"),
        ));
    }
    if !status.is_success() {
        return Err(failure(
            Exit::Failure,
            format!("Upwork answered HTTP {status}"),
            Some("try again later"),
        ));
    }
    let body: serde_json::Value = response.json().await.map_err(unreachable)?;
    parse_profile_skills(&body)
}

/// The skill labels in a `user` answer, or why there are none.
pub fn parse_profile_skills(body: &serde_json::Value) -> Result<Vec<String>, Failure> {
    if let Some(message) = body["errors"][0]["message"].as_str() {
        let scope = message.contains("permissions") || message.contains("scopes");
        return Err(failure(
            if scope { Exit::Auth } else { Exit::Failure },
            format!("Upwork did not return your profile: {message}"),
            scope.then_some(
                "tick \"Common Entities - Read-Only Access\" for the key on the developer portal, then `upjobpilot auth login` again",
            ),
        ));
    }
    let edges = body["data"]["user"]["freelancerProfile"]["skills"]["edges"]
        .as_array()
        .ok_or_else(|| {
            failure(
                Exit::Failure,
                "Upwork's answer has no profile skills (data.user.freelancerProfile.skills)",
                None,
            )
        })?;
    let mut skills: Vec<String> = Vec::new();
    for edge in edges {
        let node = &edge["node"];
        let label = node["prettyName"]
            .as_str()
            .or_else(|| node["preferredLabel"].as_str())
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.contains(','));
        if let Some(label) = label
            && !skills.iter().any(|s| s.eq_ignore_ascii_case(label))
        {
            skills.push(label.to_string());
        }
    }
    Ok(skills)
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

/// Writes `text` beside `path`, checks that it is a valid config, then renames it over `path`.
fn replace_checked(path: &Path, text: &str) -> Result<(), Failure> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let write_err = |e: std::io::Error| {
        failure(
            Exit::Failure,
            format!("cannot write {}: {e}", path.display()),
            None,
        )
    };
    let tmp = tempfile::Builder::new()
        .prefix(".pipeline.toml.")
        .tempfile_in(dir)
        .map_err(write_err)?;
    std::fs::write(tmp.path(), text).map_err(write_err)?;
    if let Ok(metadata) = std::fs::metadata(path) {
        std::fs::set_permissions(tmp.path(), metadata.permissions()).map_err(write_err)?;
    }
    Config::load(tmp.path()).map_err(|e| {
        failure(
            Exit::Config,
            format!(
                "the changed config would not be valid, so {} is unchanged: {e}",
                path.display()
            ),
            None,
        )
    })?;
    tmp.persist(path).map_err(|e| write_err(e.error))?;
    Ok(())
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
    fn the_user_answer_gives_labels_once_each_and_scope_errors_say_what_to_tick() {
        let body = serde_json::json!({"data": {"user": {"freelancerProfile": {"skills": {"edges": [
            {"node": {"preferredLabel": "Rust", "prettyName": "Rust"}},
            {"node": {"preferredLabel": "rust", "prettyName": null}},
            {"node": {"preferredLabel": "Docker"}},
            {"node": {"prettyName": "  "}},
        ]}}}}});
        assert_eq!(
            parse_profile_skills(&body)
                .map_err(|f| f.error.to_string())
                .expect("skills"),
            ["Rust", "Docker"]
        );
        let refused = serde_json::json!({"errors": [{"message": "The client or authentication token doesn't have enough oauth2 permissions/scopes to access: [Query.user, CurrentUser.id]."}]});
        let failure = parse_profile_skills(&refused).expect_err("refused");
        assert_eq!(failure.exit, Exit::Auth);
        assert!(failure.hint.expect("hint").contains("Common Entities"));
    }
}
