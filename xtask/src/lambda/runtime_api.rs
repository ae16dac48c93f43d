//! A local Lambda Runtime API: the endpoint a function's runtime client talks to, so a step's
//! own binary runs here as it does on Lambda.
//!
//! The protocol is AWS's documented one: the function long-polls
//! `GET /2018-06-01/runtime/invocation/next` for an event and posts the answer to
//! `.../invocation/{id}/response` (or `.../{id}/error`, or `/runtime/init/error` at start).
//! It is a small HTTP/1.1 server of its own, with Nagle's algorithm off and each answer sent
//! in one write: a general-purpose server that sends headers and body apart meets the
//! client's delayed ACK and adds some 40 ms to every large invocation.

use std::collections::{HashMap, VecDeque};
use std::io::BufReader;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};

use crate::tools::http::{read_request, respond, Limits};

/// A function answers at most Lambda's 6 MB, with room for the JSON around it.
const LIMITS: Limits = Limits {
    line: 16 * 1024,
    headers: 64 * 1024,
    body: 6 * 1024 * 1024 + 64 * 1024,
};

const API_PREFIX: &str = "/2018-06-01/runtime";

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

/// A Runtime API endpoint for one function, on 127.0.0.1 only. Stops when dropped.
#[derive(Debug)]
pub struct RuntimeApi {
    address: SocketAddr,
    function_name: String,
    region: String,
    shared: Arc<Shared>,
    /// The request id of the last event queued.
    last_id: Option<String>,
}

/// Request ids are unique across every function and environment of this xtask, so that a log
/// line's `requestId` names one invocation.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    /// Signalled when an invocation is queued or the endpoint stops.
    queued: Condvar,
    stopping: AtomicBool,
}

#[derive(Debug, Default)]
struct State {
    queued: VecDeque<Invocation>,
    /// Where each invocation in flight reports its outcome.
    pending: HashMap<String, Sender<Outcome>>,
    /// An init error arrives before any invocation: it ends every later one.
    init_error: Option<Vec<u8>>,
    function_arn: String,
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
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .context("starting a local Lambda Runtime API on 127.0.0.1")?;
        let address = listener
            .local_addr()
            .context("reading the Runtime API's address")?;
        let shared = Arc::new(Shared::default());
        lock(&shared.state).function_arn =
            format!("arn:aws:lambda:{region}:000000000000:function:{function_name}");
        let for_loop = Arc::clone(&shared);
        thread::Builder::new()
            .name(format!("runtime-api-{function_name}"))
            .spawn(move || accept(&listener, &for_loop))
            .context("starting the Runtime API thread")?;
        Ok(Self {
            address,
            function_name: function_name.to_owned(),
            region: region.to_owned(),
            shared,
            last_id: None,
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
        let id = format!(
            "local-{}-{}",
            std::process::id(),
            NEXT_ID.fetch_add(1, Ordering::Relaxed)
        );
        self.last_id = Some(id.clone());
        let (sender, receiver) = mpsc::channel();
        let mut state = lock(&self.shared.state);
        if let Some(error) = state.init_error.clone() {
            // The runtime said it cannot start: no invocation can succeed.
            let _ = sender.send(Outcome::Error(error));
            return Ok(receiver);
        }
        state.pending.insert(id.clone(), sender);
        state.queued.push_back(Invocation {
            id,
            payload: payload.to_vec(),
            deadline: SystemTime::now() + timeout,
        });
        self.shared.queued.notify_one();
        Ok(receiver)
    }
}

impl RuntimeApi {
    /// The request id of the last event queued (`local-PID-N`), as the function logs it.
    pub fn last_request_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::Relaxed);
        self.shared.queued.notify_all();
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_millis(100));
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn accept(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::Relaxed) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let shared = Arc::clone(shared);
        thread::spawn(move || {
            let _ = serve_connection(stream, &shared);
        });
    }
}

