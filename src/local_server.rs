//! The HTTP/1.1 server under every socket the product listens on: the dashboard
//! (`upjobpilot serve`) and the sign-in callback.
//!
//! Both listen on loopback only, but any program of this machine, and any web page a browser
//! opens, can connect: whatever reaches them is treated as hostile. So every limit is set before
//! anything is read: the request head is bounded ([`MAX_HEAD_BYTES`]) and must arrive within
//! [`HEADER_READ_TIMEOUT`] (which also closes idle keep-alive connections); a body announced
//! larger than [`MAX_BODY_BYTES`] is refused with 413 without reading a byte of it, a chunked
//! one is cut off at the cap, and either must arrive within [`BODY_READ_TIMEOUT`]; a connection
//! lives at most [`MAX_CONNECTION_LIFE`]; at most [`MAX_CONNECTIONS`] are open at once (more
//! get a 503); and the accept loop outlives its errors (out of file descriptors: it backs off
//! and goes on). hyper parses HTTP; tiny_http, which served here before, could do none of this
//! from outside (it allocated a body's announced length, panicked on a `u64::MAX` one, had no
//! timeouts, and its accept loop ended at the first `EMFILE`).
//!
//! Handlers are blocking (they read DuckDB) and see plain [`Request`] and [`Response`] values;
//! they run on the server's own small tokio runtime's blocking threads, [`MAX_HANDLERS`] at a
//! time, so callers stay blocking. It imports nothing of the product: `serve` and `auth` build
//! on it.

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::StatusCode;
use hyper::body::{Body, Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::{Handle, Runtime};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

/// The largest request head (request line and headers) read; a longer one is answered 431.
/// hyper's read buffer, so also the most read from a socket at once (hyper's floor is 8 KiB).
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// How long a client has to send a request's head, counted from the connection or from the end
/// of the previous response: also how long an idle keep-alive connection stays open.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request body accepted (a label and a note are far smaller).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// How long a client has to send a request's body once its head has arrived.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest a connection is kept, whatever it does: then it is closed after the request in
/// progress (a client that never reads its answers cannot hold a connection either).
pub const MAX_CONNECTION_LIFE: Duration = Duration::from_secs(120);
/// Connections open at once, over all listeners; one more is answered 503 and closed.
pub const MAX_CONNECTIONS: usize = 64;
/// Handlers running at once (each may hold a DuckDB connection).
pub const MAX_HANDLERS: usize = 4;
/// How long stopping waits for answers in progress before dropping their connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// The first and the longest pause after a failed accept (out of file descriptors, say).
const ACCEPT_BACKOFF: (Duration, Duration) = (Duration::from_millis(10), Duration::from_secs(1));
/// Threads driving the connections (the handlers have their own).
const WORKER_THREADS: usize = 2;

/// What a refused connection gets when [`MAX_CONNECTIONS`] are open.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 28\r\nRetry-After: 1\r\nConnection: close\r\n\r\ntoo many connections; retry\n";

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The runtime's threads could not be started.
    #[error("cannot start the local server's threads: {0}")]
    Runtime(#[source] io::Error),
    /// A listener could not be handed to the runtime.
    #[error("cannot listen on {addr}: {source}")]
    Listener {
        /// The listener's address.
        addr: String,
        /// Why.
        source: io::Error,
    },
}

/// A request, its body read in full (at most [`MAX_BODY_BYTES`]).
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path and query, as sent (`/postings?page=2`).
    pub target: String,
    /// Every header, names in lowercase, values as sent (bytes that are not UTF-8 replaced).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The target's path.
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(&self.target, |(p, _)| p)
    }

    /// The target's query, without the `?` (empty when there is none).
    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }
}

/// An answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Headers; one that is not valid HTTP (a line break in a value) is left out.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// An answer of `status` with a body of `content_type`.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: vec![("content-type", content_type.to_owned())],
            body: body.into(),
        }
    }

    /// The same with one more header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }
}

type Handler = dyn Fn(Request) -> Response + Send + Sync;

/// The server's own tokio runtime, shut down without waiting when dropped (possibly from
/// within another runtime, where a plain drop would panic).
struct OwnedRuntime(Option<Runtime>);

impl OwnedRuntime {
    fn handle(&self) -> Option<&Handle> {
        self.0.as_ref().map(Runtime::handle)
    }
}

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// Listeners ready to be served, not yet answering (connections wait in the kernel's queue).
pub struct LocalServer {
    runtime: OwnedRuntime,
    listeners: Vec<(TcpListener, SocketAddr)>,
}

impl std::fmt::Debug for LocalServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalServer")
            .field("addrs", &self.addrs())
            .finish()
    }
}

