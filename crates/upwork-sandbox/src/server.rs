//! HTTP for the sandbox: the worker pool, routing, and the order in which a request meets the
//! latency, faults, authentication, rate limit and GraphQL.
//!
//! tiny_http parses requests on a private port behind the [`relay`](super::relay); a pool of
//! worker threads takes them with `recv()`, so one slow answer (latency, a latency fault) does not
//! hold the others up. Each request is answered by the endpoint functions here, which call the
//! pure logic in `oauth` and `graphql`, then logged. A `/graphql` request goes through, in order:
//! base latency, its fault draw (latency, dropped connection, 429 and 5xx act before anything
//! else), the bearer token (401), token faults, the per-client rate limit (429), market faults,
//! then validation and execution, and finally the response faults (GraphQL errors, a cut body).

use crate::faults::FaultKind;
use crate::graphql::{self, Outcome};
use crate::log::{Endpoint, RequestRecord, redact_variables};
use crate::oauth::AuthorizeReply;
use crate::ratelimit::Refusal;
use crate::relay::{Breaker, Relay};
use crate::shared::Shared;
use base64::Engine as _;
use std::io::{self, Read, Write as _};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Path of the authorize endpoint (Upwork's paths, under the sandbox's base URL).
pub const AUTHORIZE_PATH: &str = "/ab/account-security/oauth2/authorize";
/// Path of the token endpoint.
pub const TOKEN_PATH: &str = "/api/v3/oauth2/token";
/// Path of the GraphQL endpoint.
pub const GRAPHQL_PATH: &str = "/graphql";

/// Largest request body read; GraphQL documents and token forms are far smaller.
const MAX_BODY: u64 = 1 << 20;

/// The running HTTP side of a sandbox.
pub(crate) struct Server {
    relay: Relay,
    http: Arc<tiny_http::Server>,
    workers: Vec<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// Binds 127.0.0.1:`port` and starts `threads` workers.
    pub(crate) fn start(shared: Arc<Shared>, port: u16, threads: usize) -> io::Result<Server> {
        let http = tiny_http::Server::http("127.0.0.1:0").map_err(io::Error::other)?;
        let backend = http
            .server_addr()
            .to_ip()
            .ok_or_else(|| io::Error::other("tiny_http did not bind an IP address"))?;
        let relay = Relay::start(TcpListener::bind(("127.0.0.1", port))?, backend)?;
        let http = Arc::new(http);
        let stop = Arc::new(AtomicBool::new(false));
        let mut workers = Vec::new();
        for i in 0..threads.max(1) {
            let (http, shared, stop, breaker) = (
                Arc::clone(&http),
                Arc::clone(&shared),
                Arc::clone(&stop),
                relay.breaker(),
            );
            let worker = thread::Builder::new()
                .name(format!("sandbox-worker-{i}"))
                .spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        match http.recv() {
                            Ok(request) => handle(&shared, &breaker, &stop, request),
                            Err(_) if stop.load(Ordering::SeqCst) => break,
                            Err(error) => {
                                tracing::warn!(stage = "sandbox", %error, "sandbox accept failed");
                            }
                        }
                    }
                })?;
            workers.push(worker);
        }
        Ok(Server {
            relay,
            http,
            workers,
            stop,
        })
    }

    /// The public address.
    pub(crate) fn address(&self) -> SocketAddr {
        self.relay.address()
    }

    /// Stops the workers and the relay and frees the port.
    pub(crate) fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.relay.shutdown();
        for _ in &self.workers {
            self.http.unblock();
        }
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// How to answer.
enum Reply {
    /// A whole HTTP response.
    Full(Response),
    /// The headers of this response and half its body, then the connection closes.
    Cut(Response),
    /// The connection closes with no response at all.
    Drop,
}

struct Response {
    status: u16,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Response {
    fn json(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            content_type: "application/json;charset=UTF-8",
            headers: Vec::new(),
            body: body.into(),
        }
    }

    fn html(status: u16, title: &str, text: &str) -> Response {
        let body = format!(
            "<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center>\
             <p>{text}</p></body></html>\n"
        );
        Response {
            status,
            content_type: "text/html; charset=UTF-8",
            headers: Vec::new(),
            body: body.into_bytes(),
        }
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }
}

