//! A local Lambda Runtime API: the endpoint a function's runtime client talks to, so a step's
//! own binary runs here as it does on Lambda.
//!
//! The protocol is AWS's documented one: the function long-polls
//! `GET /2018-06-01/runtime/invocation/next` for an event and posts the answer to
//! `.../invocation/{id}/response` (or `.../{id}/error`, or `/runtime/init/error` at start).
//! Served by axum on hyper; loopback `Host` names only, as the other local servers.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::Notify;

use crate::tools::server::{Limits, Served};

/// A function answers at most Lambda's 6 MB, with room for the JSON around it.
const MAX_BODY: usize = 6 * 1024 * 1024 + 64 * 1024;

/// How one invocation ended, as the function reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The handler's answer (`.../response`).
    Response(Vec<u8>),
    /// The handler failed (`.../error`, or the runtime's `/init/error`): Lambda's error JSON.
    Error(Vec<u8>),
}

/// What a reader wants of Lambda's error JSON: its `errorMessage`, without the Rust type name
/// that `errorType` holds.
pub fn error_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|error| error["errorMessage"].as_str().map(str::to_owned))
        .unwrap_or_else(|| text.trim().to_owned())
}

/// A Runtime API endpoint for one function process, on 127.0.0.1 only. Stops when dropped:
/// a poll still waiting is answered, and its process, which gets no more events, ends.
#[derive(Debug)]
pub struct RuntimeApi {
    address: SocketAddr,
    function_name: String,
    region: String,
    shared: Arc<Invocations>,
    /// The request id of the last event queued.
    last_id: Option<String>,
    served: Served,
}

/// What the endpoint's requests and the function's caller share.
#[derive(Debug, Default)]
struct Invocations {
    state: Mutex<Queue>,
    /// Woken when an invocation is queued or the endpoint stops.
    queued: Notify,
    stopping: AtomicBool,
    function_arn: String,
}

#[derive(Debug, Default)]
struct Queue {
    waiting: VecDeque<Invocation>,
    /// Where each invocation in flight reports its outcome.
    pending: HashMap<String, Sender<Outcome>>,
    /// An init error arrives before any invocation: it ends every later one.
    init_error: Option<Vec<u8>>,
}

#[derive(Debug)]
struct Invocation {
    id: String,
    payload: Vec<u8>,
    deadline: SystemTime,
}

impl RuntimeApi {
    /// Listens on a free port of 127.0.0.1.
    pub fn start(function_name: &str, region: &str) -> Result<Self> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .context("starting a local Lambda Runtime API on 127.0.0.1")?;
        let shared = Arc::new(Invocations {
            function_arn: format!("arn:aws:lambda:{region}:000000000000:function:{function_name}"),
            ..Invocations::default()
        });
        // One process polls it: a few connections are room enough.
        let limits = Limits {
            connections: 8,
            body: MAX_BODY,
        };
        let served = Served::start(
            listener,
            router(Arc::clone(&shared)),
            "a Runtime API",
            limits,
        )?;
        Ok(Self {
            address: served.address(),
            function_name: function_name.to_owned(),
            region: region.to_owned(),
            shared,
            last_id: None,
            served,
        })
    }

    /// The variables Lambda sets for a function (`lambda_runtime` refuses to start without
    /// them), for a process that talks to this endpoint.
    pub fn function_environment(&self, handler: &str) -> Vec<(String, String)> {
        let (name, region) = (&self.function_name, &self.region);
        [
            ("AWS_LAMBDA_RUNTIME_API", self.address.to_string()),
            ("_HANDLER", handler.to_owned()),
            ("AWS_LAMBDA_FUNCTION_NAME", name.clone()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024".to_owned()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
            ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "local".to_owned()),
            ("AWS_REGION", region.to_owned()),
            ("AWS_DEFAULT_REGION", region.to_owned()),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
    }

    /// Queues one event; the receiver gets its outcome.
    pub fn queue(&mut self, payload: &[u8], timeout: Duration) -> Result<Receiver<Outcome>> {
        // Random, as Lambda's: unique across functions and environments (a log line's
        // `requestId` names one invocation), and no other process can guess one.
        let id = uuid::Uuid::new_v4().to_string();
        self.last_id = Some(id.clone());
        let (sender, receiver) = mpsc::channel();
        let mut state = lock(&self.shared.state);
        if let Some(error) = state.init_error.clone() {
            // The runtime said it cannot start: no invocation can succeed.
            let _ = sender.send(Outcome::Error(error));
            return Ok(receiver);
        }
        state.pending.insert(id.clone(), sender);
        state.waiting.push_back(Invocation {
            id,
            payload: payload.to_vec(),
            deadline: SystemTime::now() + timeout,
        });
        drop(state);
        self.shared.queued.notify_one();
        Ok(receiver)
    }

    /// Whether the runtime said its init failed: its environment is done for.
    pub fn init_failed(&self) -> bool {
        lock(&self.shared.state).init_error.is_some()
    }

    /// The request id of the last event queued (a UUID), as the function logs it.
    pub fn last_request_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::Relaxed);
        self.shared.queued.notify_waiters();
        self.served.stop();
    }
}

fn lock(state: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn router(shared: Arc<Invocations>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(shared)
}

/// The long poll: the next event, as soon as there is one.
async fn next(State(shared): State<Arc<Invocations>>) -> Response {
    loop {
        let queued = shared.queued.notified();
        tokio::pin!(queued);
        // Registered before the queue is looked at: an event queued meanwhile wakes it.
        queued.as_mut().enable();
        if shared.stopping.load(Ordering::Relaxed) {
            return StatusCode::GONE.into_response();
        }
        if let Some(invocation) = lock(&shared.state).waiting.pop_front() {
            return event(invocation, &shared.function_arn);
        }
        queued.await;
    }
}

fn event(invocation: Invocation, function_arn: &str) -> Response {
    let deadline_ms = invocation
        .deadline
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let mut response = invocation.payload.into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        ("lambda-runtime-aws-request-id", invocation.id),
        ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            function_arn.to_owned(),
        ),
        ("content-type", "application/json".to_owned()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

async fn response(
    State(shared): State<Arc<Invocations>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    report(&shared, &id, Outcome::Response(body.to_vec()))
}

async fn error(
    State(shared): State<Arc<Invocations>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    report(&shared, &id, Outcome::Error(body.to_vec()))
}

/// The outcome of an invocation in flight, to its caller. An id that is not one (never given,
/// answered already, timed out) is refused as Lambda's Runtime API refuses it: 400 (its
/// OpenAPI specification, runtime-api.zip, 2018-06-01: `ErrorResponse`).
fn report(shared: &Invocations, id: &str, outcome: Outcome) -> Response {
    match lock(&shared.state).pending.remove(id) {
        Some(sender) => {
            let _ = sender.send(outcome);
            StatusCode::ACCEPTED.into_response()
        }
        None => (
            StatusCode::BAD_REQUEST,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            r#"{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#,
        )
            .into_response(),
    }
}

async fn init_error(State(shared): State<Arc<Invocations>>, body: Bytes) -> StatusCode {
    let mut state = lock(&shared.state);
    for (_, sender) in state.pending.drain() {
        let _ = sender.send(Outcome::Error(body.to_vec()));
    }
    state.waiting.clear();
    state.init_error = Some(body.to_vec());
    StatusCode::ACCEPTED
}

#[cfg(test)]
mod tests;