impl LocalServer {
    /// Takes over bound listeners (the callers bind them, to tell a busy port from other
    /// failures) and starts the runtime that will serve them.
    pub fn new(
        listeners: Vec<(std::net::TcpListener, SocketAddr)>,
    ) -> Result<LocalServer, StartError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKER_THREADS)
            .max_blocking_threads(MAX_HANDLERS)
            .thread_name("upjobpilot-http")
            .enable_io()
            .enable_time()
            .build()
            .map_err(StartError::Runtime)?;
        let runtime = OwnedRuntime(Some(runtime));
        let mut registered = Vec::with_capacity(listeners.len());
        for (listener, addr) in listeners {
            let fail = |source| StartError::Listener {
                addr: addr.to_string(),
                source,
            };
            listener.set_nonblocking(true).map_err(fail)?;
            let Some(handle) = runtime.handle() else {
                return Err(fail(io::Error::other("the runtime is gone")));
            };
            let _entered = handle.enter();
            registered.push((TcpListener::from_std(listener).map_err(fail)?, addr));
        }
        Ok(LocalServer {
            runtime,
            listeners: registered,
        })
    }

    /// Every address it listens on.
    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.listeners.iter().map(|(_, addr)| *addr).collect()
    }

    /// Starts answering every request with `handler`.
    pub fn serve(self, handler: impl Fn(Request) -> Response + Send + Sync + 'static) -> Serving {
        let (stop, stopping) = watch::channel(false);
        let (listening_tx, listening) = mpsc::channel::<()>();
        let (open_tx, open) = mpsc::channel::<()>();
        let shared = Arc::new(Shared {
            handler: Arc::new(handler),
            connections: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
            handlers: Arc::new(Semaphore::new(MAX_HANDLERS)),
        });
        let addrs = self.addrs();
        if let Some(handle) = self.runtime.handle() {
            for (listener, addr) in self.listeners {
                handle.spawn(accept_loop(
                    listener,
                    addr,
                    shared.clone(),
                    stopping.clone(),
                    listening_tx.clone(),
                    open_tx.clone(),
                ));
            }
        }
        Serving {
            runtime: self.runtime,
            addrs,
            stop,
            listening,
            open,
            stopped: false,
        }
    }
}

/// A serving server; stops when dropped.
pub struct Serving {
    runtime: OwnedRuntime,
    addrs: Vec<SocketAddr>,
    stop: watch::Sender<bool>,
    /// Disconnected once every accept loop has ended (and closed its listener).
    listening: mpsc::Receiver<()>,
    /// Disconnected once every connection has ended.
    open: mpsc::Receiver<()>,
    stopped: bool,
}

impl std::fmt::Debug for Serving {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serving")
            .field("addrs", &self.addrs)
            .field("stopped", &self.stopped)
            .finish()
    }
}

impl Serving {
    /// Every address it listens on.
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Stops listening (the ports refuse connections once this returns), lets answers in
    /// progress finish for a moment, then drops every connection.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        self.stop.send_replace(true);
        if !gone(&self.listening, SHUTDOWN_GRACE) {
            tracing::warn!(stage = "local_server", addrs = ?self.addrs, "the listeners did not close in time");
        }
        if !gone(&self.open, SHUTDOWN_GRACE) {
            tracing::debug!(
                stage = "local_server",
                "connections still open at shutdown are dropped"
            );
        }
        // Every connection left ends here, not whenever the fields happen to be dropped.
        self.runtime = OwnedRuntime(None);
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Waits until every sender of `channel` is gone, at most `within`.
fn gone(channel: &mpsc::Receiver<()>, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match channel.recv_timeout(left) {
            Ok(()) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return true,
            Err(mpsc::RecvTimeoutError::Timeout) => return false,
        }
    }
}

/// What every connection shares.
struct Shared {
    handler: Arc<Handler>,
    connections: Arc<Semaphore>,
    handlers: Arc<Semaphore>,
}

/// Accepts connections until told to stop. An error (out of file descriptors, a connection
/// reset before it was accepted) pauses it, longer while errors repeat: it never ends on its
/// own, so a burst of connections cannot take the server down for good.
async fn accept_loop(
    listener: TcpListener,
    addr: SocketAddr,
    shared: Arc<Shared>,
    mut stopping: watch::Receiver<bool>,
    listening: mpsc::Sender<()>,
    open: mpsc::Sender<()>,
) {
    let mut backoff = ACCEPT_BACKOFF.0;
    loop {
        let accepted = tokio::select! {
            _ = stopping.wait_for(|stop| *stop) => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _peer)) => {
                backoff = ACCEPT_BACKOFF.0;
                match shared.connections.clone().try_acquire_owned() {
                    Ok(permit) => {
                        tokio::spawn(connection(
                            stream,
                            shared.clone(),
                            stopping.clone(),
                            permit,
                            open.clone(),
                        ));
                    }
                    Err(_) => {
                        tracing::debug!(stage = "local_server", %addr, "too many connections; one refused");
                        // Best effort: a full socket buffer just means a plain close.
                        let _ = stream.try_write(BUSY);
                    }
                }
            }
            Err(error) => {
                tracing::warn!(
                    stage = "local_server",
                    %addr,
                    %error,
                    backoff_ms = backoff.as_millis() as u64,
                    "accepting a connection failed; trying again shortly"
                );
                tokio::select! {
                    _ = stopping.wait_for(|stop| *stop) => break,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(ACCEPT_BACKOFF.1);
            }
        }
    }
    // The listener closes before `listening` says so: parameters are dropped in reverse order
    // of declaration, which would let `stop` return while the port still accepted connections.
    drop(listener);
    drop(listening);
    tracing::debug!(stage = "local_server", %addr, "stopped listening");
}

