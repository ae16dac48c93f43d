//! What xtask's HTTP servers share, so that none of them can forget it: one tokio runtime,
//! axum's routing on hyper's connections, and the rules of a laptop whose browser is open
//! and whose other processes are not all friendly:
//!
//! - only this machine's own names reach them (a page that rebinds its domain to 127.0.0.1
//!   sends its own domain as `Host`), and no other site's page: a browser says
//!   `Sec-Fetch-Site` and `Origin` for those (a no-cors `text/plain` POST included), and a
//!   CORS preflight is never granted;
//! - headers within 10 s (an idle connection is closed too), a body within 30 s and its
//!   server's size, a declared length over it refused before anything is read; a body that
//!   is not valid HTTP gets 400;
//! - a cap on connections at once per server, so that a flood of idle connections cannot
//!   take every file descriptor of the process.

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::body::Body;
use axum::extract::Request;
use axum::middleware;
use axum::Router;
use tokio::sync::{oneshot, watch, Semaphore};

mod guard;

pub use guard::{loopback_host, refused};

/// How long a client may take to send a request's headers, or keep a connection idle.
const HEADERS_WITHIN: Duration = Duration::from_secs(10);

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

/// What one server takes at most.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once; more are closed as they come.
    pub connections: usize,
    /// A request body's bytes.
    pub body: usize,
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
    /// to word), within `limits` and the rules above.
    pub fn start(
        listener: TcpListener,
        router: Router,
        what: &str,
        limits: Limits,
    ) -> Result<Self> {
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
        let router = router.layer(middleware::from_fn_with_state(
            limits,
            guard::local_callers_only,
        ));
        let (shutdown, stop) = oneshot::channel::<()>();
        let (done, finished) = std::sync::mpsc::channel();
        runtime.spawn(async move {
            serve(listener, router, limits.connections, stop).await;
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

/// Accepts connections until `stop`, each served by hyper with a time limit on its headers;
/// past `max_connections` a new one is closed at once. Then lets the open ones finish what
/// they are answering (2 s at most).
async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    max_connections: usize,
    stop: oneshot::Receiver<()>,
) {
    let open = Arc::new(Semaphore::new(max_connections));
    let (closing, _) = watch::channel(false);
    tokio::pin!(stop);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut stop => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            // Out of file descriptors, say: the open connections end in time.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&open).try_acquire_owned() else {
            continue; // dropped: closed
        };
        // Each answer goes out at once (no wait for the client's delayed ACK).
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let mut closing = closing.subscribe();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                    tower::ServiceExt::oneshot(router.clone(), request.map(Body::new))
                });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADERS_WITHIN);
            let connection =
                builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = closing.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            drop(permit);
        });
    }
    let _ = closing.send(true);
    let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(Duration::from_secs(2), open.acquire_many(all)).await;
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
