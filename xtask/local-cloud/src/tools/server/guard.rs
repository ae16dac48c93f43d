//! The rules every local server keeps, as one middleware (see `tools::server`): who may call
//! (this machine, not another site's page) and what a request's body may be.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

use super::Limits;

/// How long a client may take to send a request's body.
const BODY_WITHIN: Duration = Duration::from_secs(30);

/// Middleware on every server: the caller must be this machine and not another site's page;
/// the body, read whole within its limits, goes on as bytes.
pub(super) async fn local_callers_only(
    State(limits): State<Limits>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(refusal) = refusal(request.method(), request.uri(), request.headers()) {
        return refusal;
    }
    let (parts, body) = request.into_parts();
    match whole_body(&parts.headers, body, limits.body).await {
        Ok(body) => next.run(Request::from_parts(parts, Body::from(body))).await,
        Err(refusal) => refusal,
    }
}

/// Why a request is refused before its body is read, if it is. A header given twice counts
/// by each of its values; a target in absolute form (`http://host/path`) names its host too.
fn refusal(method: &Method, uri: &Uri, headers: &HeaderMap) -> Option<Response> {
    let values = |name: &header::HeaderName| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .map(|value| value.to_str().unwrap_or("\u{0}").to_ascii_lowercase())
            .collect()
    };
    let hosts = values(&header::HOST);
    let host = hosts.first().cloned();
    let authority = uri.authority().map(|a| a.as_str().to_ascii_lowercase());
    let foreign_host = hosts.len() > 1
        || !loopback_host(host.as_deref())
        || authority.is_some_and(|authority| !loopback_host(Some(&authority)));
    if foreign_host {
        return Some(refused(
            StatusCode::FORBIDDEN,
            "this server answers only requests to 127.0.0.1 or localhost",
        ));
    }
    // A page of this very server (the console's own script) is same-origin; a browser's
    // address bar says `none`. Anything else a browser sends is another site's page.
    let foreign_site = values(&header::HeaderName::from_static("sec-fetch-site"))
        .iter()
        .any(|site| site != "same-origin" && site != "none");
    let own_origin = host.map(|host| format!("http://{host}"));
    let foreign_origin = values(&header::ORIGIN)
        .into_iter()
        .any(|origin| Some(origin) != own_origin);
    let preflight =
        method == Method::OPTIONS && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if foreign_site || foreign_origin || preflight {
        return Some(refused(
            StatusCode::FORBIDDEN,
            "this server takes no requests from web pages of other sites",
        ));
    }
    None
}

/// A refusal: its status, and a line saying why (as JSON, which every client here reads).
pub fn refused(status: StatusCode, why: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "message": why }).to_string(),
    )
        .into_response()
}

/// The request's body, whole: at most `limit` bytes (a declared length over it refused before
/// anything is read), within [`BODY_WITHIN`], valid HTTP.
async fn whole_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, Response> {
    let too_large = || refused(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large");
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        discard(body);
        return Err(too_large());
    }
    let read = async {
        let mut body = body;
        let mut bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                return Err(refused(
                    StatusCode::BAD_REQUEST,
                    "the request's body is not valid HTTP (its chunks or length)",
                ));
            };
            if let Ok(data) = frame.into_data() {
                if bytes.len() + data.len() > limit {
                    discard(body);
                    return Err(too_large());
                }
                bytes.extend_from_slice(&data);
            }
        }
        Ok(Bytes::from(bytes))
    };
    match tokio::time::timeout(BODY_WITHIN, read).await {
        Ok(result) => result,
        Err(_) => Err(refused(StatusCode::REQUEST_TIMEOUT, "Request Timeout")),
    }
}

/// After a 413, what the client still sends is read and thrown away for a while (at most
/// 32 MB, until 2 s pass with nothing), so that a client writing its body gets to read the
/// answer instead of a reset connection.
fn discard(body: Body) {
    tokio::spawn(async move {
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

/// Whether the `Host` header names this machine: 127.0.0.1, localhost or [::1], any port.
pub fn loopback_host(host: Option<&str>) -> bool {
    let Some(host) = host.map(str::to_ascii_lowercase) else {
        return true; // HTTP/1.0 without Host: only a local client sends that here
    };
    // NAME, NAME:PORT or [V6]:PORT, the port digits only: `127.0.0.1:1@evil.example` is not ours.
    let (name, port) = match host.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((name, rest)) => (name, rest.strip_prefix(':').unwrap_or(rest)),
            None => return false,
        },
        None => host.split_once(':').unwrap_or((&host, "")),
    };
    let port_ok = port.chars().all(|c| c.is_ascii_digit());
    port_ok && matches!(name, "127.0.0.1" | "localhost" | "::1")
}

#[cfg(test)]
mod tests {
    use super::loopback_host;

    #[test]
    fn only_this_machines_names_are_loopback() {
        for host in ["127.0.0.1:3000", "localhost", "LOCALHOST:1", "[::1]:3000"] {
            assert!(loopback_host(Some(host)), "{host}");
        }
        for host in [
            "attacker.example",
            "127.0.0.1.attacker.example",
            "[::2]",
            "\u{0}",
        ] {
            assert!(!loopback_host(Some(host)), "{host}");
        }
    }
}
