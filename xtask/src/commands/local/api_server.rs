//! API Gateway on 127.0.0.1: each `http` event of serverless.yml is a route, and a request on
//! it invokes its function with the REST proxy event, as API Gateway would, within API
//! Gateway's limits. Connections are served side by side; the requests of one connection one
//! after another (a GET pipelined after a PUT sees its write).

use std::io::BufReader;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::console::Hub;
use super::pool::FunctionPool;
use super::routes::{percent_decode, RouteSpec};
use crate::lambda::api_gateway::{rest_proxy_event, ProxyResponse};
use crate::lambda::runtime_api::Outcome;
use crate::tools::http::{loopback_host, read_request, respond, Limits, Refusal, Request};

#[derive(Debug)]
pub struct Route {
    /// The function's `timeout`: Lambda stops an invocation that runs longer.
    pub timeout: Duration,
    pub spec: RouteSpec,
    pub function: Arc<FunctionPool>,
}

/// The routes being served; `deploy --local --watch` replaces them when serverless.yml
/// changes, and a request uses the ones there when it arrived.
#[derive(Debug)]
pub struct RouteTable(RwLock<Arc<Vec<Route>>>);

impl RouteTable {
    pub fn new(routes: Vec<Route>) -> Self {
        Self(RwLock::new(Arc::new(routes)))
    }

    pub fn current(&self) -> Arc<Vec<Route>> {
        match self.0.read() {
            Ok(routes) => Arc::clone(&routes),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub fn replace(&self, routes: Vec<Route>) {
        match self.0.write() {
            Ok(mut current) => *current = Arc::new(routes),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(routes),
        }
    }
}

/// API Gateway's limits (REST API): a longer URL gets 414, a larger body 413; Lambda takes an
/// event of at most 6 MB, and a larger one fails the integration (502).
const LIMITS: Limits = Limits {
    line: 8192 + 32,
    headers: 64 * 1024,
    body: 10 * 1024 * 1024,
};
const MAX_EVENT: usize = 6 * 1024 * 1024;

/// An answer: status, header lines, body; and the invocation behind it, if any.
struct Reply {
    status: u16,
    headers: String,
    body: Vec<u8>,
    invoked: Option<Invoked>,
}

/// Which function served a request, and its invocation's request id.
struct Invoked {
    function: String,
    request_id: Option<String>,
}

impl Reply {
    fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            headers: "Content-Type: application/json\r\n".to_owned(),
            body: body.to_string().into_bytes(),
            invoked: None,
        }
    }

    fn message(status: u16, message: &str) -> Self {
        Self::json(status, &json!({ "message": message }))
    }
}

/// Accepts connections until `stop` is set, one thread each.
pub fn serve(listener: TcpListener, routes: Arc<RouteTable>, hub: Arc<Hub>, stop: Arc<AtomicBool>) {
    // Polled, so that `stop` is seen within a tenth of a second.
    let _ = listener.set_nonblocking(true);
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                let (routes, hub, stop) =
                    (Arc::clone(&routes), Arc::clone(&hub), Arc::clone(&stop));
                std::thread::spawn(move || connection(stream, &routes, &hub, &stop));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

fn connection(stream: TcpStream, routes: &RouteTable, hub: &Hub, stop: &AtomicBool) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_nodelay(true);
    // An idle connection is closed, as API Gateway closes one.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let (reply, keep_alive, line) = match read_request(&mut reader, &LIMITS) {
            Ok(Ok(Some(request))) => (
                answer(&request, &routes.current()),
                request.keep_alive(),
                (request.method.to_uppercase(), request.target.clone()),
            ),
            Ok(Ok(None)) | Err(_) => return,
            Ok(Err(refusal)) => (refused(refusal), false, ("?".to_owned(), String::new())),
        };
        let sent = respond(&mut writer, reply.status, &reply.headers, &reply.body);
        hub.publish(json!({
            "type": "request",
            "method": line.0,
            // The console shows the path, not an attacker's megabyte of it.
            "path": line.1.chars().take(200).collect::<String>(),
            "status": reply.status,
            "ms": started.elapsed().as_millis() as u64,
            "function": reply.invoked.as_ref().map(|i| i.function.clone()),
            "requestId": reply.invoked.as_ref().and_then(|i| i.request_id.clone()),
        }));
        if sent.is_err() || !keep_alive {
            if reply.status == 413 {
                discard_rest(&mut reader);
            }
            return;
        }
    }
}

/// After a 413, what the client still sends is read and thrown away for a while (a fixed
/// buffer, at most 32 MB, until 2 s of quiet), so that a client writing its body gets to read
/// the answer instead of a reset connection.
fn discard_rest(reader: &mut BufReader<TcpStream>) {
    use std::io::Read;
    let _ = reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_secs(2)));
    let mut buffer = [0u8; 64 * 1024];
    let mut discarded = 0;
    while discarded < 32 * 1024 * 1024 {
        match reader.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(read) => discarded += read,
        }
    }
}

fn refused(refusal: Refusal) -> Reply {
    let message = match refusal {
        Refusal::Malformed => "Bad Request",
        Refusal::UriTooLong => "Request-URI Too Long",
        Refusal::HeadersTooLarge => "Request Header Fields Too Large",
        Refusal::BodyTooLarge => "Request Entity Too Large",
    };
    Reply::message(refusal.status(), message)
}

fn answer(request: &Request, routes: &[Route]) -> Reply {
    let method = request.method.to_uppercase();
    // Only this machine's names: a web page that rebinds its own domain to 127.0.0.1 sends
    // that domain here, and is refused.
    if !loopback_host(request.header("Host")) {
        return Reply::message(403, "Forbidden");
    }
    let (path, query) = request
        .target
        .split_once('?')
        .unwrap_or((&request.target, ""));
    if percent_decode(path).is_none() {
        return Reply::message(400, "the path is not UTF-8 once its %-escapes are decoded");
    }
    let Some((route, parameters)) = routes
        .iter()
        .find_map(|route| Some((route, route.spec.matches(&method, path)?)))
    else {
        let known: Vec<String> = routes.iter().map(|r| r.spec.describe()).collect();
        let message = format!(
            "no route for {method} {path}; the routes are: {}",
            known.join(", ")
        );
        return Reply::message(404, &message);
    };
    let body = (!request.body.is_empty()).then(|| String::from_utf8_lossy(&request.body));
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
    let (outcome, request_id) = if event.len() > MAX_EVENT {
        (Err(anyhow::anyhow!("the event is over 6 MB")), None)
    } else {
        route.function.invoke(event.as_bytes(), route.timeout)
    };
    let invoked = Some(Invoked {
        function: route.spec.function.clone(),
        request_id,
    });
    let response = match outcome {
        Ok(Outcome::Response(result)) => serde_json::from_slice::<Value>(&result)
            .ok()
            .and_then(|result| ProxyResponse::from_result(&result)),
        // API Gateway's answer when the function fails.
        Ok(Outcome::Error(_)) | Err(_) => None,
    };
    match response {
        Some(response) => Reply {
            status: response.status,
            headers: response
                .headers
                .iter()
                // A header is one line: no CR or LF may come from a function's answer.
                .filter(|(name, value)| !format!("{name}{value}").contains(['\r', '\n']))
                .filter(|(name, _)| !name.eq_ignore_ascii_case("Content-Length"))
                .map(|(name, value)| format!("{name}: {value}\r\n"))
                .collect(),
            body: response.body.into_bytes(),
            invoked,
        },
        None => Reply {
            invoked,
            ..Reply::message(502, "Internal server error")
        },
    }
}