/// One request, start to finish.
fn handle(shared: &Shared, breaker: &Breaker, stop: &AtomicBool, mut request: tiny_http::Request) {
    nap(stop, shared.config.latency);
    let url = request.url().to_owned();
    let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
    let method = request.method().as_str().to_owned();
    let mut record = RequestRecord {
        seq: 0,
        time: shared.clock.now(),
        method: method.clone(),
        endpoint: path.to_owned(),
        operation: None,
        query: None,
        variables: None,
        client_id: None,
        tenant_id: header(&request, "X-Upwork-API-TenantId").map(str::to_owned),
        user_agent: header(&request, "User-Agent").map(str::to_owned),
        client_auth: None,
        status: None,
        fault: None,
        root_fields: None,
        postings_requested: None,
    };
    let mut rate_limited = false;
    let (endpoint, reply) = match (method.as_str(), path) {
        ("GET", AUTHORIZE_PATH) => (Endpoint::Authorize, authorize(shared, query, &mut record)),
        ("POST", TOKEN_PATH) => (Endpoint::Token, token(shared, &mut request, &mut record)),
        ("POST", GRAPHQL_PATH) => {
            let (reply, limited) = graphql(shared, stop, &mut request, &mut record);
            rate_limited = limited;
            (Endpoint::Graphql, reply)
        }
        (_, AUTHORIZE_PATH) => (Endpoint::Authorize, not_allowed("GET")),
        (_, TOKEN_PATH) => (Endpoint::Token, not_allowed("POST")),
        (_, GRAPHQL_PATH) => (Endpoint::Graphql, not_allowed("POST")),
        _ => (
            Endpoint::Other,
            Reply::Full(Response::json(404, r#"{"message":"Not Found"}"#)),
        ),
    };
    // The server's clock in every answer, as any HTTP server sends it: clients that judge
    // "later than now" by it agree with the market's times on a manual or shifted clock.
    let date = record.time.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let reply = match reply {
        Reply::Full(response) => Reply::Full(response.header("Date", date)),
        Reply::Cut(response) => Reply::Cut(response.header("Date", date)),
        Reply::Drop => Reply::Drop,
    };
    // Logged before the answer goes out, so a client that has its answer can count on the
    // request being in the log and the counters.
    record.status = match &reply {
        Reply::Full(response) | Reply::Cut(response) => Some(response.status),
        Reply::Drop => None,
    };
    shared.log.push(endpoint, record, rate_limited);
    send(request, reply, breaker);
}

/// Sends the reply.
fn send(request: tiny_http::Request, reply: Reply, breaker: &Breaker) {
    match reply {
        Reply::Full(response) => {
            let status = response.status;
            let mut http = tiny_http::Response::from_data(response.body)
                .with_status_code(tiny_http::StatusCode(status));
            let headers = std::iter::once(("Content-Type", response.content_type.to_owned()))
                .chain(response.headers);
            for (name, value) in headers {
                match tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                    Ok(header) => http.add_header(header),
                    Err(()) => tracing::warn!(stage = "sandbox", name, "unsendable header dropped"),
                }
            }
            if let Err(error) = request.respond(http) {
                tracing::debug!(stage = "sandbox", %error, "response not delivered");
            }
        }
        Reply::Cut(response) => {
            let status = response.status;
            let mut bytes = format!(
                "HTTP/1.1 {status} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
                tiny_http::StatusCode(status).default_reason_phrase(),
                response.content_type,
                response.body.len()
            );
            for (name, value) in &response.headers {
                bytes.push_str(&format!("{name}: {value}\r\n"));
            }
            bytes.push_str("\r\n");
            let mut bytes = bytes.into_bytes();
            bytes.extend_from_slice(&response.body[..response.body.len() / 2]);
            abandon(request, breaker, &bytes);
        }
        Reply::Drop => abandon(request, breaker, &[]),
    }
}

/// Closes the request's connection after sending `bytes`, leaving tiny_http nothing to answer.
fn abandon(request: tiny_http::Request, breaker: &Breaker, bytes: &[u8]) {
    let broken = request
        .remote_addr()
        .is_some_and(|peer| breaker.break_connection(*peer, bytes));
    let mut writer = request.into_writer();
    if !broken {
        // Not behind the relay (cannot happen): the best left is to write and stop.
        let _ = writer.write_all(bytes);
    }
}

fn not_allowed(allow: &'static str) -> Reply {
    Reply::Full(Response::json(405, r#"{"message":"Method Not Allowed"}"#).header("Allow", allow))
}

fn read_body(request: &mut tiny_http::Request) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    request.as_reader().take(MAX_BODY).read_to_end(&mut body)?;
    Ok(body)
}

fn header<'r>(request: &'r tiny_http::Request, name: &str) -> Option<&'r str> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// The credentials of an `Authorization: <scheme> <credentials>` header with this scheme.
fn authorization<'r>(request: &'r tiny_http::Request, scheme: &str) -> Option<&'r str> {
    let (given, credentials) = header(request, "Authorization")?.trim().split_once(' ')?;
    given
        .eq_ignore_ascii_case(scheme)
        .then(|| credentials.trim())
}

