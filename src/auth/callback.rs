//! The one-shot local server that receives the browser's redirect after the user approves access.
//!
//! It listens on the redirect URI's port on loopback addresses only (never on all interfaces:
//! the callback carries an authorization code). For `localhost` it listens on both 127.0.0.1 and
//! [::1], since a browser may try either first: a program of someone else's on the other one
//! would otherwise receive the code. It is bound before the browser is sent anywhere (so a busy
//! port, on either address, fails fast, and the redirect cannot race the bind), and serves exactly
//! one valid callback. A request for another path (a browser's `/favicon.ico`) gets a 404 and the
//! server keeps waiting; a callback with a wrong or missing `state` (another page's, or a forgery)
//! gets a 400, is logged, and the login goes on waiting for its own callback, which only the
//! browser that started it can produce; an `error=` callback ends the login only when it carries
//! this login's `state`. If the wait times out, the error says what was turned away (the first
//! [`MAX_TURNED_AWAY`], then how many more: a program flooding the port cannot fill memory). Once
//! it has answered, the server stops listening.
//!
//! [`crate::local_server`] serves it, with its caps and timeouts: the port is as reachable as the
//! dashboard's. Connections that arrive between [`CallbackServer::bind`] and
//! [`CallbackServer::wait`] wait in the kernel's queue. [`CallbackServer::wait`] blocks; it runs
//! on a blocking thread.

use super::error::AuthError;
use super::error::printable;
use crate::local_server::{LocalServer, Request, Response};
use crate::secret::Secret;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use url::{Host, Url};

/// How often a waiting server checks whether its login was abandoned.
const POLL: Duration = Duration::from_millis(200);
/// How many turned-away callbacks the timeout error names; the rest it counts.
pub const MAX_TURNED_AWAY: usize = 10;

/// A bound, not yet answered callback server.
pub struct CallbackServer {
    /// Listening on one or two loopback addresses, the redirect URI's own first.
    server: LocalServer,
    first: SocketAddr,
    path: String,
}

impl std::fmt::Debug for CallbackServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackServer")
            .field("addrs", &self.local_addrs())
            .field("path", &self.path)
            .finish()
    }
}

/// Binds one listener, telling a busy port from other failures.
fn listen(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), AuthError> {
    let busy_or = |source: io::Error| {
        if source.kind() == io::ErrorKind::AddrInUse {
            AuthError::CallbackPortBusy {
                addr: addr.to_string(),
            }
        } else {
            AuthError::CallbackBind {
                addr: addr.to_string(),
                source,
            }
        }
    };
    let listener = TcpListener::bind(addr).map_err(busy_or)?;
    // Port 0 (tests) means "any": report the port actually bound.
    let bound = listener.local_addr().map_err(busy_or)?;
    Ok((listener, bound))
}

