//! Stamps the binary with the commit it was built from, for `upjobpilot --version`.
//!
//! The commit comes from `UPJOBPILOT_COMMIT` when that is set (a packager building from a source
//! archive), else from git when this package is the top of a git checkout (the short hash, with
//! `-dirty` when a tracked file the binary is built from differs from that commit), else it is
//! `unknown`. Nothing here can fail the build: a missing git or a broken repository gives
//! `unknown`.
//!
//! Cargo reruns this script only when one of the files it names changes, so an unchanged tree
//! builds nothing: the git `HEAD`, the branch's ref (loose or packed), and the inputs listed in
//! [`INPUTS`], whose changes recompile the crate anyway and may flip `-dirty`. The index is not
//! watched: `git status` itself may rewrite it, which would rerun this script on every build.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The tracked paths the binary is built from; a change under them makes a build `-dirty`.
const INPUTS: &[&str] = &[
    "build.rs",
    "Cargo.toml",
    "Cargo.lock",
    "askama.toml",
    "pipeline.toml",
    "queries",
    "src",
    "crates",
];

fn main() {
    println!("cargo:rerun-if-env-changed=UPJOBPILOT_COMMIT");
    for input in INPUTS {
        println!("cargo:rerun-if-changed={input}");
    }
    let commit = match std::env::var("UPJOBPILOT_COMMIT") {
        Ok(commit) if !commit.trim().is_empty() => commit.trim().to_owned(),
        _ => from_git().unwrap_or_else(|| "unknown".to_owned()),
    };
    println!("cargo:rustc-env=UPJOBPILOT_BUILD_COMMIT={commit}");
}

/// The short hash of `HEAD` and whether the inputs differ from it, when this package's folder is
/// the top of a git work tree (not, say, a source archive unpacked inside another repository).
fn from_git() -> Option<String> {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    let top = git(&manifest_dir, &["rev-parse", "--show-toplevel"])?;
    if Path::new(&top).canonicalize().ok()? != manifest_dir.canonicalize().ok()? {
        return None;
    }
    watch_head(&manifest_dir);
    let hash = git(&manifest_dir, &["rev-parse", "--short=12", "HEAD"])?;
    // --no-optional-locks: status must not refresh the index file behind the user's back.
    let mut status = vec![
        "--no-optional-locks",
        "status",
        "--porcelain",
        "--untracked-files=no",
        "--",
    ];
    status.extend(INPUTS);
    let changes = git(&manifest_dir, &status)?;
    Some(if changes.is_empty() {
        hash
    } else {
        format!("{hash}-dirty")
    })
}

/// Asks cargo to rerun this script when `HEAD` moves: the `HEAD` file (a checkout, or a commit
/// on a detached head) and the branch it names (a commit), loose or packed. A worktree keeps
/// `HEAD` in its own git folder and the branches in the shared one.
fn watch_head(dir: &Path) {
    let Some(dirs) = git(
        dir,
        &[
            "rev-parse",
            "--path-format=absolute",
            "--git-dir",
            "--git-common-dir",
        ],
    ) else {
        return;
    };
    let mut lines = dirs.lines();
    let (Some(git_dir), Some(common_dir)) = (lines.next(), lines.next()) else {
        return;
    };
    let (git_dir, common_dir) = (Path::new(git_dir), Path::new(common_dir));
    let mut watched = vec![git_dir.join("HEAD"), common_dir.join("packed-refs")];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(common_dir.join(branch));
    }
    // A path that does not exist would make cargo rerun this script on every build.
    for path in watched.iter().filter(|path| path.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

/// The trimmed stdout of a successful `git` run in `dir`, or `None`.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    Some(String::from_utf8(output.stdout).ok()?.trim().to_owned())
}
