//! `upjobpilot schedule install | status | remove | show`: the system runs `sync` (or `watch`)
//! on an interval, with this binary's absolute path and the config's, in the config's folder.
//!
//! This file resolves what the [`crate::schedule`] module needs (the paths, the variables the
//! config names with their current values, where the system keeps schedules), picks cron where
//! Linux has no systemd user session, and prints; `status` and `doctor` take their schedule line
//! from [`summary_line`].

use crate::cli::{ScheduleInstallArgs, ScheduleShowArgs};
use crate::config::{Channel, Config};
use crate::exit::Exit;
use crate::failure::Failure;
use crate::pipeline::status::last_run;
use crate::schedule::{
    self, Every, Installed, Job, Kind, Places, Spot, System, Variable, is_variable_name, plain_path,
};
use crate::secret::Secret;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// The variables a scheduled run needs when they are set here: the folders the config's paths
/// and the token store may be moved to.
const LOCATION_VARIABLES: [&str; 6] = [
    "UPJOBPILOT_DATA_DIR",
    "UPJOBPILOT_TOKEN_FILE",
    "UPJOBPILOT_DATABASE",
    "UPJOBPILOT_SPOOL_DIR",
    "UPJOBPILOT_EXPORT_DIR",
    "UPJOBPILOT_QUERIES_DIR",
];

/// Installs (or replaces) the schedule.
pub fn install(config_path: &Path, args: &ScheduleInstallArgs) -> Result<Exit, Failure> {
    let config = Config::load(config_path)?;
    let places = Places::from_env()?;
    let kind = if args.watch { Kind::Watch } else { Kind::Sync };
    let mut system = schedule::native();
    let installed = schedule::installed(system, &places)?;
    if system == System::Systemd
        && let Err(why) = schedule::systemd_session()
    {
        system = System::Cron;
        if schedule::read_crontab()?.is_none() {
            let (job, _) = job(&config, &places, system, kind, args.every)?;
            let block =
                String::from_utf8_lossy(&schedule::files(System::Cron, &job)?[0].1).into_owned();
            println!(
                "There is no systemd user session and no `crontab` command here. To schedule upjobpilot,\n\
                 install cron and add these lines to your crontab (`crontab -e`):\n\n{block}"
            );
            return Err(schedule::ScheduleError::NoScheduler { systemd: why }.into());
        }
        println!("no systemd user session ({why}): the schedule goes into your crontab");
    }
    let (job, warnings) = job(&config, &places, system, kind, args.every)?;
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    let plan = schedule::install(system, &job, &places, &installed)?;
    if args.dry_run {
        print!("{}", plan.describe());
        for note in &plan.notes {
            println!("note: {note}");
        }
        println!("nothing was changed (--dry-run)");
        return Ok(Exit::Ok);
    }
    plan.execute()?;
    let now = schedule::installed(system, &places)?;
    match now.iter().find(|i| i.system == system && i.kind == kind) {
        Some(item) => {
            println!("installed: {}", item.describe());
            println!("runs: {}", item.command);
        }
        None => println!("installed into {system}"),
    }
    for note in &plan.notes {
        println!("note: {note}");
    }
    Ok(Exit::Ok)
}

/// Prints what is installed, what the scheduler says of it, and the database's last run.
pub fn status(config_path: &Path) -> Result<Exit, Failure> {
    let places = Places::from_env()?;
    let installed = schedule::installed(schedule::native(), &places)?;
    if installed.is_empty() {
        println!("no schedule installed (`upjobpilot schedule install` sets one up)");
    }
    for item in &installed {
        println!("installed: {}", item.describe());
        println!("runs: {}", item.command);
        match schedule::scheduler_says(item) {
            Some(said) if !said.is_empty() => println!("{} says: {said}", item.system),
            Some(_) | None => println!("{} says nothing of its runs", item.system),
        }
    }
    let config = Config::load(config_path)?;
    println!("{}", last_run_line(&config));
    Ok(Exit::Ok)
}

/// Removes whatever schedule is installed.
pub fn remove(dry_run: bool) -> Result<Exit, Failure> {
    let places = Places::from_env()?;
    let installed = schedule::installed(schedule::native(), &places)?;
    let plan = schedule::remove(&installed, &places, true);
    if dry_run {
        print!("{}", plan.describe());
        println!("nothing was changed (--dry-run)");
        return Ok(Exit::Ok);
    }
    plan.execute()?;
    if installed.is_empty() {
        println!("no schedule was installed");
    }
    for item in &installed {
        println!("removed: {}", item.describe());
    }
    Ok(Exit::Ok)
}

/// Prints one file `install` would write, or lists their names.
pub fn show(config_path: &Path, args: &ScheduleShowArgs) -> Result<Exit, Failure> {
    let Some(name) = &args.name else {
        let native = schedule::native();
        for (name, system, _) in schedule::file_names() {
            let here = system == native || (native == System::Systemd && system == System::Cron);
            println!(
                "{name:<28} {system}{}",
                if here { " (this system)" } else { "" }
            );
        }
        return Ok(Exit::Ok);
    };
    let (system, kind) = schedule::file_names()
        .into_iter()
        .find(|(n, _, _)| n == name)
        .map(|(_, system, kind)| (system, kind))
        .ok_or_else(|| Failure::msg(Exit::Usage, format!("no schedule file is named {name}")))?;
    let kind = kind.unwrap_or(if args.watch { Kind::Watch } else { Kind::Sync });
    let config = Config::load(config_path)?;
    let places = Places::from_env()?;
    let (job, _) = job(&config, &places, system, kind, args.every)?;
    let bytes = schedule::files(system, &job)?
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, bytes)| bytes)
        .ok_or_else(|| {
            Failure::msg(
                Exit::Usage,
                format!("{name} is not written for this kind of schedule: drop --watch"),
            )
        })?;
    let mut stdout = std::io::stdout().lock();
    if stdout.is_terminal() {
        stdout
            .write_all(schedule::decode(&bytes).as_bytes())
            .map_err(Failure::other)?;
    } else {
        stdout.write_all(&bytes).map_err(Failure::other)?;
    }
    stdout.flush().map_err(Failure::other)?;
    Ok(Exit::Ok)
}

