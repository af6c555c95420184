//! A webhook receiver on 127.0.0.1 for the alert tests: it records every request (path,
//! headers, body, the answer it gave) and can be told to fail a share of them with HTTP 500 or
//! by answering only after the sender's timeout, or to refuse every request with an error body
//! that echoes the request's path and query, as some receivers do.

use rand::{Rng, SeedableRng, rngs::SmallRng};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// Path and query.
    pub path: String,
    /// Headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// The status answered: 200 (also when answered after the sender gave up), or 500.
    pub answered: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// Which requests fail: a `rate` share, half of them with 500, half answered after `delay`.
#[derive(Debug, Clone)]
pub struct Faults {
    pub rate: f64,
    pub delay: Duration,
    pub seed: u64,
}

impl Faults {
    pub fn none() -> Self {
        Faults {
            rate: 0.0,
            delay: Duration::ZERO,
            seed: 0,
        }
    }
}

struct Shared {
    log: Mutex<Vec<Received>>,
    redirect: Mutex<Option<String>>,
    echo: Mutex<Option<u16>>,
    faults: Mutex<(Faults, SmallRng)>,
    stop: AtomicBool,
}

pub struct Receiver {
    url: String,
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Receiver {
    pub fn start() -> Receiver {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("bind the receiver");
        let port = server.server_addr().to_ip().expect("an ip address").port();
        let shared = Arc::new(Shared {
            log: Mutex::new(Vec::new()),
            redirect: Mutex::new(None),
            echo: Mutex::new(None),
            faults: Mutex::new((Faults::none(), SmallRng::seed_from_u64(0))),
            stop: AtomicBool::new(false),
        });
        let inner = shared.clone();
        let thread = std::thread::spawn(move || {
            while !inner.stop.load(Ordering::SeqCst) {
                let Ok(Some(request)) = server.recv_timeout(Duration::from_millis(50)) else {
                    continue;
                };
                let inner = inner.clone();
                // A thread per request: a held-back answer must not hold up the next request.
                std::thread::spawn(move || handle(&inner, request));
            }
        });
        Receiver {
            url: format!("http://127.0.0.1:{port}"),
            shared,
            thread: Some(thread),
        }
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn set_faults(&self, faults: Faults) {
        let rng = SmallRng::seed_from_u64(faults.seed);
        *self.shared.faults.lock().expect("faults") = (faults, rng);
    }

    /// Answers every request with a 307 to `location` (`None`: stop redirecting).
    pub fn redirect_to(&self, location: Option<String>) {
        *self.shared.redirect.lock().expect("redirect") = location;
    }

    /// Answers every request with `status` and a body that repeats its path and query (`None`:
    /// stop).
    pub fn echo_path_with(&self, status: Option<u16>) {
        *self.shared.echo.lock().expect("echo") = status;
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.log.lock().expect("log").clone()
    }

    /// The requests it accepted (answered 200, late or not).
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.answered == 200)
            .collect()
    }
}

fn handle(shared: &Shared, mut request: tiny_http::Request) {
    let mut body = Vec::new();
    let _ = request.as_reader().read_to_end(&mut body);
    let redirect = shared.redirect.lock().expect("redirect").clone();
    if let Some(location) = redirect.filter(|l| !l.ends_with(request.url())) {
        let header =
            tiny_http::Header::from_bytes("Location", location.as_bytes()).expect("a header");
        let _ = request.respond(tiny_http::Response::empty(307).with_header(header));
        return;
    }
    let echo = *shared.echo.lock().expect("echo");
    if let Some(status) = echo {
        let text = format!(
            "{{\"error\": \"no webhook at {}\", \"path\": \"{}\"}}",
            request.url(),
            request.url().to_uppercase()
        );
        shared.log.lock().expect("log").push(Received {
            path: request.url().to_string(),
            headers: Vec::new(),
            body,
            answered: status,
        });
        let _ = request.respond(tiny_http::Response::from_string(text).with_status_code(status));
        return;
    }
    let (fail, late, delay) = {
        let mut faults = shared.faults.lock().expect("faults");
        let (config, rng) = &mut *faults;
        let faulty = config.rate > 0.0 && rng.random_bool(config.rate.min(1.0));
        let late = faulty && rng.random_bool(0.5);
        (faulty && !late, late, config.delay)
    };
    let received = Received {
        path: request.url().to_string(),
        headers: request
            .headers()
            .iter()
            .map(|h| {
                (
                    h.field.as_str().as_str().to_ascii_lowercase(),
                    h.value.as_str().to_string(),
                )
            })
            .collect(),
        body,
        answered: if fail { 500 } else { 200 },
    };
    if late {
        std::thread::sleep(delay);
    }
    // Recorded before the answer, as a receiver that has acted on a request before answering.
    shared.log.lock().expect("log").push(received);
    let status = if fail { 500 } else { 200 };
    let _ = request.respond(tiny_http::Response::from_string("ok").with_status_code(status));
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
