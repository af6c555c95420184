//! `upjobpilot completions`: shell completions or the man page, from the clap definitions.

use crate::cli::{Cli, CompletionTarget};
use crate::exit::Exit;
use crate::failure::Failure;
use clap::CommandFactory;
use clap_complete::Shell;

/// Prints the completions for `target` (or the man page) on stdout.
pub fn run(target: CompletionTarget) -> Result<Exit, Failure> {
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
                .map_err(Failure::other)?;
            return Ok(Exit::Ok);
        }
    };
    clap_complete::generate(shell, &mut command, "upjobpilot", &mut out);
    Ok(Exit::Ok)
}
