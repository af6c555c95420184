//! The sandbox's front door: a byte relay that owns the client sockets, so faults can break them.
//!
//! tiny_http parses HTTP and hands requests to the workers, but it never lets go of a socket: a
//! handler can neither close a connection without answering nor close it halfway through a body.
//! Real networks do both, and the client's retry code must see both. So the sandbox's public port
//! is this relay: each accepted client connection gets its own connection to tiny_http (on a
//! private port) and two threads copying bytes both ways. A handler that wants to cut or drop a
//! connection looks it up by the address tiny_http reports ([`Breaker::break_connection`]), writes
//! whatever bytes the client should still get straight to the client socket, and shuts it down.

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

/// Client sockets by the relay-side address tiny_http sees as the peer.
type Connections = Arc<Mutex<HashMap<SocketAddr, TcpStream>>>;

/// Breaks client connections on behalf of the workers; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Breaker {
    connections: Connections,
}

impl Breaker {
    /// Sends `bytes` to the client behind `peer` (as tiny_http sees it), then closes that client
    /// connection. Returns whether the connection was found.
    pub(crate) fn break_connection(&self, peer: SocketAddr, bytes: &[u8]) -> bool {
        let client = lock(&self.connections).remove(&peer);
        let Some(mut client) = client else {
            return false;
        };
        if !bytes.is_empty() {
            let _ = client.write_all(bytes).and_then(|()| client.flush());
        }
        let _ = client.shutdown(Shutdown::Both);
        true
    }
}

/// The running relay.
#[derive(Debug)]
pub(crate) struct Relay {
    address: SocketAddr,
    connections: Connections,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl Relay {
    /// Listens on `listener` and relays every connection to `backend`.
    pub(crate) fn start(listener: TcpListener, backend: SocketAddr) -> io::Result<Relay> {
        let address = listener.local_addr()?;
        let connections: Connections = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let connections = Arc::clone(&connections);
            let stop = Arc::clone(&stop);
            thread::Builder::new()
                .name("sandbox-relay".to_owned())
                .spawn(move || accept_loop(&listener, backend, &connections, &stop))?
        };
        Ok(Relay {
            address,
            connections,
            stop,
            acceptor: Some(acceptor),
        })
    }

    /// The public address clients connect to.
    pub(crate) fn address(&self) -> SocketAddr {
        self.address
    }

    /// A handle the workers use to break connections.
    pub(crate) fn breaker(&self) -> Breaker {
        Breaker {
            connections: Arc::clone(&self.connections),
        }
    }

    /// Stops accepting and closes every client connection.
    pub(crate) fn shutdown(&mut self) {
        let Some(acceptor) = self.acceptor.take() else {
            return;
        };
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept.
        let _ = TcpStream::connect(self.address);
        let _ = acceptor.join();
        for (_, client) in lock(&self.connections).drain() {
            let _ = client.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn lock(connections: &Connections) -> std::sync::MutexGuard<'_, HashMap<SocketAddr, TcpStream>> {
    connections.lock().unwrap_or_else(|e| e.into_inner())
}

fn accept_loop(
    listener: &TcpListener,
    backend: SocketAddr,
    connections: &Connections,
    stop: &AtomicBool,
) {
    for client in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(client) = client else {
            // Out of file descriptors and the like: give the system a moment.
            thread::sleep(std::time::Duration::from_millis(10));
            continue;
        };
        if let Err(error) = relay_one(client, backend, connections) {
            tracing::debug!(stage = "sandbox", %error, "relay connection failed");
        }
    }
}

/// Connects one client to the backend and starts copying both ways.
fn relay_one(client: TcpStream, backend: SocketAddr, connections: &Connections) -> io::Result<()> {
    client.set_nodelay(true)?;
    let server = TcpStream::connect(backend)?;
    server.set_nodelay(true)?;
    let key = server.local_addr()?;
    lock(connections).insert(key, client.try_clone()?);

    let (mut client_read, mut server_write) = (client.try_clone()?, server.try_clone()?);
    thread::Builder::new()
        .name("sandbox-relay-up".to_owned())
        .spawn(move || {
            let _ = io::copy(&mut client_read, &mut server_write);
            let _ = server_write.shutdown(Shutdown::Write);
        })?;
    let (mut server_read, mut client_write) = (server, client);
    let connections = Arc::clone(connections);
    thread::Builder::new()
        .name("sandbox-relay-down".to_owned())
        .spawn(move || {
            let _ = io::copy(&mut server_read, &mut client_write);
            let _ = client_write.shutdown(Shutdown::Both);
            let _ = server_read.shutdown(Shutdown::Both);
            lock(&connections).remove(&key);
        })?;
    Ok(())
}