impl CallbackServer {
    /// Listens on the loopback address and port of `redirect_uri`; `localhost` means both
    /// 127.0.0.1 and [::1] (the second only where this machine has IPv6).
    pub fn bind(redirect_uri: &str) -> Result<CallbackServer, AuthError> {
        let url = Url::parse(redirect_uri).map_err(|e| invalid(redirect_uri, e.to_string()))?;
        let addr = loopback_addr(&url).map_err(|reason| invalid(redirect_uri, reason))?;
        let (listener, first) = listen(addr)?;
        let mut servers = vec![(listener, first)];
        let is_localhost = matches!(url.host(), Some(Host::Domain(name)) if name.eq_ignore_ascii_case("localhost"));
        if is_localhost {
            // The same port on the IPv6 loopback (port 0 in tests: the one IPv4 got).
            let v6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), first.port());
            match listen(v6) {
                Ok(server) => servers.push(server),
                Err(busy @ AuthError::CallbackPortBusy { .. }) => return Err(busy),
                // No IPv6 here: browsers cannot reach [::1] either, so nobody else can be there.
                Err(other) => {
                    tracing::debug!(stage = "auth", error = %other, "no IPv6 loopback callback")
                }
            }
        }
        for (_, addr) in &servers {
            tracing::debug!(stage = "auth", %addr, "callback server listening");
        }
        let server = LocalServer::new(servers).map_err(|e| AuthError::CallbackBind {
            addr: first.to_string(),
            source: io::Error::other(e),
        })?;
        Ok(CallbackServer {
            server,
            first,
            path: url.path().to_owned(),
        })
    }

    /// The first address the server listens on (the redirect URI's own; a loopback address).
    pub fn local_addr(&self) -> SocketAddr {
        self.first
    }

    /// Every address the server listens on.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.server.addrs()
    }

    /// Waits for the callback carrying `expected_state` and returns its authorization code.
    /// Gives up after `timeout`, or soon after `cancelled` is set. The server has stopped
    /// listening when this returns.
    pub fn wait(
        self,
        expected_state: &str,
        timeout: Duration,
        cancelled: &AtomicBool,
    ) -> Result<Secret, AuthError> {
        let deadline = Instant::now() + timeout;
        let (answers, answered) = mpsc::channel();
        let finished = AtomicBool::new(false);
        let path = self.path;
        let expected = expected_state.to_owned();
        let serving = self.server.serve(move |request| {
            if finished.load(Ordering::SeqCst) {
                return page(410, PAGE_FINISHED);
            }
            let (response, answer) = answer(&path, &expected, &request);
            // One callback only: of two at once, the second is told the sign-in is over.
            if matches!(answer, Answer::Done(_)) && finished.swap(true, Ordering::SeqCst) {
                return page(410, PAGE_FINISHED);
            }
            // The waiter is gone only once the login is over; nothing left to tell then.
            let _ = answers.send(answer);
            response
        });
        let mut turned_away = TurnedAway::default();
        let outcome = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            // Once over, what has arrived still counts (the error lists it), nothing more.
            let over = left.is_zero() || cancelled.load(Ordering::Relaxed);
            let received = if over {
                answered.try_recv().ok()
            } else {
                match answered.recv_timeout(left.min(POLL)) {
                    Ok(answer) => Some(answer),
                    Err(mpsc::RecvTimeoutError::Timeout) => continue,
                    // The server is gone (it cannot be while `serving` lives): nothing can come.
                    Err(mpsc::RecvTimeoutError::Disconnected) => None,
                }
            };
            match received {
                Some(Answer::Done(outcome)) => break outcome,
                Some(Answer::TurnedAway(why)) => {
                    // A flood is logged as far as it is kept.
                    if turned_away.is_full() {
                        tracing::debug!(stage = "auth", reason = %why, "another callback turned away");
                    } else {
                        tracing::warn!(stage = "auth", reason = %why, "a callback that does not belong to this sign-in was turned away; still waiting");
                    }
                    turned_away.push(why);
                }
                Some(Answer::Other) => {}
                None => {
                    break Err(AuthError::CallbackTimeout {
                        waited: timeout,
                        turned_away: turned_away.into_list(),
                    });
                }
            }
        };
        // Answers in progress (the browser's "signed in" page) are finished first.
        serving.stop();
        outcome
    }
}

/// The callbacks turned away while waiting: the first [`MAX_TURNED_AWAY`] reasons, and a count
/// of the rest.
#[derive(Default)]
struct TurnedAway {
    reasons: Vec<String>,
    more: usize,
}

impl TurnedAway {
    fn is_full(&self) -> bool {
        self.reasons.len() >= MAX_TURNED_AWAY
    }

    fn push(&mut self, why: String) {
        if !self.is_full() {
            self.reasons.push(why);
        } else {
            self.more += 1;
        }
    }

    fn into_list(self) -> Vec<String> {
        let mut list = self.reasons;
        if self.more > 0 {
            list.push(format!("{} more", self.more));
        }
        list
    }
}

