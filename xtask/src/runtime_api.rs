//! A local Lambda Runtime API: the endpoint a function's `lambda_runtime` talks to, so a step's
//! own binary runs here as it does on Lambda.
//!
//! The protocol is AWS's documented one: the function long-polls
//! `GET /2018-06-01/runtime/invocation/next` for an event and posts the answer to
//! `.../invocation/{id}/response` (or `.../{id}/error`, or `/runtime/init/error` at start).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Context, Result};
use tiny_http::{Header, Method, Request, Response, Server};

const API_PREFIX: &str = "/2018-06-01/runtime";

/// How one invocation ended, as the function reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The handler's answer (`.../response`).
    Response(Vec<u8>),
    /// The handler failed (`.../error`, or the runtime's `/init/error`): Lambda's error JSON.
    Error(Vec<u8>),
}

impl Outcome {
    pub fn body_text(&self) -> String {
        match self {
            Outcome::Response(body) | Outcome::Error(body) => {
                String::from_utf8_lossy(body).into_owned()
            }
        }
    }
}

/// A Runtime API endpoint for one function, on 127.0.0.1 only. Stops when dropped.
pub struct RuntimeApi {
    address: SocketAddr,
    function_name: String,
    region: String,
    state: Arc<Mutex<State>>,
    server: Arc<Server>,
    next_id: u64,
}

#[derive(Default)]
struct State {
    queued: VecDeque<Invocation>,
    /// A function's `/next` call waiting for an event.
    waiting: Option<Request>,
    /// Where each invocation in flight reports its outcome.
    pending: HashMap<String, Sender<Outcome>>,
    /// An init error arrives before any invocation: it ends the next one.
    init_error: Option<Vec<u8>>,
    function_arn: String,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("queued", &self.queued.len())
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

struct Invocation {
    id: String,
    payload: Vec<u8>,
    deadline: SystemTime,
}

impl RuntimeApi {
    /// Listens on a free port of 127.0.0.1.
    pub fn start(function_name: &str, region: &str) -> Result<Self> {
        let server = Server::http("127.0.0.1:0")
            .map_err(|e| anyhow!("{e}"))
            .context("starting a local Lambda Runtime API on 127.0.0.1")?;
        let address = server
            .server_addr()
            .to_ip()
            .context("the local Lambda Runtime API has no IP address")?;
        let server = Arc::new(server);
        let state = Arc::new(Mutex::new(State {
            function_arn: format!("arn:aws:lambda:{region}:000000000000:function:{function_name}"),
            ..State::default()
        }));
        let (server_for_loop, state_for_loop) = (Arc::clone(&server), Arc::clone(&state));
        thread::Builder::new()
            .name(format!("runtime-api-{function_name}"))
            .spawn(move || serve(&server_for_loop, &state_for_loop))
            .context("starting the Runtime API thread")?;
        Ok(Self {
            address,
            function_name: function_name.to_owned(),
            region: region.to_owned(),
            state,
            server,
            next_id: 0,
        })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> SocketAddr {
        self.address
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

    /// Queues one event and waits for the function's outcome, at most `timeout`.
    pub fn invoke(&mut self, payload: &[u8], timeout: Duration) -> Result<Outcome> {
        let receiver = self.queue(payload, timeout)?;
        match receiver.recv_timeout(timeout) {
            Ok(outcome) => Ok(outcome),
            Err(RecvTimeoutError::Timeout) => Err(anyhow!(
                "the function {} did not answer within {} s",
                self.function_name,
                timeout.as_secs_f32()
            )),
            Err(RecvTimeoutError::Disconnected) => Err(anyhow!("the local Runtime API stopped")),
        }
    }

    /// Queues one event; the receiver gets its outcome.
    pub fn queue(&mut self, payload: &[u8], timeout: Duration) -> Result<Receiver<Outcome>> {
        self.next_id += 1;
        let id = format!("local-{}-{}", std::process::id(), self.next_id);
        let (sender, receiver) = mpsc::channel();
        let mut state = lock(&self.state);
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
        hand_out_next(&mut state);
        Ok(receiver)
    }
}

impl std::fmt::Debug for RuntimeApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeApi")
            .field("address", &self.address)
            .field("function_name", &self.function_name)
            .finish_non_exhaustive()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn serve(server: &Server, state: &Mutex<State>) {
    while let Ok(request) = server.recv() {
        let path = request.url().to_owned();
        let Some(route) = path.strip_prefix(API_PREFIX) else {
            let _ = request.respond(Response::empty(404));
            continue;
        };
        match (request.method(), route) {
            (Method::Get, "/invocation/next") => {
                let mut state = lock(state);
                state.waiting = Some(request);
                hand_out_next(&mut state);
            }
            (Method::Post, "/init/error") => {
                let body = read_body(request);
                let mut state = lock(state);
                for (_, sender) in state.pending.drain() {
                    let _ = sender.send(Outcome::Error(body.clone()));
                }
                state.queued.clear();
                state.init_error = Some(body);
            }
            (Method::Post, route) => {
                let outcome = route.strip_prefix("/invocation/").and_then(|rest| {
                    rest.strip_suffix("/response")
                        .map(|id| (id.to_owned(), true))
                        .or_else(|| rest.strip_suffix("/error").map(|id| (id.to_owned(), false)))
                });
                let Some((id, is_response)) = outcome else {
                    let _ = request.respond(Response::empty(404));
                    continue;
                };
                let body = read_body(request);
                if let Some(sender) = lock(state).pending.remove(&id) {
                    let _ = sender.send(if is_response {
                        Outcome::Response(body)
                    } else {
                        Outcome::Error(body)
                    });
                }
            }
            _ => {
                let _ = request.respond(Response::empty(404));
            }
        }
    }
}

/// Reads a posted body and acknowledges it (202, as Lambda does).
fn read_body(mut request: Request) -> Vec<u8> {
    let mut body = Vec::new();
    let _ = request.as_reader().read_to_end(&mut body);
    let _ = request.respond(Response::empty(202));
    body
}

/// Answers a waiting `/next` with the oldest queued event, when there are both.
fn hand_out_next(state: &mut State) {
    if state.waiting.is_none() || state.queued.is_empty() {
        return;
    }
    let (Some(request), Some(invocation)) = (state.waiting.take(), state.queued.pop_front()) else {
        return;
    };
    let deadline_ms = invocation
        .deadline
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let headers = [
        ("Lambda-Runtime-Aws-Request-Id", invocation.id.clone()),
        ("Lambda-Runtime-Deadline-Ms", deadline_ms.to_string()),
        (
            "Lambda-Runtime-Invoked-Function-Arn",
            state.function_arn.clone(),
        ),
        ("Content-Type", "application/json".to_owned()),
    ];
    let mut response = Response::from_data(invocation.payload);
    for (name, value) in headers {
        if let Ok(header) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response = response.with_header(header);
        }
    }
    if request.respond(response).is_err() {
        // The function went away mid-poll: its outcome will never come.
        if let Some(sender) = state.pending.remove(&invocation.id) {
            let _ = sender.send(Outcome::Error(
                b"the function closed its connection".to_vec(),
            ));
        }
    }
}
