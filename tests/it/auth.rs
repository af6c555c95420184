//! Sign-in, token store and token renewal, against the in-process sandbox over real HTTP.
//!
//! Every server here listens on 127.0.0.1 with a port chosen by the OS. The "browser" is a
//! reqwest client that follows the authorize redirect by hand, so the test controls (and can
//! tamper with) the callback. Nothing sleeps to wait: each step awaits the previous one.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use upjobpilot::auth::callback::CallbackServer;
use upjobpilot::auth::{
    self, AuthError, Grant, LoginOptions, OAuthSettings, TokenSource, TokenStore, Tokens,
};
use upjobpilot::secret::Secret;
use upwork_sandbox::{ClientSpec, Sandbox, SandboxConfig};

const SECRET: &str = "s3cr3t-client-secret-0123456789";
/// Upwork's paths, which the sandbox keeps.
const TOKEN_PATH: &str = "/api/v3/oauth2/token";
const AUTHORIZE_PATH: &str = "/ab/account-security/oauth2/authorize";

// ---------------------------------------------------------------------------------------------
// Helpers

/// A port nobody listens on right now (bound and released; the OS does not hand it out again
/// at once).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local addr").port()
}

fn client(id: &str, redirect_uri: &str, enterprise: bool) -> ClientSpec {
    ClientSpec {
        id: id.to_owned(),
        secret: SECRET.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        enterprise,
        ..ClientSpec::default()
    }
}

fn sandbox(clients: Vec<ClientSpec>, token_ttl: Duration, refresh_grace: Duration) -> Sandbox {
    Sandbox::start(SandboxConfig {
        port: 0,
        clients,
        token_ttl,
        refresh_grace,
        ..SandboxConfig::default()
    })
    .expect("sandbox starts")
}

fn settings(sandbox: &Sandbox, client_id: &str, redirect_uri: &str) -> OAuthSettings {
    let base = sandbox.base_url();
    OAuthSettings {
        client_id: client_id.to_owned(),
        client_secret: Secret::new(SECRET),
        authorize_url: format!("{base}{AUTHORIZE_PATH}"),
        token_url: format!("{base}{TOKEN_PATH}"),
        redirect_uri: redirect_uri.to_owned(),
        user_agent: "upjobpilot-tests".to_owned(),
        timeout: Duration::from_secs(10),
    }
}

