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

/// `upjobpilot COMMAND ARGS --config …` on the harness.
pub fn start(
    h: &Harness,
    home: &Path,
    command: &str,
    args: &[&str],
) -> (Running, mpsc::Receiver<String>) {
    let stderr = std::fs::File::create(home.join("stderr.log")).expect("stderr file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_upjobpilot"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("UPJOBPILOT_TOKEN_FILE", h.store.path())
        .arg(command)
        .args(args)
        .arg("--config")
        .arg(h.dir.path().join("pipeline.toml"))
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let (send, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    (Running(child), lines)
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
