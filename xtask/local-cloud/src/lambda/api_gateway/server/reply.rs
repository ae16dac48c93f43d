//! An answer of the local API Gateway, and the invocation behind it.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// An answer: status, headers, body; and the invocation behind it, if any.
pub(super) struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub invoked: Option<Invoked>,
}

/// Which function served a request, and its invocation's request id.
pub(super) struct Invoked {
    pub function: String,
    pub request_id: Option<String>,
}

impl Reply {
    pub fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
            body: body.to_string().into_bytes(),
            invoked: None,
        }
    }

    pub fn message(status: u16, message: &str) -> Self {
        Self::json(status, &json!({ "message": message }))
    }

    pub fn into_response(self) -> Response {
        let mut response = (
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_GATEWAY),
            self.body,
        )
            .into_response();
        let headers = response.headers_mut();
        // One Content-Type: the function's, else API Gateway's default for a proxy answer.
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let mut typed = false;
        for (name, value) in self.headers {
            // A header from a function's answer that HTTP cannot carry is left out.
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                if name == header::CONTENT_TYPE && !typed {
                    headers.insert(name, value);
                    typed = true;
                } else if name != header::CONTENT_LENGTH {
                    headers.append(name, value);
                }
            }
        }
        response
    }
}
