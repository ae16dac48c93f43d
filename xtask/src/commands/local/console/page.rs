//! The console's own server, on its own port (the API's paths stay API Gateway's): the page's
//! three files, and `/events`, a server-sent event stream. Served by axum on hyper; loopback
//! `Host` names only, no other site's page, GET only, a few pages at a time.

use std::collections::VecDeque;
use std::net::TcpListener;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::Result;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use std::sync::mpsc::Sender;

use super::hub::{Hub, Sent, Subscription};
use super::FILES;
use crate::commands::local::replays::{self, ReplayRequest};
use crate::tools::server::{Limits, Served};

/// More open pages than this is a runaway script, not a learner: the oldest is let go for a
/// new one (the learner's newest tab always gets in; a let-go page reconnects by itself).
const MAX_PAGES: usize = 16;

/// A comment line now and then: a closed page is noticed, and proxies keep the stream open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Serves the console on `listener` until the returned server is stopped or dropped.
pub fn serve(
    listener: TcpListener,
    hub: Arc<Hub>,
    replays: Sender<ReplayRequest>,
) -> Result<Served> {
    let replay = Router::new()
        .route("/replay", post(replays::receive))
        .with_state(replays);
    let router = Router::new()
        .fallback(page)
        .layer(middleware::from_fn(get_only))
        .with_state(hub)
        .merge(replay);
    // The pages open at once, and their files; a replay's records, as much as Lambda takes.
    let limits = Limits {
        connections: MAX_PAGES + 16,
        body: 6 * 1024 * 1024,
    };
    Served::start(listener, router, "the console", limits)
}

/// Nothing but GET for the page (another site's page is refused before this, as on every
/// server: the console shows the table's items); `POST /replay` is routed apart.
async fn get_only(request: Request, next: Next) -> Response {
    if request.method() != Method::GET {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "GET")]).into_response();
    }
    next.run(request).await
}

async fn page(State(hub): State<Arc<Hub>>, headers: HeaderMap, request: Request) -> Response {
    let path = request.uri().path();
    if path == "/events" {
        // A page that reconnects says which event it saw last.
        let since = headers
            .get("last-event-id")
            .and_then(|id| id.to_str().ok())
            .and_then(|id| id.trim().parse().ok())
            .unwrap_or(0);
        let page = hub.subscribe(since, MAX_PAGES);
        let mut response = Body::from_stream(Events::of(page)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        return response;
    }
    match FILES.iter().find(|(file, _, _)| *file == path) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "no-store"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'self'; img-src 'self' data:",
                ),
                (header::X_FRAME_OPTIONS, "DENY"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            *body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A page's stream: what happened since it asked, then each event as it comes (what waits
/// goes in one piece), a comment when nothing came for a while. A page that stops reading
/// is let go by the hub; its stream then ends, and its browser reconnects.
struct Events {
    past: VecDeque<Sent>,
    page: Subscription,
    keep_alive: tokio::time::Interval,
}

impl Events {
    fn of(page: Subscription) -> Self {
        let mut keep_alive = tokio::time::interval(KEEP_ALIVE);
        keep_alive.reset();
        Self {
            past: page.past.iter().cloned().collect(),
            page,
            keep_alive,
        }
    }
}

fn event(buffer: &mut Vec<u8>, sent: &Sent) {
    // serde_json writes no line breaks: one `data:` line per event.
    buffer.extend_from_slice(format!("id: {}\ndata: {}\n\n", sent.0, sent.1).as_bytes());
}

impl futures_core::Stream for Events {
    type Item = Result<Bytes, std::convert::Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let mut buffer = Vec::new();
        for sent in this.past.drain(..) {
            event(&mut buffer, &sent);
        }
        loop {
            match this.page.live.poll_recv(cx) {
                Poll::Ready(Some(sent)) => event(&mut buffer, &sent),
                Poll::Ready(None) if buffer.is_empty() => return Poll::Ready(None),
                Poll::Ready(None) | Poll::Pending => break,
            }
        }
        if !buffer.is_empty() {
            this.keep_alive.reset();
            return Poll::Ready(Some(Ok(Bytes::from(buffer))));
        }
        match this.keep_alive.poll_tick(cx) {
            Poll::Ready(_) => Poll::Ready(Some(Ok(Bytes::from_static(b": still here\n\n")))),
            Poll::Pending => Poll::Pending,
        }
    }
}
