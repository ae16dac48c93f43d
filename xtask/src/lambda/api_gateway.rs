//! API Gateway's REST proxy integration, as a function sees it: the event a request becomes,
//! and the HTTP answer the function's result becomes.

pub mod routes;
pub mod server;

use serde_json::{json, Map, Value};

/// The event API Gateway (REST, Lambda proxy) sends for one request.
pub fn rest_proxy_event(
    method: &str,
    resource: &str,
    path: &str,
    path_parameters: &[(&str, &str)],
    body: Option<&str>,
) -> Value {
    let parameters: Map<String, Value> = path_parameters
        .iter()
        .map(|(name, value)| ((*name).to_owned(), Value::from(*value)))
        .collect();
    let headers = match body {
        Some(_) => json!({"Content-Type": "application/json", "Host": "127.0.0.1"}),
        None => json!({"Host": "127.0.0.1"}),
    };
    let multi_value_headers: Map<String, Value> = headers
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, value)| (name.clone(), json!([value])))
        .collect();
    json!({
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": multi_value_headers,
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "pathParameters": if parameters.is_empty() { Value::Null } else { Value::Object(parameters) },
        "stageVariables": null,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": method,
            "path": format!("/local{path}"),
            "stage": "local",
            "requestId": "local",
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "local"},
        },
        "body": body,
        "isBase64Encoded": false,
    })
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