/// Serves one connection until the client closes it, a limit closes it, or the server stops.
async fn connection(
    stream: TcpStream,
    shared: Arc<Shared>,
    mut stopping: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
    _open: mpsc::Sender<()>,
) {
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| {
        let shared = shared.clone();
        async move { Ok::<_, Infallible>(answer(&shared, request).await) }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEAD_BYTES);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    let ended = tokio::select! {
        result = connection.as_mut() => Some(result),
        () = tokio::time::sleep(MAX_CONNECTION_LIFE) => None,
        _ = stopping.wait_for(|stop| *stop) => None,
    };
    let result = match ended {
        Some(result) => result,
        None => {
            // Closes an idle connection at once, a busy one after its answer.
            connection.as_mut().graceful_shutdown();
            match tokio::time::timeout(SHUTDOWN_GRACE, connection.as_mut()).await {
                Ok(result) => result,
                Err(_) => return,
            }
        }
    };
    if let Err(error) = result {
        tracing::debug!(stage = "local_server", %error, "connection ended");
    }
}

/// Reads a request's body within the limits, then has the handler answer it.
async fn answer(
    shared: &Shared,
    request: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    // A `Content-Length` is known before the body is read: refuse a large one unread.
    if body.size_hint().lower() > MAX_BODY_BYTES as u64 {
        return refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is too large",
        );
    }
    let limited = Limited::new(body, MAX_BODY_BYTES);
    let body = match tokio::time::timeout(BODY_READ_TIMEOUT, limited.collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(error)) if error.is::<LengthLimitError>() => {
            return refusal(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the request body is too large",
            );
        }
        Ok(Err(error)) => {
            tracing::debug!(stage = "local_server", %error, "request body broken off");
            return refusal(
                StatusCode::BAD_REQUEST,
                "the request body could not be read",
            );
        }
        Err(_) => {
            return refusal(
                StatusCode::REQUEST_TIMEOUT,
                "the request body did not arrive in time",
            );
        }
    };
    let request = Request {
        method: parts.method.as_str().to_owned(),
        target: parts
            .uri
            .path_and_query()
            .map_or("/", |target| target.as_str())
            .to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    };
    let Ok(permit) = shared.handlers.clone().acquire_owned().await else {
        return refusal(StatusCode::SERVICE_UNAVAILABLE, "the server is stopping");
    };
    let handler = shared.handler.clone();
    let answered = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        handler(request)
    })
    .await;
    match answered {
        Ok(response) => into_hyper(response),
        Err(error) => {
            tracing::error!(stage = "local_server", %error, "a request handler failed");
            refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the request could not be answered",
            )
        }
    }
}

/// The server's own short answer; it closes the connection, whose unread rest is not wanted.
fn refusal(status: StatusCode, text: &str) -> hyper::Response<Full<Bytes>> {
    into_hyper(
        Response::new(
            status.as_u16(),
            "text/plain; charset=utf-8",
            format!("{text}\n"),
        )
        .with_header("cache-control", "no-store")
        .with_header("x-content-type-options", "nosniff")
        .with_header("connection", "close"),
    )
}

fn into_hyper(response: Response) -> hyper::Response<Full<Bytes>> {
    let mut out = hyper::Response::new(Full::new(Bytes::from(response.body)));
    *out.status_mut() =
        StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in response.headers {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            (Ok(name), Ok(value)) => {
                out.headers_mut().append(name, value);
            }
            _ => tracing::debug!(
                stage = "local_server",
                header = name,
                "not a valid header; left out"
            ),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_and_query_split_at_the_first_question_mark() {
        let request = Request {
            method: "GET".into(),
            target: "/a/b?x=1?y".into(),
            headers: vec![("host".into(), "localhost".into())],
            body: Vec::new(),
        };
        assert_eq!(request.path(), "/a/b");
        assert_eq!(request.query(), "x=1?y");
        assert_eq!(request.header("Host"), Some("localhost"));
        assert_eq!(request.header("origin"), None);
    }

    #[test]
    fn the_busy_answer_announces_its_length() {
        let text = std::str::from_utf8(BUSY).expect("ASCII");
        let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
        assert!(
            head.contains(&format!("Content-Length: {}", body.len())),
            "{head}"
        );
    }

    #[test]
    fn an_invalid_header_is_left_out_not_sent() {
        let response = Response::new(303, "text/plain", "")
            .with_header("location", "/postings/1\r\nSet-Cookie: a=b")
            .with_header("retry-after", "1");
        let out = into_hyper(response);
        assert!(out.headers().get("location").is_none());
        assert_eq!(out.headers()["retry-after"], "1");
    }
}