/// One client connection: requests one after another (keep-alive), until it closes.
fn serve_connection(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let request = match read_request(&mut reader, &LIMITS)? {
            Ok(Some(request)) => request,
            Ok(None) => return Ok(()),
            Err(refusal) => return respond(&mut writer, refusal.status(), "", b""),
        };
        let (method, body) = (request.method, request.body);
        let route = request.target.strip_prefix(API_PREFIX).unwrap_or_default();
        match (method.as_str(), route) {
            ("GET", "/invocation/next") => match next_invocation(shared, &writer) {
                Some((invocation, arn)) => {
                    let deadline_ms = invocation
                        .deadline
                        .duration_since(UNIX_EPOCH)
                        .unwrap_or_default()
                        .as_millis();
                    let headers = format!(
                        "Lambda-Runtime-Aws-Request-Id: {}\r\nLambda-Runtime-Deadline-Ms: {deadline_ms}\r\n\
                         Lambda-Runtime-Invoked-Function-Arn: {arn}\r\nContent-Type: application/json\r\n",
                        invocation.id
                    );
                    if respond(&mut writer, 200, &headers, &invocation.payload).is_err() {
                        // The function went away mid-poll: its outcome will never come.
                        if let Some(sender) = lock(&shared.state).pending.remove(&invocation.id) {
                            let _ = sender.send(Outcome::Error(
                                b"the function closed its connection".to_vec(),
                            ));
                        }
                        return Ok(());
                    }
                }
                None => return Ok(()),
            },
            ("POST", "/init/error") => {
                let mut state = lock(&shared.state);
                for (_, sender) in state.pending.drain() {
                    let _ = sender.send(Outcome::Error(body.clone()));
                }
                state.queued.clear();
                state.init_error = Some(body);
                drop(state);
                respond(&mut writer, 202, "", b"")?;
            }
            ("POST", route) => {
                let reported = route.strip_prefix("/invocation/").and_then(|rest| {
                    rest.strip_suffix("/response")
                        .map(|id| (id, true))
                        .or_else(|| rest.strip_suffix("/error").map(|id| (id, false)))
                });
                let Some((id, is_response)) = reported else {
                    respond(&mut writer, 404, "", b"")?;
                    continue;
                };
                if let Some(sender) = lock(&shared.state).pending.remove(id) {
                    let _ = sender.send(if is_response {
                        Outcome::Response(body)
                    } else {
                        Outcome::Error(body)
                    });
                }
                respond(&mut writer, 202, "", b"")?;
            }
            _ => respond(&mut writer, 404, "", b"")?,
        }
    }
}

/// Waits for an event to hand out; `None` when the endpoint stops or the function went away
/// (a killed process must not take the next event with it: a restarted one gets it).
fn next_invocation(shared: &Shared, connection: &TcpStream) -> Option<(Invocation, String)> {
    let mut state = lock(&shared.state);
    loop {
        if shared.stopping.load(Ordering::Relaxed) || closed(connection) {
            return None;
        }
        if let Some(invocation) = state.queued.pop_front() {
            return Some((invocation, state.function_arn.clone()));
        }
        state = shared
            .queued
            .wait_timeout(state, Duration::from_millis(200))
            .map(|(guard, _)| guard)
            .unwrap_or_else(|poisoned| poisoned.into_inner().0);
    }
}

/// Whether the client has closed the connection (a peek that reads the end of the stream).
fn closed(connection: &TcpStream) -> bool {
    if connection.set_nonblocking(true).is_err() {
        return true;
    }
    let mut byte = [0u8; 1];
    let closed = match connection.peek(&mut byte) {
        Ok(read) => read == 0,
        Err(error) => error.kind() != std::io::ErrorKind::WouldBlock,
    };
    let _ = connection.set_nonblocking(false);
    closed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_message_drops_the_rust_type_name() {
        let body = br#"{"errorType":"&alloc::boxed::Box<dyn core::error::Error + core::marker::Send + core::marker::Sync>","errorMessage":"missing field `id`"}"#;
        assert_eq!(error_message(body), "missing field `id`");
        assert_eq!(error_message(b"not json"), "not json");
    }
}
