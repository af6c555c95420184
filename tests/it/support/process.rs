//! The real binary as a long-running process (`watch`, `serve --watch`): started on a harness
//! with a scrubbed environment, its stdout lines on a channel, its stderr in `stderr.log` of its
//! home folder, killed if a failing test unwinds past it.

use super::Harness;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A child process killed when a failing test unwinds past it.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// `upjobpilot` with a scrubbed environment: `PATH`, `home` as its home folder, the harness's
/// token file.
pub fn command(h: &Harness, home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_upjobpilot"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("UPJOBPILOT_TOKEN_FILE", h.store.path());
    command
}

/// `upjobpilot sync --quiet` on the harness as another process, its stderr piped (what a cron
/// sync beside a dashboard or an MCP server is).
pub fn spawn_sync(h: &Harness, home: &Path) -> Child {
    command(h, home)
        .env("UPJOBPILOT_DATA_DIR", home.join("data"))
        .args(["sync", "--quiet", "--config"])
        .arg(h.dir.path().join("pipeline.toml"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sync")
}

/// Asserts that a sync of [`spawn_sync`], which ended with `status`, loaded what it fetched
/// (not left in the spool): status 0, one run more than `runs_before`, every run loaded. `what`
/// goes into the failure message.
pub fn assert_loaded(
    h: &Harness,
    sync: &mut Child,
    status: ExitStatus,
    runs_before: i64,
    what: &str,
) {
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut sync.stderr.take().expect("stderr"), &mut stderr)
        .expect("stderr");
    assert!(
        status.success(),
        "the sync loaded, not spooled: {status} {stderr}; {what}"
    );
    assert_eq!(h.count("SELECT count(*) FROM sync_runs"), runs_before + 1);
    assert_eq!(
        h.count("SELECT count(*) FROM sync_runs WHERE loaded_at IS NULL"),
        0,
        "every run was loaded"
    );
}

/// `upjobpilot COMMAND ARGS --config …` on the harness.
pub fn start(
    h: &Harness,
    home: &Path,
    command: &str,
    args: &[&str],
) -> (Running, mpsc::Receiver<String>) {
    let stderr = std::fs::File::create(home.join("stderr.log")).expect("stderr file");
    let mut child = self::command(h, home)
        .arg(command)
        .args(args)
        .arg("--config")
        .arg(h.dir.path().join("pipeline.toml"))
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("starts");
    let lines = lines(child.stdout.take().expect("stdout"));
    (Running(child), lines)
}

/// The lines of `stdout`, on a channel fed by a thread of its own.
pub fn lines(stdout: std::process::ChildStdout) -> mpsc::Receiver<String> {
    let (send, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    lines
}

/// What the holder prints once it has the file (libtest prints its own text on the same line).
const HELD: &str = "upjobpilot-test: the database is held";

/// Another process holding `database` read-write, as a sync's load or the duckdb CLI does,
/// until its stdin is closed: this test binary running `serve::hold_the_database`. Returns
/// once it has the file.
pub fn hold_database(database: &Path) -> Child {
    let mut holder = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "serve::hold_the_database",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("UPJOBPILOT_TEST_HOLD", database)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("holder");
    let mut lines = BufReader::new(holder.stdout.take().expect("stdout")).lines();
    assert!(
        lines.any(|l| l.is_ok_and(|l| l.contains(HELD))),
        "the holder opened the file"
    );
    // Read the rest: a closed pipe would fail libtest's last words.
    std::thread::spawn(move || lines.for_each(drop));
    holder
}

/// What it wrote to stderr so far.
pub fn stderr(home: &Path) -> String {
    std::fs::read_to_string(home.join("stderr.log")).unwrap_or_default()
}

/// The next line starting with `prefix`, within `timeout`.
pub fn line_starting(lines: &mpsc::Receiver<String>, prefix: &str, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.starts_with(prefix) => return line,
            Ok(line) => seen.push(line),
            Err(e) => panic!("no line starting with {prefix:?} ({e}); before it: {seen:#?}"),
        }
    }
}

/// Sends SIGTERM.
pub fn terminate(Running(child): &Running) {
    // SAFETY: kill(2) on the pid of a child we spawned and have not reaped.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) },
        0
    );
}

/// Its exit status, within `timeout` (then it is killed and the test fails).
pub fn exits_within(Running(child): &mut Running, timeout: Duration) -> ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("it did not stop within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