/// One line for `status` and `doctor`: the schedule installed (with what the scheduler says of
/// its last run when `ask` is set) and the database's last run.
pub fn summary_line(config: &Config, ask: bool) -> String {
    let schedule =
        match Places::from_env().and_then(|p| schedule::installed(schedule::native(), &p)) {
            Err(e) => format!("schedule: cannot tell ({e})"),
            Ok(installed) if installed.is_empty() => {
                "schedule: none installed (`upjobpilot schedule install`)".to_string()
            }
            Ok(installed) => {
                let parts: Vec<String> = installed
                    .iter()
                    .map(|item| {
                        let said = if ask {
                            schedule::scheduler_says(item)
                                .filter(|s| !s.is_empty())
                                .map(|s| format!(" ({s})"))
                                .unwrap_or_default()
                        } else {
                            String::new()
                        };
                        format!("{}{said}", item.describe())
                    })
                    .collect();
                format!("schedule: {}", parts.join("; "))
            }
        };
    format!("{schedule}; {}", last_run_line(config))
}

/// The installed schedules, for `status --json`.
pub fn installed_json() -> serde_json::Value {
    let installed = Places::from_env()
        .and_then(|p| schedule::installed(schedule::native(), &p))
        .unwrap_or_default();
    serde_json::Value::Array(installed.iter().map(json).collect())
}

fn json(item: &Installed) -> serde_json::Value {
    serde_json::json!({
        "system": item.system.to_string(),
        "kind": item.kind.command(),
        "every": item.every.map(|e| e.to_string()),
        "command": item.command,
        "definition": item.definition,
    })
}

fn last_run_line(config: &Config) -> String {
    let database = config.database_path();
    match last_run(&database) {
        Ok(Some(run)) => format!("last sync run: {} ({})", run.started_at, run.status),
        Ok(None) => "last sync run: never".into(),
        Err(e) => format!("last sync run: unknown ({e})"),
    }
}

/// The job for `config` on `system`, and the warnings about its variables.
fn job(
    config: &Config,
    places: &Places,
    system: System,
    kind: Kind,
    every: Option<Every>,
) -> Result<(Job, Vec<String>), Failure> {
    let absolute = |path: &Path, what: &str| -> Result<PathBuf, Failure> {
        path.canonicalize().map(plain_path).map_err(|e| {
            Failure::other(anyhow::anyhow!(
                "cannot resolve {what} {}: {e}",
                path.display()
            ))
        })
    };
    let program = std::env::current_exe()
        .map_err(|e| Failure::other(anyhow::anyhow!("cannot find this program's path: {e}")))?;
    let program = absolute(&program, "this program's path")?;
    let config_file = absolute(&config.path, "the config file")?;
    let dir = crate::fs::parent_dir(&config_file).to_path_buf();
    let (variables, warnings) = variables(config, |name| std::env::var_os(name));
    let env_file = match system {
        System::Systemd | System::Cron if !variables.is_empty() => {
            Some(Spot::Path(places.env_file()))
        }
        _ => None,
    };
    let job = Job {
        kind,
        // A sync timer needs one; `watch` without one chooses its own from the budget.
        every: match kind {
            Kind::Sync => Some(every.unwrap_or(Every::DEFAULT_SYNC)),
            Kind::Watch => every,
        },
        program: Spot::Path(program),
        config: Spot::Path(config_file),
        dir: Spot::Path(dir),
        env_file,
        variables,
        log: Spot::Path(places.log(kind)),
    };
    Ok((job, warnings))
}

/// The variables the scheduled command needs, with their values from `env`: the client
/// secret's (when set: after `auth login` the token store has it), each webhook rule's (a
/// warning when unset), and the `UPJOBPILOT_*` folders (when set).
pub fn variables(
    config: &Config,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> (Vec<Variable>, Vec<String>) {
    let mut variables: Vec<Variable> = Vec::new();
    let mut warnings = Vec::new();
    let mut wanted: Vec<(String, Option<String>)> =
        vec![(config.upwork.client_secret_env.clone(), None)];
    for alert in &config.alerts {
        if let Channel::Webhook { env, .. } = &alert.channel {
            wanted.push((env.clone(), Some(alert.name.clone())));
        }
    }
    wanted.extend(LOCATION_VARIABLES.map(|name| (name.to_string(), None)));
    for (name, rule) in wanted {
        if variables.iter().any(|v| v.name == name) {
            continue;
        }
        let value = env(&name).filter(|v| !v.is_empty());
        match (value, rule) {
            (Some(_), _) if !is_variable_name(&name) => warnings.push(format!(
                "{name:?} is not a portable variable name: the schedule cannot pass it; rename it in the config"
            )),
            (Some(value), _) => match value.into_string() {
                Ok(value) => variables.push(Variable {
                    name,
                    value: Secret::new(value),
                }),
                Err(_) => warnings.push(format!(
                    "{name} is not valid Unicode: the schedule cannot pass it"
                )),
            },
            (None, Some(rule)) => warnings.push(format!(
                "alert {rule:?}: {name} is not set here, so the scheduled sync cannot send its alerts; set it and run `upjobpilot schedule install` again"
            )),
            (None, None) => {}
        }
    }
    (variables, warnings)
}
