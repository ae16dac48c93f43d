//! API Gateway on 127.0.0.1: each `http` event of serverless.yml is a route, and a request on
//! it invokes its function with the REST proxy event, as API Gateway would, within API
//! Gateway's limits. Served by axum on hyper: connections side by side, the requests of one
//! connection one after another (a GET pipelined after a PUT sees its write); this module
//! keeps API Gateway's own rules on top.

use std::net::TcpListener;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Result;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{middleware, Router};
use serde_json::{json, Value};

use super::routes::{percent_decode, RouteSpec};
use super::{rest_proxy_event, ProxyResponse};
use crate::lambda::observer::{ApiRequest, Observer};
use crate::lambda::pool::FunctionPool;
use crate::lambda::runtime_api::Outcome;
use crate::tools::server::{loopback_hosts_only, Served};

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

/// API Gateway's limits (REST API): a longer URL gets 414, larger headers 431, a larger body
/// 413; Lambda takes an event of at most 6 MB, and a larger one fails the integration (502).
const MAX_TARGET: usize = 8192;
const MAX_HEADERS: usize = 64 * 1024;
const MAX_BODY: usize = 10 * 1024 * 1024;
const MAX_EVENT: usize = 6 * 1024 * 1024;
/// How long a client may take to send its body.
const BODY_WITHIN: Duration = Duration::from_secs(30);

/// An answer: status, headers, body; and the invocation behind it, if any.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
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
            headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
            body: body.to_string().into_bytes(),
            invoked: None,
        }
    }

    fn message(status: u16, message: &str) -> Self {
        Self::json(status, &json!({ "message": message }))
    }

    fn into_response(self) -> Response {
        let mut response = (
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_GATEWAY),
            self.body,
        )
            .into_response();
        let headers = response.headers_mut();
        for (name, value) in self.headers {
            // A header from a function's answer that HTTP cannot carry is left out.
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                if name != header::CONTENT_LENGTH {
                    headers.append(name, value);
                }
            }
        }
        response
    }
}

#[derive(Debug, Clone)]
struct Api {
    routes: Arc<RouteTable>,
    observer: Arc<dyn Observer>,
}

/// Serves the routes on `listener` until the returned server is stopped or dropped; each
/// request answered is told to `observer`.
pub fn serve(
    listener: TcpListener,
    routes: Arc<RouteTable>,
    observer: Arc<dyn Observer>,
) -> Result<Served> {
    let router = Router::new()
        .fallback(request)
        .layer(middleware::from_fn(loopback_hosts_only))
        .with_state(Api { routes, observer });
    Served::start(listener, router, "the local API")
}

async fn request(State(api): State<Api>, request: Request) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_uppercase();
    let target = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );
    let reply = match received(request).await {
        Ok((target, body)) => {
            let routes = api.routes.current();
            tokio::task::spawn_blocking(move || answer(&target.0, &target.1, &body, &routes))
                .await
                .unwrap_or_else(|_| Reply::message(502, "Internal server error"))
        }
        Err(refused) => refused,
    };
    api.observer.request(&ApiRequest {
        method,
        target,
        status: reply.status,
        ms: started.elapsed().as_millis() as u64,
        function: reply.invoked.as_ref().map(|i| i.function.clone()),
        request_id: reply.invoked.as_ref().and_then(|i| i.request_id.clone()),
    });
    reply.into_response()
}

/// The request within API Gateway's limits: its method and target, and its body; else the
/// answer that refuses it.
async fn received(request: Request) -> Result<((String, String), Bytes), Reply> {
    let (parts, body) = request.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    if target.len() > MAX_TARGET {
        return Err(Reply::message(414, "Request-URI Too Long"));
    }
    let header_bytes: usize = parts
        .headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if header_bytes > MAX_HEADERS {
        return Err(Reply::message(431, "Request Header Fields Too Large"));
    }
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY as u64) {
        discard(body);
        return Err(Reply::message(413, "Request Entity Too Large"));
    }
    let method = parts.method.as_str().to_uppercase();
    match tokio::time::timeout(BODY_WITHIN, axum::body::to_bytes(body, MAX_BODY)).await {
        Ok(Ok(body)) => Ok(((method, target), body)),
        Ok(Err(_)) => Err(Reply::message(413, "Request Entity Too Large")),
        Err(_) => Err(Reply::message(408, "Request Timeout")),
    }
}

/// After a 413, what the client still sends is read and thrown away for a while (at most
/// 32 MB, until 2 s pass with nothing), so that a client writing its body gets to read the
/// answer instead of a reset connection.
fn discard(body: Body) {
    tokio::spawn(async move {
        use http_body_util::BodyExt;
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

fn answer(method: &str, target: &str, body: &[u8], routes: &[Route]) -> Reply {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if percent_decode(path).is_none() {
        return Reply::message(400, "the path is not UTF-8 once its %-escapes are decoded");
    }
    let Some((route, parameters)) = routes
        .iter()
        .find_map(|route| Some((route, route.spec.matches(method, path)?)))
    else {
        let known: Vec<String> = routes.iter().map(|r| r.spec.describe()).collect();
        let message = format!(
            "no route for {method} {path}; the routes are: {}",
            known.join(", ")
        );
        return Reply::message(404, &message);
    };
    let body = (!body.is_empty()).then(|| String::from_utf8_lossy(body));
    let parameters: Vec<(&str, &str)> = parameters
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut event = rest_proxy_event(
        method,
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
            headers: response.headers.clone(),
            body: response.body.into_bytes(),
            invoked,
        },
        None => Reply {
            invoked,
            ..Reply::message(502, "Internal server error")
        },
    }
}
