//! API Gateway on 127.0.0.1: each `http` event of serverless.yml is a route, and a request on
//! it invokes its function with the REST proxy event, as API Gateway would, within API
//! Gateway's limits. Served by axum on hyper: connections side by side, the requests of one
//! connection one after another (a GET pipelined after a PUT sees its write); this module
//! keeps API Gateway's own rules on top.

mod reply;

use std::net::TcpListener;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Result;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Router;
use serde_json::Value;

use super::routes::{percent_decode, RouteSpec};
use super::{proxy_event, ProxyResponse};
use crate::lambda::bus::{ApiRequest, Bus, Event};
use crate::lambda::pool::FunctionPool;
use crate::lambda::runtime_api::Outcome;
use crate::tools::server::{Limits, Served};
use reply::{Invoked, Reply};

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
/// Connections at once: a room of curl users and the bench's load, not a flood.
const MAX_CONNECTIONS: usize = 128;

#[derive(Debug, Clone)]
struct Api {
    routes: Arc<RouteTable>,
    bus: Arc<Bus>,
}

/// Serves the routes on `listener` until the returned server is stopped or dropped; each
/// request answered is told on `bus`.
pub fn serve(listener: TcpListener, routes: Arc<RouteTable>, bus: Arc<Bus>) -> Result<Served> {
    let router = Router::new()
        .fallback(request)
        .with_state(Api { routes, bus });
    let limits = Limits {
        connections: MAX_CONNECTIONS,
        body: MAX_BODY,
    };
    Served::start(listener, router, "the local API", limits)
}

async fn request(State(api): State<Api>, request: Request) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_uppercase();
    let target = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );
    let reply = match received(request).await {
        Ok(((method, target), headers, body)) => {
            let routes = api.routes.current();
            match event_for(&method, &target, &headers, &body, &routes) {
                Ok((route, event)) => invoke_in_turn(routes, route, event).await,
                Err(refused) => refused,
            }
        }
        Err(refused) => refused,
    };
    api.bus.publish(&Event::Request(&ApiRequest {
        method,
        target,
        status: reply.status,
        ms: started.elapsed().as_millis() as u64,
        function: reply.invoked.as_ref().map(|i| i.function.clone()),
        request_id: reply.invoked.as_ref().and_then(|i| i.request_id.clone()),
    }));
    reply.into_response()
}

/// The request within API Gateway's limits on its URL and headers (its body's are every
/// server's, kept before this): its method and target, and its body; else the answer that
/// refuses it.
async fn received(request: Request) -> Result<((String, String), HeaderMap, Bytes), Reply> {
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
    let method = parts.method.as_str().to_uppercase();
    match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => Ok(((method, target), parts.headers, body)),
        Err(_) => Err(Reply::message(413, "Request Entity Too Large")),
    }
}

/// API Gateway's integration timeout: a request not answered by then gets 504.
const INTEGRATION_TIMEOUT: Duration = Duration::from_secs(29);

/// The invocation, once one of the function's environments is free for it: waiting takes no
/// thread, the invocation (which blocks) one of at most as many as it has environments.
async fn invoke_in_turn(routes: Arc<Vec<Route>>, route: usize, event: String) -> Reply {
    let invoked = || {
        Some(Invoked {
            function: routes[route].spec.function.clone(),
            request_id: None,
        })
    };
    let Some(_in_line) = routes[route].function.wait_in_line() else {
        // Lambda throttles the invocation (429 TooManyRequestsException), which API
        // Gateway's proxy integration answers as 500 (AWS Lambda developer guide, "Handling
        // Lambda errors with an API Gateway API").
        return Reply {
            invoked: invoked(),
            ..Reply::message(500, "Internal server error")
        };
    };
    let admission = routes[route].function.admission();
    let turn = tokio::time::timeout(INTEGRATION_TIMEOUT, admission.acquire_owned()).await;
    let Ok(Ok(turn)) = turn else {
        return Reply {
            invoked: invoked(),
            ..Reply::message(504, "Endpoint request timed out")
        };
    };
    tokio::task::spawn_blocking(move || {
        let reply = invoke(&routes[route], &event);
        drop(turn);
        reply
    })
    .await
    .unwrap_or_else(|_| Reply::message(502, "Internal server error"))
}

/// The route a request is for and the REST proxy event it makes; else the answer.
fn event_for(
    method: &str,
    target: &str,
    headers: &HeaderMap,
    body: &[u8],
    routes: &[Route],
) -> Result<(usize, String), Reply> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if percent_decode(path).is_none() {
        return Err(Reply::message(
            400,
            "the path is not UTF-8 once its %-escapes are decoded",
        ));
    }
    let Some((index, parameters)) = routes
        .iter()
        .enumerate()
        .find_map(|(index, route)| Some((index, route.spec.matches(method, path)?)))
    else {
        let known: Vec<String> = routes.iter().map(|r| r.spec.describe()).collect();
        let message = format!(
            "no route for {method} {path}; the routes are: {}",
            known.join(", ")
        );
        return Err(Reply::message(404, &message));
    };
    let route = &routes[index];
    // Bytes that are not UTF-8 go base64-encoded, said by `isBase64Encoded`, as API Gateway
    // sends a binary body; never changed into other text.
    let (body, base64) = match std::str::from_utf8(body) {
        _ if body.is_empty() => (None, false),
        Ok(text) => (Some(std::borrow::Cow::Borrowed(text)), false),
        Err(_) => {
            use base64::Engine;
            let encoded = base64::engine::general_purpose::STANDARD.encode(body);
            (Some(std::borrow::Cow::Owned(encoded)), true)
        }
    };
    let parameters: Vec<(&str, &str)> = parameters
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let request = proxy_event::ClientRequest {
        method,
        resource: &format!("/{}", route.spec.path),
        path,
        path_parameters: &parameters,
        query,
        headers,
        body: body.as_deref(),
        base64,
    };
    let event = serde_json::to_string(&proxy_event::of(&request))
        .map_err(|_| Reply::message(400, "the request cannot be written as API Gateway's event"))?;
    Ok((index, event))
}

/// Invokes the route's function with the event; its answer as API Gateway gives it.
fn invoke(route: &Route, event: &str) -> Reply {
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
