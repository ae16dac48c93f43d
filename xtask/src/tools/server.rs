//! What xtask's HTTP servers share: one tokio runtime, axum on hyper, and the rule that only
//! this machine's own names may be used to reach them (a web page that rebinds its domain to
//! 127.0.0.1 sends its own domain as `Host`, and is refused).

use std::net::{SocketAddr, TcpListener};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use axum::Router;
use tokio::sync::oneshot;

/// The runtime every server of this process runs on: two threads serve them all.
pub fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("xtask-http")
        .enable_all()
        .build()
        .context("starting the runtime of the local servers")?;
    Ok(RUNTIME.get_or_init(|| runtime))
}

/// A server running on the runtime until it is stopped or dropped.
#[derive(Debug)]
pub struct Served {
    address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    finished: Option<std::sync::mpsc::Receiver<()>>,
}

impl Served {
    /// Serves `router` on `listener` (bound by the caller: a taken port is the caller's error
    /// to word).
    pub fn start(listener: TcpListener, router: Router, what: &str) -> Result<Self> {
        let address = listener
            .local_addr()
            .with_context(|| format!("reading the address of {what}"))?;
        listener
            .set_nonblocking(true)
            .with_context(|| format!("preparing the port of {what}"))?;
        let runtime = runtime()?;
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(listener)
                .with_context(|| format!("preparing the port of {what}"))?
        };
        let (shutdown, stop) = oneshot::channel::<()>();
        let (done, finished) = std::sync::mpsc::channel();
        runtime.spawn(async move {
            // Each answer goes out at once (no wait for the client's delayed ACK).
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stop.await;
                })
                .await;
            let _ = done.send(());
        });
        Ok(Self {
            address,
            shutdown: Some(shutdown),
            finished: Some(finished),
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Stops taking connections and waits (a moment at most) for the requests being served.
    pub fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(finished) = self.finished.take() {
            let _ = finished.recv_timeout(Duration::from_secs(2));
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A port nobody listens on now on 127.0.0.1 (the system picks it).
pub fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind(("127.0.0.1", 0)).context("looking for a free port on 127.0.0.1")?;
    Ok(listener
        .local_addr()
        .context("reading the free port")?
        .port())
}

/// Middleware: a request whose `Host` is not this machine's own name gets 403.
pub async fn loopback_hosts_only(request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .map(|value| value.to_str().unwrap_or("\u{0}"));
    if !loopback_host(host) {
        return (
            StatusCode::FORBIDDEN,
            "this server answers only requests to 127.0.0.1 or localhost\n",
        )
            .into_response();
    }
    next.run(request).await
}

/// Whether the `Host` header names this machine: 127.0.0.1, localhost or [::1], any port.
pub fn loopback_host(host: Option<&str>) -> bool {
    let Some(host) = host.map(str::to_ascii_lowercase) else {
        return true; // HTTP/1.0 without Host: only a local client sends that here
    };
    // NAME, NAME:PORT or [V6]:PORT, the port digits only: `127.0.0.1:1@evil.example` is not ours.
    let (name, port) = match host.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((name, rest)) => (name, rest.strip_prefix(':').unwrap_or(rest)),
            None => return false,
        },
        None => host.split_once(':').unwrap_or((&host, "")),
    };
    let port_ok = port.chars().all(|c| c.is_ascii_digit());
    port_ok && matches!(name, "127.0.0.1" | "localhost" | "::1")
}

#[cfg(test)]
mod tests {
    use super::loopback_host;

    #[test]
    fn only_this_machines_names_are_loopback() {
        for host in ["127.0.0.1:3000", "localhost", "LOCALHOST:1", "[::1]:3000"] {
            assert!(loopback_host(Some(host)), "{host}");
        }
        for host in [
            "attacker.example",
            "127.0.0.1.attacker.example",
            "[::2]",
            "\u{0}",
        ] {
            assert!(!loopback_host(Some(host)), "{host}");
        }
    }
}
