//! `upjobpilot serve`: a local dashboard over the DuckDB file, to browse, filter and label
//! postings.
//!
//! Served by [`crate::local_server`] (with its caps on heads and bodies, timeouts and
//! connection limit) on 127.0.0.1 and [::1] only; the handlers are blocking. Pages are rendered
//! on the server with askama templates, which escape every value, and every asset is embedded in
//! the binary. It never gets in the way of a sync: each request takes a connection from the
//! process's one DuckDB instance of the file (`db::instance`; read-only when nothing else in the
//! process has it open) and lets it go when answered, so the file is not held between requests;
//! when another program's sync holds the file, a page answers 503 "updating" instead of an
//! error. Under `serve --watch` the requests share the sync's instance and read while it loads.
//!
//! A web server on loopback is still reachable from any page a browser opens, so: a `Host`
//! header that is not a loopback name at this port is refused (DNS rebinding), every change is
//! a POST that must carry this process's random token and an `Origin` of the same rule (CSRF),
//! error pages do not carry the token, and the Content-Security-Policy allows only the embedded
//! script and stylesheet.
//!
//! [`crate::postings`] reads and writes (the same queries `upjobpilot mcp` answers from) and
//! reads the list's query string, [`charts`] lays the charts out, [`pages`] answers each route.
//! It uses the postings, the pipeline (status), the database and the config; nothing below
//! imports it.

mod app;
mod charts;
mod pages;

use crate::config::Config;
use crate::local_server::{LocalServer, Serving, StartError};
use app::App;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::sync::Arc;

/// The default port of `upjobpilot serve`.
pub const DEFAULT_PORT: u16 = 8765;

/// Why the dashboard could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Something else listens there.
    #[error("port {port} is already in use on {addr}")]
    PortBusy {
        /// The address.
        addr: SocketAddr,
        /// The port.
        port: u16,
    },
    /// Listening failed otherwise.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// The server's threads could not start.
    #[error(transparent)]
    Start(#[from] StartError),
}

impl ServeError {
    /// A next step for the person reading the error.
    pub fn hint(&self) -> Option<String> {
        match self {
            ServeError::PortBusy { .. } => Some(
                "choose another port with `--port`, or stop the other `upjobpilot serve`".into(),
            ),
            ServeError::Bind { .. } | ServeError::Start(_) => None,
        }
    }
}

/// A bound, not yet running dashboard.
pub struct Server {
    server: LocalServer,
    app: Arc<App>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addrs", &self.addrs())
            .finish()
    }
}

fn listen(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), ServeError> {
    let fail = |source: io::Error| {
        if source.kind() == io::ErrorKind::AddrInUse {
            ServeError::PortBusy {
                addr,
                port: addr.port(),
            }
        } else {
            ServeError::Bind { addr, source }
        }
    };
    let listener = TcpListener::bind(addr).map_err(fail)?;
    let bound = listener.local_addr().map_err(fail)?;
    Ok((listener, bound))
}

fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Server {
    /// Listens on 127.0.0.1 and [::1] (where this machine has IPv6) at `port` (0: any free
    /// port, the same on both), for `config`'s database.
    pub fn bind(config: Config, port: u16) -> Result<Server, ServeError> {
        let first = listen(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port))?;
        let port = first.1.port();
        let mut listeners = vec![first];
        match listen(SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port)) {
            Ok(second) => listeners.push(second),
            Err(busy @ ServeError::PortBusy { .. }) => return Err(busy),
            // No IPv6 loopback here: no browser can reach [::1] either.
            Err(other) => tracing::debug!(stage = "serve", error = %other, "no IPv6 loopback"),
        }
        let database = config.database_path();
        // Bring an older file's schema up to date once (the labels table): every later open
        // is read-only or a short save. A busy file is migrated by the sync that holds it; a
        // missing one is left to the first sync (the pages say so).
        if database.exists()
            && let Err(error) = crate::db::open(&database)
        {
            tracing::warn!(stage = "serve", database = %database.display(), error = %error, "database not opened at start");
        }
        let labels = config.serve.all_labels();
        Ok(Server {
            server: LocalServer::new(listeners)?,
            app: Arc::new(App {
                config,
                database,
                token: random_token(),
                port,
                labels,
                choices: std::sync::Mutex::new(None),
            }),
        })
    }

    /// Every address it listens on.
    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.server.addrs()
    }

    /// The dashboard's address, to open in a browser.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.app.port)
    }

    /// This process's token for changes (the pages carry it; tests use it).
    pub fn token(&self) -> &str {
        &self.app.token
    }

    /// Starts answering on background threads.
    pub fn spawn(self) -> Running {
        let url = self.url();
        let token = self.app.token.clone();
        let app = self.app;
        Running {
            url,
            token,
            _serving: self
                .server
                .serve(move |request| pages::answer(&app, &request)),
        }
    }
}

/// A running dashboard; stops when dropped.
#[derive(Debug)]
pub struct Running {
    url: String,
    token: String,
    /// Held for its drop, which stops the server.
    _serving: Serving,
}

impl Running {
    /// Its address.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its token for changes.
    pub fn token(&self) -> &str {
        &self.token
    }
}
