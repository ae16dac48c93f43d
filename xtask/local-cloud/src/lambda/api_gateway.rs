//! API Gateway's REST proxy integration, as a function sees it: the event a request becomes,
//! and the HTTP answer the function's result becomes.

pub mod proxy_event;
pub mod routes;
pub mod server;

use serde_json::Value;

/// The event API Gateway (REST, Lambda proxy) sends for a request with no query string and
/// the headers a plain client sends (the host, and a JSON body's type).
pub fn rest_proxy_event(
    method: &str,
    resource: &str,
    path: &str,
    path_parameters: &[(&str, &str)],
    body: Option<&str>,
) -> Value {
    use aws_lambda_events::http::{HeaderMap, HeaderValue};
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("127.0.0.1"));
    if body.is_some() {
        headers.insert("content-type", HeaderValue::from_static("application/json"));
    }
    let request = proxy_event::ClientRequest {
        method,
        resource,
        path,
        path_parameters,
        query: "",
        headers: &headers,
        body,
        base64: false,
    };
    serde_json::to_value(proxy_event::of(&request)).unwrap_or(Value::Null)
}

/// A function's answer to a proxy event, as the HTTP response API Gateway would send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl ProxyResponse {
    /// Reads `{"statusCode": 200, "headers": {...}, "body": "..."}`.
    pub fn from_result(result: &Value) -> Option<Self> {
        let status = u16::try_from(result.get("statusCode")?.as_u64()?).ok()?;
        // API Gateway sends both maps' headers; lambda_http fills only `multiValueHeaders`.
        let single = result
            .get("headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(name, value)| Some((name.clone(), value.as_str()?.to_owned())));
        let multi = result
            .get("multiValueHeaders")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .flat_map(|(name, values)| {
                values
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(move |value| Some((name.clone(), value.as_str()?.to_owned())))
            });
        let mut headers: Vec<(String, String)> = single.chain(multi).collect();
        headers.sort();
        headers.dedup();
        let body = result
            .get("body")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        Some(Self {
            status,
            headers,
            body,
        })
    }

    /// A header's value, its name matched as HTTP matches it (without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}