/// Answers one request to the callback server, and says what it came to.
fn answer(path: &str, expected_state: &str, request: &Request) -> (Response, Answer) {
    if request.path() != path {
        return (page(404, PAGE_NOT_FOUND), Answer::Other);
    }
    if request.method != "GET" {
        return (page(405, PAGE_NOT_FOUND), Answer::Other);
    }
    let params = CallbackParams::parse(request.query());
    let ours = params
        .state
        .as_deref()
        .is_some_and(|state| same(state, expected_state));
    if !ours {
        // Another page's callback, an old tab, or a forgery: only this login's browser knows
        // the state, so the login stays open for it.
        let why = match (&params.state, &params.error) {
            (None, Some(error)) => {
                format!("an error callback ({}) without a state", printable(error))
            }
            (Some(_), Some(error)) => format!(
                "an error callback ({}) with another sign-in's state",
                printable(error)
            ),
            (None, None) => "a callback without a state".to_owned(),
            (Some(_), None) => "a callback with another sign-in's state".to_owned(),
        };
        return (page(400, PAGE_BAD_CALLBACK), Answer::TurnedAway(why));
    }
    let outcome = match (params.error, params.code) {
        (Some(error), _) => Err(AuthError::Denied {
            error: printable(&error),
            description: params.error_description.as_deref().map(printable),
        }),
        (None, Some(code)) if !code.is_empty() => Ok(Secret::new(code)),
        (None, _) => Err(AuthError::MissingCode),
    };
    let response = match &outcome {
        Ok(_) => page(200, PAGE_SIGNED_IN),
        Err(AuthError::Denied { .. }) => page(200, PAGE_DENIED),
        Err(_) => page(400, PAGE_BAD_CALLBACK),
    };
    (response, Answer::Done(outcome))
}

/// What one request to the callback server came to.
enum Answer {
    /// The login's own callback: signed in, denied, or broken.
    Done(Result<Secret, AuthError>),
    /// A callback that belongs to no running login, and why; the login goes on.
    TurnedAway(String),
    /// Not a callback (another path or method).
    Other,
}

/// The query parameters of a callback; the first of each wins.
#[derive(Default)]
struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

impl CallbackParams {
    fn parse(query: &str) -> CallbackParams {
        let mut params = CallbackParams::default();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match key.as_ref() {
                "code" => &mut params.code,
                "state" => &mut params.state,
                "error" => &mut params.error,
                "error_description" => &mut params.error_description,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value.into_owned());
            }
        }
        params
    }
}

/// The socket address to bind for a redirect URI, or why there is none.
fn loopback_addr(url: &Url) -> Result<SocketAddr, String> {
    if url.scheme() != "http" {
        return Err("the callback must be a plain http:// URL on this machine \
                    (e.g. http://localhost:3000/callback)"
            .into());
    }
    let ip = match url.host() {
        Some(Host::Domain(name)) if name.eq_ignore_ascii_case("localhost") => {
            // The IPv4 loopback first; `bind` adds the IPv6 one.
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        }
        Some(Host::Ipv4(ip)) if ip.is_loopback() => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) if ip.is_loopback() => IpAddr::V6(ip),
        _ => {
            return Err(
                "the callback must go to this machine: use localhost, 127.0.0.1 or [::1] \
                        as the host"
                    .into(),
            );
        }
    };
    let port = url
        .port_or_known_default()
        .ok_or_else(|| "the callback URL has no port".to_owned())?;
    Ok(SocketAddr::new(ip, port))
}

fn invalid(redirect_uri: &str, reason: String) -> AuthError {
    AuthError::InvalidUrl {
        name: "redirect_uri",
        value: redirect_uri.to_owned(),
        reason,
    }
}

/// Compares without an early exit, so response timing says nothing about the expected state.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

const PAGE_SIGNED_IN: &str = "<h1>Signed in</h1><p>upjobpilot is signed in to Upwork. \
                              You can close this tab.</p>";
const PAGE_DENIED: &str = "<h1>Sign-in refused</h1><p>Access was not granted. \
                           Run <code>upjobpilot auth login</code> again to retry.</p>";
