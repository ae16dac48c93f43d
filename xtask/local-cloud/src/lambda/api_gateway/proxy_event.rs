//! The event API Gateway (REST API, Lambda proxy integration, payload 1.0) sends for one
//! request, as `aws_lambda_events` types it, built from what the client sent: its headers and
//! query string, single and multi-valued (API Gateway developer guide, "Input format of a
//! Lambda function for proxy integration": with a repeated header or query parameter,
//! `headers` and `queryStringParameters` hold the last value, the `multiValue` maps all).

use std::collections::HashMap;

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyRequestContext};
use aws_lambda_events::http::{HeaderMap, Method};
use aws_lambda_events::query_map::QueryMap;

use super::routes::percent_decode;

/// What the client sent, and the route it matched.
#[derive(Debug, Clone, Copy)]
pub struct ClientRequest<'a> {
    pub method: &'a str,
    /// The route's resource, `/users/{id}`.
    pub resource: &'a str,
    pub path: &'a str,
    pub path_parameters: &'a [(&'a str, &'a str)],
    /// The query string as sent, without its `?`.
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: Option<&'a str>,
    /// The body is base64 (bytes that are not UTF-8).
    pub base64: bool,
}

/// The proxy event for `request`.
pub fn of(request: &ClientRequest<'_>) -> ApiGatewayProxyRequest {
    let method = Method::from_bytes(request.method.as_bytes()).unwrap_or(Method::GET);
    let (headers, multi_value_headers) = headers(request.headers);
    let (query, multi_value_query) = query(request.query);
    let mut context = ApiGatewayProxyRequestContext::default();
    context.account_id = Some("000000000000".to_owned());
    context.apiid = Some("local".to_owned());
    context.resource_id = Some("local".to_owned());
    context.stage = Some("local".to_owned());
    context.request_id = Some(uuid::Uuid::new_v4().to_string());
    context.protocol = Some("HTTP/1.1".to_owned());
    context.resource_path = Some(request.resource.to_owned());
    context.path = Some(format!("/local{}", request.path));
    context.http_method = method.clone();
    context.domain_name = header(request.headers, "host");
    context.request_time_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as i64);
    context.identity.source_ip = Some("127.0.0.1".to_owned());
    context.identity.user_agent = header(request.headers, "user-agent");
    let mut event = ApiGatewayProxyRequest::default();
    event.resource = Some(request.resource.to_owned());
    event.path = Some(request.path.to_owned());
    event.http_method = method;
    event.headers = headers;
    event.multi_value_headers = multi_value_headers;
    event.query_string_parameters = query;
    event.multi_value_query_string_parameters = multi_value_query;
    event.path_parameters = request
        .path_parameters
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    event.request_context = context;
    event.body = request.body.map(str::to_owned);
    event.is_base64_encoded = request.base64;
    event
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(name)
        .iter()
        .next_back()
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// The last value of each header, and all of them. A value that is not text is left out
/// (API Gateway's event is JSON text).
fn headers(sent: &HeaderMap) -> (HeaderMap, HeaderMap) {
    let (mut last, mut all) = (HeaderMap::new(), HeaderMap::new());
    for (name, value) in sent {
        if value.to_str().is_err() {
            continue;
        }
        last.insert(name.clone(), value.clone());
        all.append(name.clone(), value.clone());
    }
    (last, all)
}

/// `a=1&a=2&b`: the last value of each parameter, and all of them, %-decoded.
fn query(sent: &str) -> (QueryMap, QueryMap) {
    let mut all: HashMap<String, Vec<String>> = HashMap::new();
    let pairs = sent
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        // `+` is a space in a query string.
        .filter_map(|(k, v)| {
            let decode = |s: &str| percent_decode(&s.replace('+', " "));
            Some((decode(k)?, decode(v)?))
        });
    for (name, value) in pairs {
        all.entry(name).or_default().push(value);
    }
    let last: HashMap<String, String> = all
        .iter()
        .filter_map(|(name, values)| Some((name.clone(), values.last()?.clone())))
        .collect();
    (QueryMap::from(last), QueryMap::from(all))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::http::HeaderValue;

    fn request<'a>(headers: &'a HeaderMap, query: &'a str) -> ClientRequest<'a> {
        ClientRequest {
            method: "PUT",
            resource: "/users/{id}",
            path: "/users/1",
            path_parameters: &[("id", "1")],
            query,
            headers,
            body: Some(r#"{"name":"Ada"}"#),
            base64: false,
        }
    }

    /// API Gateway developer guide, "Input format of a Lambda function for proxy integration":
    /// the client's headers and query string, the last value in the single maps, all in the
    /// multi-valued ones.
    #[test]
    fn the_clients_headers_and_query_reach_the_function() {
        let mut sent = HeaderMap::new();
        sent.insert("host", HeaderValue::from_static("127.0.0.1:3000"));
        sent.insert("x-trace", HeaderValue::from_static("one"));
        sent.append("x-trace", HeaderValue::from_static("two"));
        sent.insert("content-type", HeaderValue::from_static("application/json"));
        let event = serde_json::to_value(of(&request(&sent, "tag=a&tag=b%20c&q=x+y"))).unwrap();
        assert_eq!(event["headers"]["x-trace"], "two");
        assert_eq!(
            event["multiValueHeaders"]["x-trace"],
            serde_json::json!(["one", "two"])
        );
        assert_eq!(event["headers"]["content-type"], "application/json");
        assert_eq!(event["queryStringParameters"]["tag"], "b c");
        assert_eq!(
            event["multiValueQueryStringParameters"]["tag"],
            serde_json::json!(["a", "b c"])
        );
        assert_eq!(event["queryStringParameters"]["q"], "x y");
        assert_eq!(event["pathParameters"]["id"], "1");
        assert_eq!(event["requestContext"]["domainName"], "127.0.0.1:3000");
        assert_eq!(event["requestContext"]["stage"], "local");
        let id = event["requestContext"]["requestId"].as_str().unwrap();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
        // What lambda_http makes of it: the request a handler reads.
        let parsed: ApiGatewayProxyRequest = serde_json::from_value(event).unwrap();
        assert_eq!(
            parsed
                .multi_value_query_string_parameters
                .all("tag")
                .unwrap()
                .len(),
            2
        );
    }
}
