//! Issue 19: a local program cannot crash or stall the local servers. Each attack goes through a
//! real socket, as raw bytes, against the dashboard run as its own process (`upjobpilot serve`,
//! so a crash, its memory and its file descriptors are its own) and against the sign-in
//! callback in-process; after each, an ordinary request is still answered at once.
//!
//! Every one of these hurt the tiny_http server that served both before: an announced terabyte
//! body aborted the process, `u64::MAX` lengths killed the workers, stalled bodies froze them,
//! a 400 MiB header line was read into memory, running out of file descriptors ended the accept
//! loop, connections were not bounded, and the callback kept every turned-away request.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use upjobpilot::auth::AuthError;
use upjobpilot::auth::callback::{CallbackServer, MAX_TURNED_AWAY};
use upjobpilot::local_server::{BODY_READ_TIMEOUT, HEADER_READ_TIMEOUT, MAX_CONNECTIONS};

/// "At once": how long an ordinary request may take while an attack is going on.
const AT_ONCE: Duration = Duration::from_secs(2);
/// What a `u64::MAX` length may be answered: hyper calls a length it cannot represent a header
/// too large.
const U64_MAX_REFUSED: [u16; 3] = [400, 413, 431];
/// The most a server may grow while a 400 MiB header line is sent at it.
const MAX_GROWTH_KIB: u64 = 50 * 1024;

/// `upjobpilot serve` on a free port, over a config whose database does not exist yet (the pages
/// answer 503 "run a sync first"; the assets are served from the binary).
struct Dashboard {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
    /// Kept open: the dashboard's stdout.
    _stdout: BufReader<ChildStdout>,
}

impl Dashboard {
    fn start() -> Dashboard {
        Dashboard::start_with(None)
    }