/// HTTP Basic client credentials (RFC 6749 §2.3.1: each part form-urlencoded, then base64).
fn basic_credentials(request: &tiny_http::Request) -> Option<(String, String)> {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(authorization(request, "Basic")?)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |part: &str| {
        url::form_urlencoded::parse(format!("v={part}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((unescape(id), unescape(secret)))
}

fn authorize(shared: &Shared, query: &str, record: &mut RequestRecord) -> Reply {
    let client_id = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "client_id")
        .map(|(_, v)| v.into_owned());
    record.client_id = client_id.filter(|id| shared.is_client(id));
    record.operation = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "response_type")
        .map(|(_, v)| v.into_owned());
    let reply = shared.oauth().authorize(query, shared.clock.now());
    match reply {
        AuthorizeReply::Redirect(location) => Reply::Full(Response {
            status: 302,
            content_type: "text/html; charset=UTF-8",
            headers: vec![("Location", location)],
            body: Vec::new(),
        }),
        AuthorizeReply::ErrorPage(text) => {
            Reply::Full(Response::html(400, "Invalid authorization request", &text))
        }
    }
}

fn token(shared: &Shared, request: &mut tiny_http::Request, record: &mut RequestRecord) -> Reply {
    let body = match read_body(request) {
        Ok(body) => body,
        Err(_) => return Reply::Drop,
    };
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    record.operation = form
        .iter()
        .find(|(k, _)| k == "grant_type")
        .map(|(_, v)| v.clone());
    let basic = basic_credentials(request);
    let in_form = form
        .iter()
        .any(|(k, v)| k == "client_secret" && !v.is_empty());
    record.client_auth = match (basic.is_some(), in_form) {
        (true, true) => Some("basic+form".to_owned()),
        (true, false) => Some("basic".to_owned()),
        (false, true) => Some("form".to_owned()),
        (false, false) => None,
    };
    let reply = shared.oauth().token(basic, &form, shared.clock.now());
    record.client_id = reply.client_id.filter(|id| shared.is_client(id));
    let mut response = Response::json(reply.status, reply.body)
        .header("Cache-Control", "no-store")
        .header("Pragma", "no-cache");
    if reply.basic_challenge {
        response = response.header("WWW-Authenticate", r#"Basic realm="oauth2""#);
    }
    Reply::Full(response)
}

/// The `/graphql` pipeline; also says whether the rate limit refused the request.
fn graphql(
    shared: &Shared,
    stop: &AtomicBool,
    request: &mut tiny_http::Request,
    record: &mut RequestRecord,
) -> (Reply, bool) {
    let body = match read_body(request) {
        Ok(body) => body,
        Err(_) => return (Reply::Drop, false),
    };
    let parsed = graphql::Request::parse(&body);
    if let Ok(parsed) = &parsed {
        record.query = Some(parsed.query.clone());
        record.variables = Some(redact_variables(&serde_json::Value::Object(
            parsed.variables.clone(),
        )));
        record.operation = parsed.operation_name.clone();
        record.root_fields = graphql::root_fields(&parsed.query, parsed.operation_name.as_deref());
        record.postings_requested = record.root_fields.as_ref().map(|fields| {
            let postings = fields
                .iter()
                .filter(|f| *f == "marketplaceJobPosting")
                .count();
            u32::try_from(postings).unwrap_or(u32::MAX)
        });
    }
    let fault = shared.next_fault();
    record.fault = fault.as_ref().map(ToString::to_string);
    match &fault {
        Some(FaultKind::Latency(d)) => nap(stop, *d),
        Some(FaultKind::DropConnection) => return (Reply::Drop, false),
        Some(FaultKind::TooManyRequests { retry_after }) => {
            return (Reply::Full(too_many_requests(*retry_after)), false);
        }
        Some(FaultKind::ServerError(code)) => return (Reply::Full(server_error(*code)), false),
        _ => {}
    }

    let now = shared.clock.now();
    let token = authorization(request, "Bearer").unwrap_or_default();
    let Some(granted) = shared.oauth().check_access(token, now) else {
        return (Reply::Full(unauthorized()), false);
    };
    record.client_id = Some(granted.client_id.clone());
    if let Some(kind @ (FaultKind::RevokeToken | FaultKind::ExpireToken)) = &fault {
        let revoke = *kind == FaultKind::RevokeToken;
        shared.oauth().kill_access(token, now, revoke);
        return (Reply::Full(unauthorized()), false);
    }
    if let Err(refusal) = shared.limiter().check(&granted.client_id, Instant::now()) {
        if record.fault.is_none() {
            record.fault = Some(
                match refusal {
                    Refusal::PerMinute => "rate_limit",
                    Refusal::Daily => "daily_limit",
                }
                .to_owned(),
            );
        }
        return (
            Reply::Full(too_many_requests(shared.config.retry_after_secs)),
            true,
        );
    }
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(error) => {
            let body = serde_json::json!({"errors": [{
                "message": format!("Invalid request: {error}"),
                "extensions": {"classification": "InvalidSyntax"},
            }]});
            return (Reply::Full(Response::json(400, body.to_string())), false);
        }
    };

    let executed = {
        let mut market = shared.market();
        market.advance_to(now);
        match fault {
            Some(FaultKind::ArriveBetweenPages(n)) => {
                market.arrive(n);
            }
            Some(FaultKind::CloseBetweenPages(n)) => {
                market.close(n);
            }
            _ => {}
        }
        let ctx = graphql::Context {
            market: &market,
            scopes: &granted.scopes,
            max_page_size: shared.config.max_page_size as usize,
            max_offset: shared.config.max_offset as usize,
            realism: &shared.config.realism,
        };
        graphql::execute(&parsed, &ctx)
    };
    if record.operation.is_none() {
        record.operation = executed.operation;
    }
    let mut response = match executed.outcome {
        Outcome::InternalError => return (Reply::Full(server_error(500)), false),
        Outcome::Response(response) => response,
    };
    if let Some(FaultKind::GraphqlError { partial }) = fault {
        response.inject_error(partial);
    }
    let response = Response::json(200, response.to_json());
    if fault == Some(FaultKind::CutBody) {
        (Reply::Cut(response), false)
    } else {
        (Reply::Full(response), false)
    }
}

fn unauthorized() -> Response {
    Response::json(
        401,
        r#"{"error":"invalid_token","error_description":"The access token is missing, invalid or expired"}"#,
    )
    .header("WWW-Authenticate", r#"Bearer error="invalid_token""#)
}

fn too_many_requests(retry_after: Option<u64>) -> Response {
    let response = Response::json(
        429,
        r#"{"error":"too_many_requests","error_description":"Too Many Requests"}"#,
    );
    match retry_after {
        Some(secs) => response.header("Retry-After", secs.to_string()),
        None => response,
    }
}

/// 500 as the GraphQL server (Spring) sends it; 502 and 503 as a gateway's HTML page.
fn server_error(code: u16) -> Response {
    match code {
        500 => Response::json(
            500,
            serde_json::json!({
                "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "status": 500,
                "error": "Internal Server Error",
                "path": GRAPHQL_PATH,
            })
            .to_string(),
        ),
        code => {
            let title = format!(
                "{code} {}",
                tiny_http::StatusCode(code).default_reason_phrase()
            );
            Response::html(code, &title, "The upstream server did not answer in time.")
        }
    }
}

/// Sleeps `duration`, waking early when the sandbox stops.
fn nap(stop: &AtomicBool, duration: Duration) {
    let until = Instant::now() + duration;
    while !stop.load(Ordering::SeqCst) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        thread::sleep(left.min(Duration::from_millis(50)));
    }
}
