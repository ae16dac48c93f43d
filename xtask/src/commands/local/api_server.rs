//! API Gateway on 127.0.0.1: each `http` event of serverless.yml is a route, and a request on
//! it invokes its function with the REST proxy event, as API Gateway would.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tiny_http::{Header, Request, Response, Server};

use crate::lambda::api_gateway::{rest_proxy_event, ProxyResponse};
use crate::lambda::function::LocalFunction;
use crate::lambda::runtime_api::Outcome;
use crate::serverless_yml::Function;

/// One `http` event: `PUT users/{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    pub function: String,
    /// Upper case, or `ANY`.
    pub method: String,
    /// Without the leading slash: `users/{id}`.
    pub path: String,
}

impl RouteSpec {
    /// The routes of a function's `http` events, in both of the framework's spellings
    /// (`http: PUT users/{id}`, or a mapping with `path` and `method`).
    pub fn of_function(function: &Function<'_>) -> Vec<RouteSpec> {
        function
            .http_routes()
            .into_iter()
            .map(|route| RouteSpec {
                function: function.name.to_owned(),
                method: route.method,
                path: route.path,
            })
            .collect()
    }

    pub fn describe(&self) -> String {
        format!("{} /{}", self.method, self.path)
    }

    /// The path parameters, if the request is for this route.
    pub fn matches(&self, method: &str, path: &str) -> Option<Vec<(String, String)>> {
        if self.method != "ANY" && self.method != method {
            return None;
        }
        let mut parameters = Vec::new();
        let mut request = path.trim_matches('/').split('/');
        for segment in self.path.split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix("+}")) {
                let rest: Vec<&str> = request.by_ref().collect();
                parameters.push((name.to_owned(), percent_decode(&rest.join("/"))));
                return Some(parameters);
            }
            let actual = request.next()?;
            match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => parameters.push((name.to_owned(), percent_decode(actual))),
                None if segment == actual => {}
                None => return None,
            }
        }
        request.next().is_none().then_some(parameters)
    }
}

#[derive(Debug)]
pub struct Route {
    /// The function's `timeout`: Lambda stops an invocation that runs longer.
    pub timeout: Duration,
    pub spec: RouteSpec,
    pub function: Arc<Mutex<LocalFunction>>,
}

/// Answers requests until `stop` is set, one thread per request.
pub fn serve(server: Arc<Server>, routes: Arc<Vec<Route>>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        let Ok(Some(request)) = server.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        let routes = Arc::clone(&routes);
        std::thread::spawn(move || answer(request, &routes));
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
            .map(|(k, v)| (percent_decode(k), Value::from(percent_decode(v))))
            .collect();
        event["queryStringParameters"] = Value::Object(pairs);
    }
    let event = event.to_string();
    let outcome = match route.function.lock() {
        Ok(_) if event.len() > MAX_EVENT => Err(anyhow::anyhow!("the event is over 6 MB")),
        Ok(mut function) => function.invoke(event.as_bytes(), route.timeout),
        Err(_) => Err(anyhow::anyhow!("the function is gone")),
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

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(method: &str, path: &str) -> RouteSpec {
        RouteSpec {
            function: "f".into(),
            method: method.into(),
            path: path.into(),
        }
    }

    #[test]
    fn path_parameters_are_matched_and_decoded() {
        let put = route("PUT", "users/{id}");
        assert_eq!(
            put.matches("PUT", "/users/1"),
            Some(vec![("id".into(), "1".into())])
        );
        assert_eq!(
            put.matches("PUT", "/users/zo%C3%AB"),
            Some(vec![("id".into(), "zoë".into())])
        );
        assert_eq!(put.matches("GET", "/users/1"), None);
        assert_eq!(put.matches("PUT", "/users"), None);
        assert_eq!(put.matches("PUT", "/users/1/extra"), None);
        assert_eq!(
            route("ANY", "files/{path+}").matches("GET", "/files/a/b"),
            Some(vec![("path".into(), "a/b".into())])
        );
    }
}
