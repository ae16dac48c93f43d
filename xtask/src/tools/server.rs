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
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use http_body_util::BodyExt;
use tokio::sync::{oneshot, watch, Semaphore};

/// How long a client may take to send a request's headers, or keep a connection idle.
const HEADERS_WITHIN: Duration = Duration::from_secs(10);
/// How long a client may take to send a request's body.
const BODY_WITHIN: Duration = Duration::from_secs(30);

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
        let router = router.layer(middleware::from_fn_with_state(limits, local_callers_only));
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

/// Middleware on every server: the caller must be this machine and not another site's page;
/// the body, read whole within its limits, goes on as bytes.
async fn local_callers_only(
    State(limits): State<Limits>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(refusal) = refusal(request.method(), request.headers()) {
        return refusal;
    }
    let (parts, body) = request.into_parts();
    match whole_body(&parts.headers, body, limits.body).await {
        Ok(body) => next.run(Request::from_parts(parts, Body::from(body))).await,
        Err(refusal) => refusal,
    }
}

/// Why a request is refused before its body is read, if it is.
fn refusal(method: &Method, headers: &HeaderMap) -> Option<Response> {
    let text = |name: &header::HeaderName| {
        headers
            .get(name)
            .map(|value| value.to_str().unwrap_or("\u{0}").to_ascii_lowercase())
    };
    let host = text(&header::HOST);
    if !loopback_host(host.as_deref()) {
        return Some(refused(
            StatusCode::FORBIDDEN,
            "this server answers only requests to 127.0.0.1 or localhost",
        ));
    }
    // A page of this very server (the console's own script) is same-origin; a browser's
    // address bar says `none`. Anything else a browser sends is another site's page.
    let fetch_site = text(&header::HeaderName::from_static("sec-fetch-site"));
    let foreign_site = fetch_site.is_some_and(|site| site != "same-origin" && site != "none");
    let own_origin = host.map(|host| format!("http://{host}"));
    let foreign_origin = text(&header::ORIGIN).is_some_and(|origin| Some(origin) != own_origin);
    let preflight =
        method == Method::OPTIONS && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if foreign_site || foreign_origin || preflight {
        return Some(refused(
            StatusCode::FORBIDDEN,
            "this server takes no requests from web pages of other sites",
        ));
    }
    None
}

/// A refusal: its status, and a line saying why (as JSON, which every client here reads).
pub fn refused(status: StatusCode, why: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "message": why }).to_string(),
    )
        .into_response()
}

/// The request's body, whole: at most `limit` bytes (a declared length over it refused before
/// anything is read), within [`BODY_WITHIN`], valid HTTP.
async fn whole_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, Response> {
    let too_large = || refused(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large");
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        discard(body);
        return Err(too_large());
    }
    let read = async {
        let mut body = body;
        let mut bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                return Err(refused(
                    StatusCode::BAD_REQUEST,
                    "the request's body is not valid HTTP (its chunks or length)",
                ));
            };
            if let Ok(data) = frame.into_data() {
                if bytes.len() + data.len() > limit {
                    discard(body);
                    return Err(too_large());
                }
                bytes.extend_from_slice(&data);
            }
        }
        Ok(Bytes::from(bytes))
    };
    match tokio::time::timeout(BODY_WITHIN, read).await {
        Ok(result) => result,
        Err(_) => Err(refused(StatusCode::REQUEST_TIMEOUT, "Request Timeout")),
    }
}

/// After a 413, what the client still sends is read and thrown away for a while (at most
/// 32 MB, until 2 s pass with nothing), so that a client writing its body gets to read the
/// answer instead of a reset connection.
fn discard(body: Body) {
    tokio::spawn(async move {
        let mut body = body;
        let mut discarded = 0;
        while discarded < 32 * 1024 * 1024 {
            match tokio::time::timeout(Duration::from_secs(2), body.frame()).await {
                Ok(Some(Ok(frame))) => {
                    discarded += frame.data_ref().map_or(0, |data| data.len());
                }
                _ => return,
            }
        }
    });
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
