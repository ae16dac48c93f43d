//! API Gateway on 127.0.0.1: each `http` event of serverless.yml is a route, and a request on
//! it invokes its function with the REST proxy event, as API Gateway would.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tiny_http::{Header, Request, Response, Server};

use super::pool::FunctionPool;
use super::routes::{percent_decode, RouteSpec};
use crate::lambda::api_gateway::{rest_proxy_event, ProxyResponse};
use crate::lambda::runtime_api::Outcome;

#[derive(Debug)]
pub struct Route {
    /// The function's `timeout`: Lambda stops an invocation that runs longer.
    pub timeout: Duration,
    pub spec: RouteSpec,
    pub function: Arc<FunctionPool>,
}

/// Answers requests until `stop` is set: connections side by side, the requests of one
/// connection in the order they came (a GET pipelined after a PUT sees its write).
pub fn serve(server: Arc<Server>, routes: Arc<Vec<Route>>, stop: Arc<AtomicBool>) {
    // One worker per connection (tiny_http names a connection by its peer's address); a
    // worker ends when its queue is dropped, after the requests already in it.
    let mut workers: HashMap<Option<SocketAddr>, (Sender<Request>, Instant)> = HashMap::new();
    while !stop.load(Ordering::Relaxed) {
        workers.retain(|_, (_, used)| used.elapsed() < Duration::from_secs(30));
        let Ok(Some(request)) = server.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        let peer = request.remote_addr().copied();
        let request = match workers.get_mut(&peer) {
            Some((queue, used)) => match queue.send(request) {
                Ok(()) => {
                    *used = Instant::now();
                    continue;
                }
                Err(mpsc::SendError(request)) => request,
            },
            None => request,
        };
        let (queue, requests) = mpsc::channel::<Request>();
        let routes = Arc::clone(&routes);
        std::thread::spawn(move || {
            for request in requests {
                answer(request, &routes);
            }
        });
        // The worker has just started: its queue is open.
        let _ = queue.send(request);
        workers.insert(peer, (queue, Instant::now()));
    }
}

/// API Gateway's limits (REST API): a longer URL gets 414, a larger body 413; Lambda takes an
/// event of at most 6 MB, and a larger one fails the integration (502).
const MAX_URL: usize = 8192;
const MAX_BODY: usize = 10 * 1024 * 1024;
const MAX_EVENT: usize = 6 * 1024 * 1024;

fn answer(mut request: Request, routes: &[Route]) {
    let method = request.method().as_str().to_uppercase();
    let url = request.url().to_owned();
    // Only this machine's names: a web page that rebinds its own domain to 127.0.0.1 sends
    // that domain here, and is refused.
    if !loopback_host(&request) {
        let _ = request.respond(json_response(403, &json!({"message": "Forbidden"})));
        return;
    }
    if url.len() > MAX_URL {
        let _ = request.respond(json_response(
            414,
            &json!({"message": "Request-URI Too Long"}),
        ));
        return;
    }
    // Never trust a declared length with memory: refuse it first, then read at most the limit.
    if request
        .body_length()
        .is_some_and(|length| length > MAX_BODY)
    {
        let _ = request.respond(json_response(
            413,
            &json!({"message": "Request Entity Too Large"}),
        ));
        return;
    }
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    if percent_decode(path).is_none() {
        let message = "the path is not UTF-8 once its %-escapes are decoded";
        let _ = request.respond(json_response(400, &json!({ "message": message })));
        return;
    }
    let Some((route, parameters)) = routes
        .iter()
        .find_map(|route| Some((route, route.spec.matches(&method, path)?)))
    else {
        let known: Vec<String> = routes.iter().map(|r| r.spec.describe()).collect();
        let body = json!({"message": format!("no route for {method} {path}; the routes are: {}", known.join(", "))});
        let _ = request.respond(json_response(404, &body));
        return;
    };
    let Some(body) = read_body(request.as_reader()) else {
        let _ = request.respond(json_response(
            413,
            &json!({"message": "Request Entity Too Large"}),
        ));
        return;
    };
    let body = (!body.is_empty()).then(|| String::from_utf8_lossy(&body).into_owned());
    let parameters: Vec<(&str, &str)> = parameters
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut event = rest_proxy_event(
        &method,
        &format!("/{}", route.spec.path),
        path,
        &parameters,
        body.as_deref(),
    );
    if !query.is_empty() {
        let pairs: serde_json::Map<String, Value> = query
            .split('&')
            .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
            .filter_map(|(k, v)| Some((percent_decode(k)?, Value::from(percent_decode(v)?))))
            .collect();
        event["queryStringParameters"] = Value::Object(pairs);
    }
    let event = event.to_string();
    let outcome = if event.len() > MAX_EVENT {
        Err(anyhow::anyhow!("the event is over 6 MB"))
    } else {
        route.function.invoke(event.as_bytes(), route.timeout)
    };
    let response = match outcome {
        Ok(Outcome::Response(result)) => serde_json::from_slice::<Value>(&result)
            .ok()
            .and_then(|result| ProxyResponse::from_result(&result)),
        // API Gateway's answer when the function fails.
        Ok(Outcome::Error(_)) | Err(_) => None,
    };
    let _ = match response {
        Some(response) => {
            let mut http = Response::from_string(response.body).with_status_code(response.status);
            for (name, value) in &response.headers {
                if let Ok(header) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                    http = http.with_header(header);
                }
            }
            request.respond(http)
        }
        None => request.respond(json_response(
            502,
            &json!({"message": "Internal server error"}),
        )),
    };
}

/// Whether the `Host` header names this machine: 127.0.0.1, localhost or [::1], any port.
fn loopback_host(request: &Request) -> bool {
    let Some(host) = request
        .headers()
        .iter()
        .find(|header| header.field.equiv("Host"))
        .map(|header| header.value.as_str().to_ascii_lowercase())
    else {
        return true; // HTTP/1.0 without Host: only a local client sends that here
    };
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default().to_owned(),
        None => host.split(':').next().unwrap_or_default().to_owned(),
    };
    matches!(name.as_str(), "127.0.0.1" | "localhost" | "::1")
}

/// The body, read in pieces (a reader's size hint is the declared length: `read_to_end`
/// would reserve it); `None` past the limit.
fn read_body(reader: &mut dyn std::io::Read) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    let mut buffer = [0u8; 64 * 1024];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) | Err(_) => return Some(body),
            Ok(read) if body.len() + read > MAX_BODY => return None,
            Ok(read) => body.extend_from_slice(&buffer[..read]),
        }
    }
}

fn json_response(status: u16, body: &Value) -> Response<std::io::Cursor<Vec<u8>>> {
    let mut response = Response::from_string(body.to_string()).with_status_code(status);
    if let Ok(header) = Header::from_bytes("Content-Type", "application/json") {
        response = response.with_header(header);
    }
    response
}