    /// With `max_files`, the process may hold at most that many file descriptors.
    fn start_with(max_files: Option<u64>) -> Dashboard {
        use std::os::unix::process::CommandExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("pipeline.toml");
        std::fs::write(
            &config,
            "[upwork]\nclient_id = \"local-server-test\"\n\n[[search]]\nname = \"rust\"\nexpression = \"rust\"\n",
        )
        .expect("config");
        let stderr = std::fs::File::create(dir.path().join("stderr.log")).expect("stderr file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_upjobpilot"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("UPJOBPILOT_DATA_DIR", dir.path().join("data"))
            .args(["serve", "--port", "0", "--config"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        if let Some(limit) = max_files {
            // SAFETY: only an async-signal-safe call between fork and exec.
            unsafe {
                command.pre_exec(move || {
                    let limit = libc::rlimit {
                        rlim_cur: limit,
                        rlim_max: limit,
                    };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut child = command.spawn().expect("upjobpilot serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("the first line");
        let url = line
            .trim()
            .strip_prefix("upjobpilot dashboard: ")
            .unwrap_or_else(|| panic!("the dashboard's address, not {line:?}"));
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("an address");
        Dashboard {
            child,
            addr,
            dir,
            _stdout: stdout,
        }
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default()
    }

    fn proc(&self, name: &str) -> PathBuf {
        PathBuf::from(format!("/proc/{}/{name}", self.child.id()))
    }

    /// Resident memory, in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(self.proc("status")).expect("/proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    /// File descriptors open in the process.
    fn open_files(&self) -> usize {
        std::fs::read_dir(self.proc("fd"))
            .expect("/proc fd")
            .count()
    }

    /// Asserts an ordinary request is answered 200, at once, and the process lives.
    fn assert_serves(&mut self, after: &str) {
        assert!(
            self.alive(),
            "the dashboard died after {after}: {}",
            self.stderr()
        );
        let started = Instant::now();
        assert_eq!(
            get_asset(self.addr, AT_ONCE),
            Some(200),
            "after {after}: {}",
            self.stderr()
        );
        assert!(started.elapsed() < AT_ONCE, "after {after}: slow");
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn connect(addr: SocketAddr, timeout: Duration) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, AT_ONCE).expect("connect");
    stream.set_read_timeout(Some(timeout)).expect("timeout");
    stream.set_write_timeout(Some(timeout)).expect("timeout");
    stream
}

/// What a connection came to: an answer's status, or how it ended without one.
#[derive(Debug, PartialEq)]
enum Outcome {
    Status(u16),
    Closed,
    NoAnswer,
}

/// Reads the status line of the answer on `stream`, waiting at most its read timeout.
fn outcome(stream: &mut TcpStream) -> Outcome {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match stream.read(&mut byte) {
            Ok(0) if head.is_empty() => return Outcome::Closed,
            Ok(0) => break,
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => head.push(byte[0]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Outcome::NoAnswer;
            }
            Err(_) => return Outcome::Closed,
        }
    }
    String::from_utf8_lossy(&head)
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .map_or(Outcome::Closed, Outcome::Status)
}

/// `GET /assets/app.css` (from the binary, no database needed); its status.
fn get_asset(addr: SocketAddr, timeout: Duration) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    write!(
        stream,
        "GET /assets/app.css HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    match outcome(&mut stream) {
        Outcome::Status(status) => Some(status),
        _ => None,
    }
}

/// A POST head announcing `length` bytes of body.
fn post_head(addr: SocketAddr, path: &str, length: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
}

/// Sends a request head announcing `length` bytes and no body; the answer.
fn announce(addr: SocketAddr, path: &str, length: &str) -> Outcome {
    let mut stream = connect(addr, Duration::from_secs(5));
    stream
        .write_all(post_head(addr, path, length).as_bytes())
        .expect("send the head");
    outcome(&mut stream)
}

/// Sends one header line of up to `total` bytes, in 1 MiB pieces, until the server hangs up;
/// how much it took and what it answered.
fn flood_header(addr: SocketAddr, total: usize) -> (usize, Outcome) {
    let mut stream = connect(addr, Duration::from_secs(10));
    write!(stream, "GET / HTTP/1.1\r\nHost: {addr}\r\nX-Flood: ").expect("head");
    let piece = vec![b'a'; 1 << 20];
    let mut sent = 0;
    while sent < total {
        match stream.write(&piece) {
            Ok(n) => sent += n,
            Err(_) => break,
        }
    }
    (sent, outcome(&mut stream))
}

fn assert_refused(what: &str, outcome: &Outcome, statuses: &[u16]) {
    assert!(
        matches!(outcome, Outcome::Closed)
            || matches!(outcome, Outcome::Status(s) if statuses.contains(s)),
        "{what}: {outcome:?}"
    );
}

/// Regression: tiny_http drained an unread body by allocating its announced length, so one
/// `Content-Length: 1000000000000` aborted the process ("memory allocation of 1000000000000
/// bytes failed").
#[test]
fn an_announced_terabyte_body_is_refused_unread_and_the_dashboard_lives() {
    let mut dashboard = Dashboard::start();
    let before = dashboard.rss_kib();
    for path in ["/api/postings/1/label", "/", "/nothing"] {
        let answer = announce(dashboard.addr, path, "1000000000000");
        dashboard.assert_serves("a terabyte body announced");
        assert_eq!(answer, Outcome::Status(413), "{path}");
    }
    assert!(dashboard.rss_kib() < before + MAX_GROWTH_KIB);
}

/// Regression: `Content-Length: 18446744073709551615` panicked a tiny_http worker; after four
/// of them nobody answered on 127.0.0.1 any more.
#[test]
fn u64_max_lengths_do_not_take_the_dashboard_down() {
    let mut dashboard = Dashboard::start();
    let mut answers = Vec::new();
    for n in 1..=8 {
        answers.push(announce(
            dashboard.addr,
            "/api/postings/1/label",
            "18446744073709551615",
        ));
        dashboard.assert_serves(&format!("{n} u64::MAX lengths"));
    }
    for (n, answer) in answers.iter().enumerate() {
        assert_refused(&format!("attempt {n}"), answer, &U64_MAX_REFUSED);
    }
    assert!(
        !dashboard.stderr().contains("panicked"),
        "{}",
        dashboard.stderr()
    );
}

/// Regression: a connection that announced a body and never sent it held a tiny_http worker
/// forever (no read timeout); a few of them froze the dashboard. Half-sent heads likewise.
#[test]
fn stalled_bodies_and_heads_hold_nothing_up_and_are_closed_after_the_timeout() {
    let mut dashboard = Dashboard::start();
    let addr = dashboard.addr;
    let patience = BODY_READ_TIMEOUT.max(HEADER_READ_TIMEOUT) + Duration::from_secs(5);
    let mut stalled = Vec::new();
    for _ in 0..10 {
        let mut stream = connect(addr, patience);
        stream
            .write_all(post_head(addr, "/api/postings/1/label", "100").as_bytes())
            .expect("head");
        stalled.push(stream);
    }
    for _ in 0..4 {
        let mut stream = connect(addr, patience);
        write!(stream, "GET / HTTP/1.1\r\nHost: {addr}\r\nX-Half: ").expect("half a head");
        stalled.push(stream);
    }
    let started = Instant::now();
    dashboard.assert_serves("14 stalled requests");
    for (n, stream) in stalled.iter_mut().enumerate() {
        let answer = outcome(stream);
        assert_refused(&format!("stalled request {n}"), &answer, &[408]);
    }
    assert!(
        started.elapsed() < patience,
        "closed by the timeouts: {:?}",
        started.elapsed()
    );
    dashboard.assert_serves("the stalled requests were closed");
}

/// Regression: tiny_http read a header line of any length into memory.
#[test]
fn a_400_mib_header_line_is_refused_without_being_read_into_memory() {
    const FLOOD: usize = 400 << 20;
    let mut dashboard = Dashboard::start();
    dashboard.assert_serves("start");
    let before = dashboard.rss_kib();
    let (sent, answer) = flood_header(dashboard.addr, FLOOD);
    let grown = dashboard.rss_kib().saturating_sub(before);
    assert!(sent < FLOOD, "the dashboard read all {sent} bytes");
    assert_refused("a 400 MiB header line", &answer, &[431]);
    assert!(
        grown < MAX_GROWTH_KIB,
        "grew by {grown} KiB while {sent} bytes were sent"
    );
    dashboard.assert_serves("a 400 MiB header line");
}

/// Regression: tiny_http's accept loop ended at the first failed accept, so running out of file
/// descriptors once left a port nobody answered on.
#[test]
fn running_out_of_file_descriptors_does_not_end_the_accept_loop() {
    const FILES: u64 = 64;
    let mut dashboard = Dashboard::start_with(Some(FILES));
    dashboard.assert_serves("start");
    let addr = dashboard.addr;
    let mut hogs: Vec<TcpStream> = (0..FILES + 36)
        .filter_map(|_| TcpStream::connect_timeout(&addr, AT_ONCE).ok())
        .collect();
    // At the limit, give or take a descriptor being opened or closed.
    let deadline = Instant::now() + Duration::from_secs(10);
    while dashboard.open_files() + 4 < FILES as usize {
        assert!(
            Instant::now() < deadline,
            "the dashboard never ran out: {} files open",
            dashboard.open_files()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    hogs.clear();
    let deadline = Instant::now() + Duration::from_secs(10);
    while get_asset(addr, AT_ONCE) != Some(200) {
        assert!(
            Instant::now() < deadline,
            "nobody answers after the files ran out: {}",
            dashboard.stderr()
        );
    }
    assert!(dashboard.alive());
}

/// Regression: tiny_http took every connection offered, each holding a file descriptor (and,
/// stalled, a thread): now the (MAX_CONNECTIONS + 1)th is refused at once.
#[test]
fn open_connections_are_bounded() {
    let mut dashboard = Dashboard::start();
    dashboard.assert_serves("start");
    let base = dashboard.open_files();
    let addr = dashboard.addr;
    let extra = 16;
    let mut idle: Vec<TcpStream> = (0..MAX_CONNECTIONS + extra)
        .map(|_| connect(addr, AT_ONCE))
        .collect();
    // The server closes (or answers 503 on) the ones over the bound, without waiting for them.
    let deadline = Instant::now() + AT_ONCE * 2;
    let refused = loop {
        let refused = idle
            .iter_mut()
            .filter(|stream| {
                stream.set_nonblocking(true).expect("nonblocking");
                let mut byte = [0u8; 1];
                let gone =
                    !matches!(stream.peek(&mut byte), Err(e) if e.kind() == ErrorKind::WouldBlock);
                stream.set_nonblocking(false).expect("blocking");
                gone
            })
            .count();
        if refused >= extra || Instant::now() >= deadline {
            break refused;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        (extra..MAX_CONNECTIONS).contains(&refused),
        "{refused} of {} refused",
        idle.len()
    );
    let open = dashboard.open_files();
    assert!(
        open <= base + MAX_CONNECTIONS + 2,
        "{open} files open with {} connections offered (at rest: {base})",
        idle.len()
    );
    // A connection that was closing while the others came in may have left a slot for one
    // more, which then stays open (keep-alive); the next is refused.
    let mut refusals = 0;
    for _ in 0..3 {
        let mut one_more = connect(addr, AT_ONCE);
        write!(
            one_more,
            "GET /assets/app.css HTTP/1.1\r\nHost: {addr}\r\n\r\n"
        )
        .ok();
        match outcome(&mut one_more) {
            Outcome::Status(200) => idle.push(one_more),
            other => {
                assert_refused("one connection over the bound", &other, &[503]);
                refusals += 1;
                break;
            }
        }
    }
    assert_eq!(
        refusals, 1,
        "a connection over the bound is refused at once"
    );
    idle.clear();
    let deadline = Instant::now() + Duration::from_secs(5);
    while get_asset(addr, AT_ONCE) != Some(200) {
        assert!(Instant::now() < deadline, "served again once they closed");
    }
}

/// A bare HTTP/1.1 GET to the callback server; its status.
fn callback_get(addr: SocketAddr, target: &str) -> Outcome {
    let mut stream = connect(addr, Duration::from_secs(5));
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    outcome(&mut stream)
}

/// The sign-in callback server takes every attack above and still signs in. In-process: with the
/// tiny_http server before, the terabyte body aborted the test binary itself.
#[test]
fn the_callback_server_survives_every_attack_and_still_signs_in() {
    let server = CallbackServer::bind("http://127.0.0.1:0/callback").expect("bind");
    let addr = server.local_addr();
    let waiter = std::thread::spawn(move || {
        server.wait(
            "the-state",
            Duration::from_secs(120),
            &AtomicBool::new(false),
        )
    });
    let still_answers = |after: &str| {
        let started = Instant::now();
        assert_eq!(
            callback_get(addr, "/favicon.ico"),
            Outcome::Status(404),
            "after {after}"
        );
        assert!(started.elapsed() < AT_ONCE, "after {after}: slow");
    };

    assert_eq!(
        announce(addr, "/callback", "1000000000000"),
        Outcome::Status(413)
    );
    still_answers("a terabyte body announced");
    for n in 0..6 {
        let answer = announce(addr, "/callback", "18446744073709551615");
        assert_refused(&format!("u64::MAX {n}"), &answer, &U64_MAX_REFUSED);
    }
    still_answers("six u64::MAX lengths");
    let mut stalled = Vec::new();
    for _ in 0..10 {
        let mut stream = connect(addr, BODY_READ_TIMEOUT + Duration::from_secs(5));
        stream
            .write_all(post_head(addr, "/callback", "100").as_bytes())
            .expect("head");
        stalled.push(stream);
    }
    still_answers("ten stalled bodies");
    let flood = 64 << 20;
    let (sent, answer) = flood_header(addr, flood);
    assert!(sent < flood, "all {sent} bytes of one header line read");
    assert_refused("a 64 MiB header line", &answer, &[431]);
    still_answers("a 64 MiB header line");
    for (n, stream) in stalled.iter_mut().enumerate() {
        assert_refused(&format!("stalled body {n}"), &outcome(stream), &[408]);
    }

    assert_eq!(
        callback_get(addr, "/callback?code=abc123&state=the-state"),
        Outcome::Status(200)
    );
    let code = waiter
        .join()
        .expect("waiter thread")
        .expect("signed in after the attacks");
    assert_eq!(code.expose(), "abc123");
}

/// Regression: the callback kept every turned-away request for the timeout's message, so a
/// program sending bad callbacks grew it without bound. Now it names the first few and counts
/// the rest.
#[test]
fn the_callbacks_turned_away_list_is_capped() {
    let server = CallbackServer::bind("http://127.0.0.1:0/callback").expect("bind");
    let addr = server.local_addr();
    let cancelled = Arc::new(AtomicBool::new(false));
    let waiter = {
        let cancelled = cancelled.clone();
        std::thread::spawn(move || server.wait("the-state", Duration::from_secs(60), &cancelled))
    };
    let sent = 200;
    for n in 0..sent {
        assert_eq!(
            callback_get(addr, &format!("/callback?code=c&state=forged-{n}")),
            Outcome::Status(400)
        );
    }
    cancelled.store(true, Ordering::SeqCst);
    match waiter.join().expect("waiter thread") {
        Err(AuthError::CallbackTimeout { turned_away, .. }) => {
            assert_eq!(turned_away.len(), MAX_TURNED_AWAY + 1, "{turned_away:?}");
            assert_eq!(turned_away[0], "a callback with another sign-in's state");
            assert_eq!(
                turned_away[MAX_TURNED_AWAY],
                format!("{} more", sent - MAX_TURNED_AWAY)
            );
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
}