/// `oauth2v2_` followed by 32 lowercase hex digits, Upwork's documented token format.
fn is_upwork_token(token: &str) -> bool {
    token.strip_prefix("oauth2v2_").is_some_and(|hex| {
        hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// A browser that shows us every redirect, opens a new connection per request (a connection kept
/// alive to the one-shot callback server would outlive it), and never hangs a test.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("reqwest client")
}

/// What the scripted browser saw.
#[derive(Debug, Default, Clone)]
struct BrowserLog {
    /// The callback URL the authorize endpoint redirected to.
    location: Option<url::Url>,
    /// (status, body) of every request made to the callback server; status 0 when the
    /// connection failed (the server had stopped).
    callbacks: Vec<(u16, String)>,
}

/// Plays the browser: asks the authorize endpoint, reads its redirect, lets `tamper` rewrite the
/// callback URL (or return several URLs to visit in turn), then visits them.
async fn browse(
    authorize: url::Url,
    tamper: impl Fn(&url::Url) -> Vec<url::Url>,
    log: Arc<Mutex<BrowserLog>>,
) {
    let http = no_redirects();
    let response = http.get(authorize).send().await.expect("authorize request");
    assert_eq!(
        response.status(),
        302,
        "authorize redirects to the callback"
    );
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| url::Url::parse(v).ok())
        .expect("a Location header with an absolute URL");
    lock(&log).location = Some(location.clone());
    for visit in tamper(&location) {
        let seen = match http.get(visit).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                (status, response.text().await.unwrap_or_default())
            }
            Err(e) => (0, e.to_string()),
        };
        lock(&log).callbacks.push(seen);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `login` with a scripted browser step; returns the result and what the browser saw.
async fn scripted_login(
    settings: &OAuthSettings,
    tamper: impl Fn(&url::Url) -> Vec<url::Url> + Send + 'static,
) -> (Result<Tokens, AuthError>, BrowserLog) {
    scripted_login_with_timeout(settings, Duration::from_secs(30), tamper).await
}

/// [`scripted_login`] giving up after `timeout`.
async fn scripted_login_with_timeout(
    settings: &OAuthSettings,
    timeout: Duration,
    tamper: impl Fn(&url::Url) -> Vec<url::Url> + Send + 'static,
) -> (Result<Tokens, AuthError>, BrowserLog) {
    let log = Arc::new(Mutex::new(BrowserLog::default()));
    let browser = Arc::new(Mutex::new(None));
    let options = LoginOptions {
        open_browser: false,
        timeout,
    };
    let result = auth::login(settings, &options, |url| {
        let task = tokio::spawn(browse(url.clone(), tamper, Arc::clone(&log)));
        *lock(&browser) = Some(task);
    })
    .await;
    let task = lock(&browser).take().expect("show_url was called");
    task.await.expect("the browser step does not panic");
    let seen = lock(&log).clone();
    (result, seen)
}

fn query_param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn with_query(url: &url::Url, pairs: &[(&str, &str)]) -> url::Url {
    let mut out = url.clone();
    out.set_query(None);
    {
        let mut q = out.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    out
}

fn callback_addr(redirect_uri: &str) -> SocketAddr {
    let url = url::Url::parse(redirect_uri).expect("redirect uri");
    format!("127.0.0.1:{}", url.port().expect("port"))
        .parse()
        .expect("socket addr")
}

fn assert_refuses_connections(addr: SocketAddr) {
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err(),
        "the callback server on {addr} still accepts connections after the login"
    );
}

fn token_requests(sandbox: &Sandbox, grant: &str) -> usize {
    sandbox
        .requests()
        .iter()
        .filter(|r| r.endpoint == TOKEN_PATH && r.operation.as_deref() == Some(grant))
        .count()
}

/// Asserts how many token requests with `grant` the sandbox answered. The sandbox logs a request
/// just after answering it, so a count that is still short is polled for a moment (never a
/// fixed sleep); a count that is too high fails at once.
fn assert_token_requests(sandbox: &Sandbox, grant: &str, expected: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let seen = token_requests(sandbox, grant);
        if seen >= expected || std::time::Instant::now() >= deadline {
            assert_eq!(seen, expected, "{grant} requests at the token endpoint");
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Tokens as the sandbox issues them, but about to expire: a lifetime of an hour with one minute
/// left, so the five-minute margin applies.
fn expiring_tokens(sandbox: &Sandbox, client_id: &str) -> Tokens {
    let pair = sandbox.mint_token(client_id);
    let now = Utc::now();
    Tokens {
        access_token: Secret::new(pair.access_token),
        refresh_token: Some(Secret::new(pair.refresh_token)),
        expires_at: now + TimeDelta::minutes(1),
        client_id: client_id.to_owned(),
        client_secret: Some(Secret::new(SECRET)),
        grant: Grant::AuthorizationCode,
        saved_at: now - TimeDelta::minutes(59),
    }
}

/// Fresh tokens minted by the sandbox (valid for the sandbox's whole token lifetime).
fn fresh_tokens(sandbox: &Sandbox, client_id: &str) -> Tokens {
    let pair = sandbox.mint_token(client_id);
    let now = Utc::now();
    Tokens {
        access_token: Secret::new(pair.access_token),
        refresh_token: Some(Secret::new(pair.refresh_token)),
        expires_at: now + TimeDelta::seconds(i64::try_from(pair.expires_in).unwrap_or(3600)),
        client_id: client_id.to_owned(),
        client_secret: Some(Secret::new(SECRET)),
        grant: Grant::AuthorizationCode,
        saved_at: now,
    }
}

fn temp_store(dir: &Path, name: &str) -> TokenStore {
    TokenStore::at(dir.join("data").join("tokens").join(name))
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

// ---------------------------------------------------------------------------------------------
// Login

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_end_to_end_with_a_scripted_browser() {
    let redirect = format!("http://127.0.0.1:{}/callback", free_port());
    let sb = sandbox(
        vec![client("key-login", &redirect, false)],
        Duration::from_secs(86_400),
        Duration::from_secs(60),
    );
    let settings = settings(&sb, "key-login", &redirect);

    let (result, browser) = scripted_login(&settings, |location| vec![location.clone()]).await;
    let tokens = result.expect("login succeeds");

    assert!(is_upwork_token(tokens.access_token.expose()));
    let refresh = tokens.refresh_token.as_ref().expect("a refresh token");
    assert!(is_upwork_token(refresh.expose()));
    assert_eq!(tokens.grant, Grant::AuthorizationCode);
    assert_eq!(tokens.client_id, "key-login");
    assert_eq!(
        tokens.client_secret.as_ref().map(Secret::expose),
        Some(SECRET)
    );
    let lifetime = tokens.expires_at - tokens.saved_at;
    assert!(
        (TimeDelta::hours(23)..=TimeDelta::hours(25)).contains(&lifetime),
        "{lifetime}"
    );

    // The authorization request was the documented one: no scope, no PKCE, a random state.
    let location = browser.location.expect("the authorize endpoint redirected");
    assert!(query_param(&location, "code").is_some_and(|c| c.len() == 32));
    let authorize = sb
        .requests()
        .into_iter()
        .find(|r| r.endpoint == AUTHORIZE_PATH)
        .expect("the browser asked the authorize endpoint");
    assert_eq!(authorize.status, Some(302));
    assert_eq!(browser.callbacks.len(), 1);
    assert_eq!(browser.callbacks[0].0, 200);
    assert!(browser.callbacks[0].1.contains("close this tab"));
    assert_token_requests(&sb, "authorization_code", 1);

    // One valid callback, then the server is gone.
    assert_refuses_connections(callback_addr(&redirect));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_url_has_a_fresh_state_and_no_scope_or_pkce() {
    let redirect = format!("http://127.0.0.1:{}/callback", free_port());
    let sb = sandbox(
        vec![client("key-url", &redirect, false)],
        Duration::from_secs(86_400),
        Duration::from_secs(60),
    );
    let settings = settings(&sb, "key-url", &redirect);
    // Nobody follows these URLs: each login times out after a moment.
    let options = LoginOptions {
        open_browser: false,
        timeout: Duration::from_millis(100),
    };
    let mut states = Vec::new();
    for _ in 0..2 {
        let mut shown = None;
        let err = auth::login(&settings, &options, |url| shown = Some(url.clone()))
            .await
            .expect_err("nobody follows the URL");
        assert!(matches!(err, AuthError::CallbackTimeout { .. }), "{err:?}");
        let url = shown.expect("the URL was shown");
        assert_eq!(url.path(), AUTHORIZE_PATH);
        let keys: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
        for wanted in ["response_type", "client_id", "redirect_uri", "state"] {
            assert!(keys.iter().any(|k| k == wanted), "{wanted} missing: {url}");
        }
        for unwanted in ["scope", "code_challenge", "code_challenge_method"] {
            assert!(
                !keys.iter().any(|k| k == unwanted),
                "{unwanted} sent: {url}"
            );
        }
        assert_eq!(query_param(&url, "response_type").as_deref(), Some("code"));
        assert_eq!(query_param(&url, "client_id").as_deref(), Some("key-url"));
        assert_eq!(
            query_param(&url, "redirect_uri").as_deref(),
            Some(redirect.as_str())
        );
        let state = query_param(&url, "state").expect("state");
        assert!(state.len() >= 16, "state is long and random: {state:?}");
        states.push(state);
    }
    assert_ne!(states[0], states[1], "a new state per login");
    assert_refuses_connections(callback_addr(&redirect));
}

/// A callback with another state (a forgery, an old tab, another page) gets a 400 page and is
/// logged, and the login goes on: its own callback, which only its browser can produce, still
/// signs in. A forgery can never sign anyone in, since the code is exchanged only for the state
/// this login made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_state_is_turned_away_with_400_and_the_login_waits_for_its_own() {
    let redirect = format!("http://127.0.0.1:{}/callback", free_port());
    let sb = sandbox(
        vec![client("key-state", &redirect, false)],
        Duration::from_secs(86_400),
        Duration::from_secs(60),
    );
    let settings = settings(&sb, "key-state", &redirect);

    let (result, browser) = scripted_login(&settings, |location| {
        let code = query_param(location, "code").unwrap_or_default();
        vec![
            with_query(
                location,
                &[("code", "forged-code"), ("state", "forged-state")],
            ),
            with_query(
                location,
                &[("error", "access_denied"), ("state", "forged-state")],
            ),
            location.clone(),
            with_query(location, &[("code", &code), ("state", "late-forgery")]),
        ]
    })
    .await;
    result.expect("the login's own callback signs in");
    let statuses: Vec<u16> = browser.callbacks.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses[..3], [400, 400, 200], "{:?}", browser.callbacks);
    assert!(
        statuses.len() < 4 || statuses[3] != 200,
        "nothing is taken after the sign-in: {statuses:?}"
    );
    assert_token_requests(&sb, "authorization_code", 1);
    assert_refuses_connections(callback_addr(&redirect));
}

/// A callback without a state is turned away the same way; a login that only ever sees such
/// callbacks times out, and its error says what was turned away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_state_is_turned_away_and_the_timeout_says_so() {
    let redirect = format!("http://127.0.0.1:{}/callback", free_port());
    let sb = sandbox(
        vec![client("key-nostate", &redirect, false)],
        Duration::from_secs(86_400),
        Duration::from_secs(60),
    );
    let settings = settings(&sb, "key-nostate", &redirect);
    let (result, browser) =
        scripted_login_with_timeout(&settings, Duration::from_secs(3), |location| {
            let code = query_param(location, "code").unwrap_or_default();
            vec![with_query(location, &[("code", &code)])]
        })
        .await;
    match result {
        Err(AuthError::CallbackTimeout { turned_away, .. }) => {
            assert_eq!(turned_away, ["a callback without a state"]);
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(browser.callbacks[0].0, 400);
    assert_token_requests(&sb, "authorization_code", 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_denied_ends_the_login() {
    let redirect = format!("http://127.0.0.1:{}/callback", free_port());
    let sb = sandbox(
        vec![client("key-deny", &redirect, false)],
        Duration::from_secs(86_400),
        Duration::from_secs(60),
    );
    let settings = settings(&sb, "key-deny", &redirect);
    // The sandbox approves at once; the user's "Deny" is the redirect Upwork would send instead.
    let (result, browser) = scripted_login(&settings, |location| {
        let state = query_param(location, "state").unwrap_or_default();
        vec![with_query(
            location,
            &[
                ("error", "access_denied"),
                ("error_description", "The user denied access"),
                ("state", &state),
            ],
        )]
    })
    .await;
    match result {
        Err(AuthError::Denied { error, description }) => {
            assert_eq!(error, "access_denied");
            assert_eq!(description.as_deref(), Some("The user denied access"));
        }
        other => panic!("expected Denied, got {other:?}"),
    }
    assert_eq!(browser.callbacks.len(), 1);
    assert_token_requests(&sb, "authorization_code", 0);
    assert_refuses_connections(callback_addr(&redirect));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_paths_get_404_and_the_server_keeps_waiting() {
    let redirect = format!("http://127.0.0.1:{}/callback", free_port());
    let sb = sandbox(
        vec![client("key-404", &redirect, false)],
        Duration::from_secs(86_400),
        Duration::from_secs(60),
    );
    let settings = settings(&sb, "key-404", &redirect);
    let (result, browser) = scripted_login(&settings, |location| {
        let mut favicon = location.clone();
        favicon.set_path("/favicon.ico");
        favicon.set_query(None);
        let mut sibling = location.clone();
        sibling.set_path("/callback/extra");
        vec![favicon, sibling, location.clone()]
    })
    .await;
    result.expect("the real callback after two stray requests signs in");
    let statuses: Vec<u16> = browser.callbacks.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses, [404, 404, 200]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_port_is_reported_before_anything_is_shown() {
    let busy = TcpListener::bind("127.0.0.1:0").expect("occupy a port");
    let port = busy.local_addr().expect("addr").port();
    let redirect = format!("http://localhost:{port}/callback");
    let sb = sandbox(
        vec![client("key-busy", &redirect, false)],
        Duration::from_secs(86_400),
        Duration::from_secs(60),
    );
    let settings = settings(&sb, "key-busy", &redirect);
    let shown = AtomicBool::new(false);
    let err = auth::login(&settings, &LoginOptions::default(), |_| {
        shown.store(true, std::sync::atomic::Ordering::SeqCst);
    })
    .await
    .expect_err("the port is taken");
    match &err {
        AuthError::CallbackPortBusy { addr } => assert_eq!(addr, &format!("127.0.0.1:{port}")),
        other => panic!("expected CallbackPortBusy, got {other:?}"),
    }
    assert!(err.to_string().contains("already in use"), "{err}");
    assert!(err.hint().is_some_and(|h| h.contains("redirect_uri")));
    assert!(!shown.load(std::sync::atomic::Ordering::SeqCst));
    drop(busy);
}

#[test]
fn callback_server_listens_on_loopback_only_and_answers_once() {
    let server = CallbackServer::bind("http://localhost:0/callback").expect("bind");
    let addr = server.local_addr();
    assert!(addr.ip().is_loopback(), "{addr}");
    assert_eq!(addr.ip().to_string(), "127.0.0.1");

    // Another address of this machine, if it has one, must not reach the server.
    let outward = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("192.0.2.1:9").map(|()| s))
        .and_then(|s| s.local_addr())
        .ok()
        .map(|a| a.ip())
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified());

    let waiter = std::thread::spawn(move || {
        server.wait(
            "the-state",
            Duration::from_secs(30),
            &AtomicBool::new(false),
        )
    });
    if let Some(ip) = outward {
        let other = SocketAddr::new(ip, addr.port());
        assert!(
            TcpStream::connect_timeout(&other, Duration::from_secs(1)).is_err(),
            "the callback server answered on {other}"
        );
    }
    let (status, body) = raw_get(addr, "/callback?code=abc123&state=the-state");
    assert_eq!(status, 200, "{body}");
    let code = waiter
        .join()
        .expect("waiter thread")
        .expect("a valid callback");
    assert_eq!(code.expose(), "abc123");
    assert_refuses_connections(addr);
}

#[test]
fn callback_server_times_out() {
    let server = CallbackServer::bind("http://127.0.0.1:0/cb").expect("bind");
    let addr = server.local_addr();
    let err = server
        .wait("s", Duration::from_millis(100), &AtomicBool::new(false))
        .expect_err("nobody called back");
    assert!(matches!(err, AuthError::CallbackTimeout { .. }), "{err:?}");
    assert_refuses_connections(addr);
}

#[test]
fn non_loopback_redirect_uri_is_refused() {
    for uri in [
        "http://0.0.0.0:3000/callback",
        "http://example.com:3000/callback",
        "https://localhost:3000/callback",
    ] {
        let err = CallbackServer::bind(uri).expect_err(uri);
        assert!(
            matches!(
                err,
                AuthError::InvalidUrl {
                    name: "redirect_uri",
                    ..
                }
            ),
            "{uri}: {err:?}"
        );
    }
}

/// A bare HTTP/1.0 GET, to talk to the callback server without any client library in between.
fn raw_get(addr: SocketAddr, target: &str) -> (u16, String) {
    use std::io::Read;
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(stream, "GET {target} HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}

// ---------------------------------------------------------------------------------------------
// Token store

fn sample_tokens() -> Tokens {
    let now = Utc::now();
    Tokens {
        access_token: Secret::new("oauth2v2_11111111111111111111111111111111"),
        refresh_token: Some(Secret::new("oauth2v2_22222222222222222222222222222222")),
        expires_at: now + TimeDelta::hours(24),
        client_id: "key-store".to_owned(),
        client_secret: Some(Secret::new(SECRET)),
        grant: Grant::AuthorizationCode,
        saved_at: now,
    }
}

#[test]
fn store_writes_0600_in_a_0700_folder_and_leaves_no_temp_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = temp_store(dir.path(), "key.json");
    assert!(store.load().expect("load").is_none(), "absent is Ok(None)");

    let tokens = sample_tokens();
    store.save(&tokens).expect("save");
    store.save(&tokens).expect("save again over the old file");

    assert_eq!(mode(store.path()), 0o600);
    let folder = store.path().parent().expect("parent");
    assert_eq!(mode(folder), 0o700);
    assert_eq!(mode(folder.parent().expect("data dir")), 0o700);
    let names: Vec<String> = std::fs::read_dir(folder)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["key.json"], "only the token file remains");

    let loaded = store.load().expect("load").expect("present");
    assert_eq!(loaded.access_token, tokens.access_token);
    assert_eq!(loaded.refresh_token, tokens.refresh_token);
    assert_eq!(loaded.expires_at, tokens.expires_at);
    assert_eq!(loaded.client_secret, tokens.client_secret);

    assert!(store.delete().expect("delete"));
    assert!(!store.delete().expect("delete again"));
    assert!(store.load().expect("load").is_none());
}

#[test]
fn store_refuses_a_file_other_users_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = temp_store(dir.path(), "key.json");
    store.save(&sample_tokens()).expect("save");
    for loose in [0o644, 0o640, 0o606, 0o660] {
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(loose))
            .expect("chmod");
        let err = store.load().expect_err("refused");
        match &err {
            AuthError::InsecureTokenFile { path, mode } => {
                assert_eq!(path, store.path());
                assert_eq!(*mode, loose);
            }
            other => panic!("expected InsecureTokenFile, got {other:?}"),
        }
        let message = err.to_string();
        assert!(
            message.contains(&store.path().display().to_string()),
            "{message}"
        );
        assert!(message.contains(&format!("{loose:o}")), "{message}");
        assert_eq!(
            err.hint(),
            Some(format!("chmod 600 {}", store.path().display()))
        );
    }
    // Saving replaces it with a private file again.
    store.save(&sample_tokens()).expect("save");
    assert_eq!(mode(store.path()), 0o600);
    store.load().expect("private again").expect("present");
}

#[test]
fn corrupt_token_files_are_errors_that_quote_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = temp_store(dir.path(), "key.json");
    std::fs::create_dir_all(store.path().parent().expect("parent")).expect("mkdir");
    let leaked = "oauth2v2_33333333333333333333333333333333";
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("garbage", b"\x00\xff not json".to_vec()),
        ("cut off", br#"{"access_token":"oauth2v2_3333"#.to_vec()),
        (
            "wrong shape",
            format!(r#"{{"access_token":"{leaked}","grant":"{leaked}"}}"#).into_bytes(),
        ),
        ("huge", vec![b' '; 100 * 1024]),
    ];
    for (what, bytes) in cases {
        std::fs::write(store.path(), &bytes).expect("write");
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o600))
            .expect("chmod");
        let err = store.load().expect_err(what);
        assert!(matches!(err, AuthError::Corrupt { .. }), "{what}: {err:?}");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("33333333"), "{what}: {shown}");
        assert!(
            err.hint().is_some_and(|h| h.contains("auth login")),
            "{what}"
        );
    }
    std::fs::remove_file(store.path()).expect("rm");
    std::fs::create_dir(store.path()).expect("a directory where the file should be");
    assert!(store.load().is_err(), "a directory is not a token file");
}

#[test]
fn store_path_for_a_client_is_outside_the_project_and_per_host() {
    let a = TokenStore::for_client("key", "https://www.upwork.com/api/v3/oauth2/token");
    let b = TokenStore::for_client("key", "http://127.0.0.1:4567/api/v3/oauth2/token");
    let c = TokenStore::for_client("key", "http://127.0.0.1:9999/api/v3/oauth2/token");
    match (a, b, c) {
        (Ok(a), Ok(b), Ok(c)) => {
            if std::env::var_os("UPJOBPILOT_TOKEN_FILE").is_none() {
                assert_ne!(a.path(), b.path(), "sandbox tokens never clobber real ones");
                assert!(a.path().to_string_lossy().contains("upjobpilot"));
            }
            assert_eq!(b.path(), c.path(), "the sandbox's port does not matter");
        }
        // A scrubbed environment without HOME is a legitimate outcome.
        (Err(AuthError::NoDataDir), _, _) => {}
        other => panic!("unexpected: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// TokenSource

fn source(sb: &Sandbox, client_id: &str, store: TokenStore, tokens: Tokens) -> TokenSource {
    TokenSource::new(
        settings(sb, client_id, "http://127.0.0.1:1/unused"),
        store,
        tokens,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshes_before_expiry_and_saves_the_rotated_token_at_once() {
    let sb = sandbox(
        vec![client("key-refresh", "http://127.0.0.1:1/cb", false)],
        Duration::from_secs(3600),
        Duration::from_secs(60),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let store = temp_store(dir.path(), "key.json");
    let old = expiring_tokens(&sb, "key-refresh");
    let tokens = TokenSource::new(
        settings(&sb, "key-refresh", "http://127.0.0.1:1/cb"),
        store.clone(),
        old.clone(),
    );

    let first = tokens.access_token().await.expect("renewed");
    assert_eq!(
        tokens.refreshes(),
        1,
        "one minute left of an hour: renewed first"
    );
    assert_ne!(first, old.access_token);
    assert!(is_upwork_token(first.expose()));

    let saved = store.load().expect("load").expect("saved at once");
    assert_eq!(saved.access_token, first);
    let rotated = saved.refresh_token.expect("new refresh token saved");
    assert_ne!(
        Some(&rotated),
        old.refresh_token.as_ref(),
        "the refresh token rotated"
    );
    assert_eq!(mode(store.path()), 0o600);

    let again = tokens.access_token().await.expect("still fresh");
    assert_eq!(again, first);
    assert_eq!(tokens.refreshes(), 1, "a fresh token is not renewed");

    // The refresh used the form-field shape of Upwork's SDK.
    assert_token_requests(&sb, "refresh_token", 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_short_lived_token_is_not_renewed_on_every_call() {
    let sb = sandbox(
        vec![client("key-short", "http://127.0.0.1:1/cb", false)],
        Duration::from_secs(120),
        Duration::from_secs(60),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let tokens = fresh_tokens(&sb, "key-short");
    let source = source(
        &sb,
        "key-short",
        temp_store(dir.path(), "k.json"),
        tokens.clone(),
    );
    for _ in 0..3 {
        assert_eq!(
            source.access_token().await.expect("token"),
            tokens.access_token
        );
    }
    assert_eq!(
        source.refreshes(),
        0,
        "margin is a tenth of 120 s, not 5 minutes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_refresh_token_works_within_the_grace_then_sign_in_expires() {
    let grace = Duration::from_secs(60);
    let sb = sandbox(
        vec![client("key-grace", "http://127.0.0.1:1/cb", false)],
        Duration::from_secs(3600),
        grace,
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let original = fresh_tokens(&sb, "key-grace");

    // A run refreshes (rotates) once.
    let first = source(
        &sb,
        "key-grace",
        temp_store(dir.path(), "a.json"),
        original.clone(),
    );
    first
        .unauthorized(&original.access_token)
        .await
        .expect("rotated");
    assert_eq!(first.refreshes(), 1);

    // Within the grace the old refresh token still works (a run that never saw the rotation).
    let second = source(
        &sb,
        "key-grace",
        temp_store(dir.path(), "b.json"),
        original.clone(),
    );
    second
        .unauthorized(&original.access_token)
        .await
        .expect("old refresh token within the grace");

    // After it, the old refresh token is dead: the user must sign in again.
    sb.advance(grace + Duration::from_secs(1));
    let third = source(
        &sb,
        "key-grace",
        temp_store(dir.path(), "c.json"),
        original.clone(),
    );
    let err = third
        .unauthorized(&original.access_token)
        .await
        .expect_err("old refresh token after the grace");
    assert!(matches!(err, AuthError::SignInExpired), "{err:?}");
    assert!(
        err.hint()
            .is_some_and(|h| h.contains("upjobpilot auth login"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_401s_cause_exactly_one_refresh() {
    let sb = sandbox(
        vec![client("key-flight", "http://127.0.0.1:1/cb", false)],
        Duration::from_secs(3600),
        Duration::from_secs(60),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let tokens = fresh_tokens(&sb, "key-flight");
    let rejected = tokens.access_token.clone();
    let shared = Arc::new(source(
        &sb,
        "key-flight",
        temp_store(dir.path(), "k.json"),
        tokens,
    ));

    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let shared = Arc::clone(&shared);
            let rejected = rejected.clone();
            tokio::spawn(async move { shared.unauthorized(&rejected).await })
        })
        .collect();
    let mut renewed = Vec::new();
    for task in tasks {
        renewed.push(task.await.expect("task").expect("renewed"));
    }
    assert_eq!(shared.refreshes(), 1, "single flight");
    assert_token_requests(&sb, "refresh_token", 1);
    assert!(renewed.iter().all(|t| *t == renewed[0] && *t != rejected));
    assert_eq!(shared.access_token().await.expect("token"), renewed[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_sign_in_says_to_log_in_again() {
    let sb = sandbox(
        vec![client("key-revoked", "http://127.0.0.1:1/cb", false)],
        Duration::from_secs(3600),
        Duration::from_secs(60),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let tokens = fresh_tokens(&sb, "key-revoked");
    let rejected = tokens.access_token.clone();
    let source = source(
        &sb,
        "key-revoked",
        temp_store(dir.path(), "k.json"),
        tokens.clone(),
    );
    sb.revoke_all();
    let err = source.unauthorized(&rejected).await.expect_err("revoked");
    assert!(matches!(err, AuthError::SignInExpired), "{err:?}");
    assert_eq!(err.hint().as_deref(), Some("run `upjobpilot auth login`"));
    let shown = format!("{err} {err:?} {source:?}");
    for secret in [
        tokens.access_token.expose(),
        tokens.refresh_token.as_ref().map_or("", Secret::expose),
        SECRET,
    ] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

// ---------------------------------------------------------------------------------------------
// Client credentials

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_for_an_enterprise_key() {
    let sb = sandbox(
        vec![client("key-enterprise", "http://127.0.0.1:1/cb", true)],
        Duration::from_secs(3600),
        Duration::from_secs(60),
    );
    let settings = settings(&sb, "key-enterprise", "http://127.0.0.1:1/cb");
    let tokens = auth::client_credentials(&settings)
        .await
        .expect("enterprise key");
    assert!(is_upwork_token(tokens.access_token.expose()));
    assert!(tokens.refresh_token.is_none());
    assert_eq!(tokens.grant, Grant::ClientCredentials);

    // Renewing a client-credentials sign-in asks for a new token with the key.
    let dir = tempfile::tempdir().expect("tempdir");
    let store = temp_store(dir.path(), "k.json");
    let source = TokenSource::new(settings, store.clone(), tokens.clone());
    let renewed = source
        .unauthorized(&tokens.access_token)
        .await
        .expect("renewed");
    assert_ne!(renewed, tokens.access_token);
    assert_token_requests(&sb, "client_credentials", 2);
    assert_eq!(
        store.load().expect("load").expect("saved").grant,
        Grant::ClientCredentials
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_for_an_ordinary_key_says_to_use_login() {
    let sb = sandbox(
        vec![client("key-ordinary", "http://127.0.0.1:1/cb", false)],
        Duration::from_secs(3600),
        Duration::from_secs(60),
    );
    let settings = settings(&sb, "key-ordinary", "http://127.0.0.1:1/cb");
    let err = auth::client_credentials(&settings)
        .await
        .expect_err("not enterprise");
    assert!(matches!(err, AuthError::NotEnterprise { .. }), "{err:?}");
    assert!(err.to_string().contains("not an enterprise key"), "{err}");
    assert!(err.hint().is_some_and(|h| h.contains("auth login")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_client_secret_is_named_without_being_shown() {
    let sb = sandbox(
        vec![client("key-wrong", "http://127.0.0.1:1/cb", true)],
        Duration::from_secs(3600),
        Duration::from_secs(60),
    );
    let mut settings = settings(&sb, "key-wrong", "http://127.0.0.1:1/cb");
    settings.client_secret = Secret::new("not-the-secret-9876");
    let err = auth::client_credentials(&settings)
        .await
        .expect_err("wrong secret");
    assert!(matches!(err, AuthError::InvalidClient { .. }), "{err:?}");
    let shown = format!("{err} {err:?} {settings:?}");
    assert!(!shown.contains("not-the-secret-9876"), "{shown}");
}

// ---------------------------------------------------------------------------------------------
// The token endpoint's failures, against a scripted fake (the sandbox injects faults on
// /graphql only).

/// What a fake token endpoint saw.
#[derive(Debug, Clone)]
struct Seen {
    form: Vec<(String, String)>,
    authorization: bool,
}

/// Serves `replies` (status, body) in order on 127.0.0.1, one per request; returns its token URL
/// and a handle yielding what it saw. Fails the test if it was not called as often as scripted.
fn fake_token_endpoint(
    replies: Vec<(u16, &'static str)>,
) -> (String, std::thread::JoinHandle<Vec<Seen>>) {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("fake token endpoint");
    let url = format!(
        "http://{}{TOKEN_PATH}",
        server.server_addr().to_ip().expect("ip listener")
    );
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for (status, body) in replies {
            let mut request = server
                .recv_timeout(Duration::from_secs(30))
                .expect("recv")
                .expect("the client made every scripted request");
            let mut form = String::new();
            request
                .as_reader()
                .read_to_string(&mut form)
                .expect("form body");
            seen.push(Seen {
                form: url::form_urlencoded::parse(form.as_bytes())
                    .into_owned()
                    .collect(),
                authorization: request
                    .headers()
                    .iter()
                    .any(|h| h.field.equiv("Authorization")),
            });
            let content_type = if body.starts_with('{') {
                "application/json"
            } else {
                "text/html"
            };
            let response = tiny_http::Response::from_string(body)
                .with_status_code(status)
                .with_header(
                    tiny_http::Header::from_bytes("Content-Type", content_type).expect("header"),
                );
            request.respond(response).expect("respond");
        }
        seen
    });
    (url, handle)
}

fn fake_settings(token_url: String) -> OAuthSettings {
    OAuthSettings {
        client_id: "key-fake".to_owned(),
        client_secret: Secret::new(SECRET),
        authorize_url: "http://127.0.0.1:1/authorize".to_owned(),
        token_url,
        redirect_uri: "http://127.0.0.1:1/callback".to_owned(),
        user_agent: "upjobpilot-tests".to_owned(),
        timeout: Duration::from_secs(10),
    }
}

const GOOD_REPLY: &str = r#"{"access_token":"oauth2v2_44444444444444444444444444444444","refresh_token":"oauth2v2_55555555555555555555555555555555","token_type":"Bearer","expires_in":86400}"#;

fn fake_tokens() -> Tokens {
    let mut tokens = sample_tokens();
    tokens.client_id = "key-fake".to_owned();
    tokens
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_retries_5xx_and_sends_the_sdk_form() {
    let (url, fake) = fake_token_endpoint(vec![
        (503, "<html>Service Unavailable</html>"),
        (502, "<html>Bad Gateway</html>"),
        (200, GOOD_REPLY),
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    let old = fake_tokens();
    let source = TokenSource::new(
        fake_settings(url),
        temp_store(dir.path(), "k.json"),
        old.clone(),
    );
    let token = source
        .unauthorized(&old.access_token)
        .await
        .expect("renewed");
    assert_eq!(token.expose(), "oauth2v2_44444444444444444444444444444444");
    let seen = fake.join().expect("fake endpoint");
    assert_eq!(seen.len(), 3);
    let field = |name: &str| {
        seen[2]
            .form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(field("grant_type").as_deref(), Some("refresh_token"));
    assert_eq!(field("client_id").as_deref(), Some("key-fake"));
    assert_eq!(field("client_secret").as_deref(), Some(SECRET));
    assert_eq!(
        field("refresh_token").as_deref(),
        old.refresh_token.as_ref().map(Secret::expose)
    );
    assert!(
        !seen[2].authorization,
        "form fields, not HTTP Basic, for refresh"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_grant_is_not_retried() {
    let (url, fake) = fake_token_endpoint(vec![(
        400,
        r#"{"error":"invalid_grant","error_description":"Refresh token is expired or revoked or not registered"}"#,
    )]);
    let dir = tempfile::tempdir().expect("tempdir");
    let old = fake_tokens();
    let source = TokenSource::new(
        fake_settings(url),
        temp_store(dir.path(), "k.json"),
        old.clone(),
    );
    let err = source
        .unauthorized(&old.access_token)
        .await
        .expect_err("dead refresh token");
    assert!(matches!(err, AuthError::SignInExpired), "{err:?}");
    assert_eq!(fake.join().expect("fake").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_endpoint_that_keeps_failing_is_an_http_error() {
    let (url, fake) = fake_token_endpoint(vec![(502, "<html>Bad Gateway</html>"); 4]);
    let dir = tempfile::tempdir().expect("tempdir");
    let old = fake_tokens();
    let source = TokenSource::new(
        fake_settings(url.clone()),
        temp_store(dir.path(), "k.json"),
        old.clone(),
    );
    let err = source
        .unauthorized(&old.access_token)
        .await
        .expect_err("always 502");
    match &err {
        AuthError::Http {
            status, url: named, ..
        } => {
            assert_eq!(*status, Some(502));
            assert_eq!(named, &url);
        }
        other => panic!("expected Http, got {other:?}"),
    }
    assert_eq!(fake.join().expect("fake").len(), 4, "retried, then gave up");
    assert_eq!(source.refreshes(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_response_without_a_token_is_a_clear_error() {
    let (url, fake) = fake_token_endpoint(vec![(200, r#"{"token_type":"Bearer"}"#); 4]);
    let dir = tempfile::tempdir().expect("tempdir");
    let old = fake_tokens();
    let source = TokenSource::new(
        fake_settings(url),
        temp_store(dir.path(), "k.json"),
        old.clone(),
    );
    let err = source
        .unauthorized(&old.access_token)
        .await
        .expect_err("no access_token");
    assert!(matches!(err, AuthError::BadResponse { .. }), "{err:?}");
    fake.join().expect("fake");
}

// ---------------------------------------------------------------------------------------------
// Secrets

/// Everything the tracing subscriber wrote, from every test in this binary.
static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        lock(&LOGS).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_logs_errors_or_debug_output() {
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(|| LogWriter)
        .with_ansi(false)
        .finish();
    // Other tests in this binary may log too; that only adds text to search.
    let _ = tracing::subscriber::set_global_default(subscriber);

    let redirect = format!("http://127.0.0.1:{}/callback", free_port());
    let sb = sandbox(
        vec![client("key-secrets", &redirect, false)],
        Duration::from_secs(86_400),
        Duration::from_secs(60),
    );
    let settings = settings(&sb, "key-secrets", &redirect);
    let (result, browser) = scripted_login(&settings, |location| vec![location.clone()]).await;
    let tokens = result.expect("login");
    let location = browser.location.expect("redirected");
    let code = query_param(&location, "code").expect("code");

    let dir = tempfile::tempdir().expect("tempdir");
    let store = temp_store(dir.path(), "k.json");
    store.save(&tokens).expect("save");
    let source = TokenSource::new(settings.clone(), store.clone(), tokens.clone());
    let renewed = source
        .unauthorized(&tokens.access_token)
        .await
        .expect("renewed");
    sb.revoke_all();
    let err = source.unauthorized(&renewed).await.expect_err("revoked");
    let stored = store.load().expect("load").expect("saved");

    let mut secrets = vec![
        SECRET.to_owned(),
        code,
        tokens.access_token.expose().to_owned(),
        renewed.expose().to_owned(),
    ];
    secrets.extend(tokens.refresh_token.iter().map(|t| t.expose().to_owned()));
    secrets.extend(stored.refresh_token.iter().map(|t| t.expose().to_owned()));

    let shown = format!(
        "{tokens:?}\n{stored:?}\n{settings:?}\n{source:?}\n{err}\n{err:?}\n{}\n{:?}\n{}",
        err.hint().unwrap_or_default(),
        auth::status(&stored),
        auth::status(&stored),
    );
    let logs = String::from_utf8_lossy(&lock(&LOGS)).into_owned();
    assert!(
        logs.contains("renewed the access token"),
        "the subscriber captured this test's events"
    );
    for secret in &secrets {
        assert!(
            !shown.contains(secret.as_str()),
            "secret in output:\n{shown}"
        );
        assert!(
            !logs.contains(secret.as_str()),
            "secret in the logs:\n{logs}"
        );
    }
}

/// Every grant authenticates the client in the form body: Upwork refuses a refresh that names
/// the client only in an HTTP Basic header (node-upwork-oauth2 issue 29), and the code exchange
/// used to send Basic alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_grant_sends_the_client_credentials_in_the_form_body() {
    let redirect = format!("http://127.0.0.1:{}/callback", free_port());
    let sb = sandbox(
        vec![client("key-form", &redirect, true)],
        Duration::from_secs(3600),
        Duration::from_secs(60),
    );
    let settings = settings(&sb, "key-form", &redirect);
    let (result, _) = scripted_login(&settings, |location| vec![location.clone()]).await;
    let tokens = result.expect("login succeeds");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut expiring = tokens.clone();
    expiring.saved_at = Utc::now() - TimeDelta::hours(1);
    expiring.expires_at = Utc::now() + TimeDelta::seconds(30);
    let source = TokenSource::new(
        settings.clone(),
        temp_store(dir.path(), "key.json"),
        expiring,
    );
    source.access_token().await.expect("refreshed");
    upjobpilot::auth::client_credentials(&settings)
        .await
        .expect("client credentials");
    let grants: Vec<(String, Option<String>)> = sb
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == TOKEN_PATH)
        .map(|r| (r.operation.unwrap_or_default(), r.client_auth))
        .collect();
    assert_eq!(grants.len(), 3, "{grants:?}");
    for (grant, auth) in &grants {
        assert_eq!(auth.as_deref(), Some("form"), "{grant}: {grants:?}");
    }
}

/// The sandbox answers a Basic-only refresh exactly as Upwork was seen to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_refuses_a_basic_only_refresh_like_upwork() {
    let sb = sandbox(
        vec![client("key-basic", "http://127.0.0.1:1/cb", false)],
        Duration::from_secs(3600),
        Duration::from_secs(60),
    );
    let pair = sb.mint_token("key-basic");
    let response = no_redirects()
        .post(format!("{}{TOKEN_PATH}", sb.base_url()))
        .basic_auth("key-basic", Some(SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", pair.refresh_token.as_str()),
        ])
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 400);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(
        body,
        serde_json::json!({"error": "invalid_request", "error_description": "Missing parameters: client_id"})
    );
}
