//! Response helpers: every answer of the API has a status, a content type and a body.

use lambda_http::http::{header::CONTENT_TYPE, HeaderValue, StatusCode};
use lambda_http::{Body, Response};

pub(crate) fn text(status: StatusCode, message: impl Into<String>) -> Response<Body> {
    build(status, "text/plain; charset=utf-8", message.into())
}

pub(crate) fn json(status: StatusCode, body: String) -> Response<Body> {
    build(status, "application/json", body)
}

fn build(status: StatusCode, content_type: &'static str, body: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