const PAGE_BAD_CALLBACK: &str = "<h1>Sign-in failed</h1><p>This callback does not belong to \
                                 the running sign-in. Run <code>upjobpilot auth login</code> \
                                 again.</p>";
const PAGE_NOT_FOUND: &str = "<h1>Not found</h1>";
const PAGE_FINISHED: &str = "<h1>Sign-in finished</h1><p>This sign-in is over. \
                             You can close this tab.</p>";

/// A small page. Nothing from the request is echoed back; the page loads nothing, and
/// `no-referrer` keeps the callback URL (with its code) out of any later request.
fn page(status: u16, body: &str) -> Response {
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>upjobpilot</title></head>\
         <body>{body}</body></html>"
    );
    Response::new(status, "text/html; charset=utf-8", page)
        .with_header("cache-control", "no-store")
        .with_header("referrer-policy", "no-referrer")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(uri: &str) -> Result<SocketAddr, String> {
        loopback_addr(&Url::parse(uri).unwrap())
    }

    #[test]
    fn localhost_binds_the_ipv4_loopback_first() {
        assert_eq!(
            addr("http://localhost:3000/callback").unwrap(),
            "127.0.0.1:3000".parse().unwrap()
        );
        assert_eq!(
            addr("http://LOCALHOST/cb").unwrap(),
            "127.0.0.1:80".parse().unwrap()
        );
        assert_eq!(
            addr("http://[::1]:3000/").unwrap(),
            "[::1]:3000".parse().unwrap()
        );
    }

    #[test]
    fn non_loopback_redirects_are_refused() {
        assert!(addr("http://0.0.0.0:3000/callback").is_err());
        assert!(addr("http://example.com:3000/callback").is_err());
        assert!(addr("http://192.168.1.2:3000/callback").is_err());
        assert!(addr("https://localhost:3000/callback").is_err());
    }

    #[test]
    fn localhost_listens_on_both_loopbacks_and_a_busy_one_is_reported() {
        let server = CallbackServer::bind("http://localhost:0/callback").expect("bind");
        let addrs = server.local_addrs();
        assert!(addrs[0].ip().is_loopback() && addrs[0].is_ipv4());
        let Some(v6) = addrs.get(1) else {
            // No IPv6 on this machine: nothing can listen on [::1] either.
            return;
        };
        assert_eq!(v6.ip(), IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert_eq!(v6.port(), addrs[0].port());
        drop(server);
        // Someone else on [::1] at a port that is free on 127.0.0.1: the login refuses to
        // start rather than let a browser that tries [::1] first hand them the code.
        let squatter = TcpListener::bind("[::1]:0").expect("squat on ::1");
        let port = squatter.local_addr().expect("addr").port();
        let busy = CallbackServer::bind(&format!("http://localhost:{port}/callback"));
        assert!(
            matches!(busy, Err(AuthError::CallbackPortBusy { .. })),
            "{busy:?}"
        );
    }

    #[test]
    fn first_parameter_wins() {
        let p = CallbackParams::parse("state=a&code=c%2B1&state=b&error_description=x+y");
        assert_eq!(p.state.as_deref(), Some("a"));
        assert_eq!(p.code.as_deref(), Some("c+1"));
        assert_eq!(p.error_description.as_deref(), Some("x y"));
        assert!(p.error.is_none());
    }

    /// Regression: every turned-away callback was kept, so a program flooding the port with
    /// bad callbacks grew the list without bound.
    #[test]
    fn the_turned_away_list_is_capped_and_counts_the_rest() {
        let mut turned_away = TurnedAway::default();
        for n in 0..100_000 {
            turned_away.push(format!("callback {n}"));
        }
        let list = turned_away.into_list();
        assert_eq!(list.len(), MAX_TURNED_AWAY + 1);
        assert_eq!(list[0], "callback 0");
        assert_eq!(
            list[MAX_TURNED_AWAY],
            format!("{} more", 100_000 - MAX_TURNED_AWAY)
        );
    }

    #[test]
    fn state_comparison() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
