//! The local DynamoDB and DynamoDB Streams: dynoxide's engine (SQLite, in this process: no
//! server to install, none left behind) behind DynamoDB's JSON protocol on 127.0.0.1, where
//! the functions' AWS SDK, `put-item` and xtask's own calls reach it as they would reach AWS.
//!
//! xtask serves the engine itself rather than through dynoxide's own HTTP server, which
//! answers any web page's `Origin` with `Access-Control-Allow-Origin: *`: a page that found
//! the port could read and write the learner's table. Here, as on every local server
//! (`tools::server`), a page of another site or a name other than this machine's is refused.
//! Requests are read as
//! dynoxide's server reads them, with one difference: a body that is not the operation's
//! JSON shape is refused in serde's words rather than in DynamoDB's exact wording.

mod rules;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use dynoxide::{Database, DynoxideError};

use super::streams::LocalStreams;
use crate::tools::server::{Limits, Served};
use rules::{get_records_capped, refusal, STREAMS_OPERATIONS};

/// DynamoDB takes request bodies up to 16 MB.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Connections at once: the functions' SDK clients, put-item, a learner's tools.
const MAX_CONNECTIONS: usize = 128;
const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// Where the tables live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// A SQLite file: the tables and their streams survive a restart.
    File(PathBuf),
    /// Gone when the endpoint stops (the repository's tests).
    Memory,
}

/// The running endpoint; it stops when dropped.
#[derive(Debug)]
pub struct LocalDynamoDbEndpoint {
    served: Served,
    /// The same engine, for reads in this process.
    streams: LocalStreams,
}

impl LocalDynamoDbEndpoint {
    /// Opens the storage and serves it on a free port of 127.0.0.1.
    pub fn start(storage: &Storage) -> Result<Self> {
        let database = open(storage)?;
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .context("opening a port on 127.0.0.1 for the local DynamoDB")?;
        let limits = Limits {
            connections: MAX_CONNECTIONS,
            body: MAX_BODY,
        };
        let streams = LocalStreams::new(database.clone());
        let served = Served::start(listener, router(database), "the local DynamoDB", limits)?;
        Ok(Self { served, streams })
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL` and xtask's own client.
    pub fn url(&self) -> String {
        self.served.url()
    }

    /// Its streams, read in this process (the event source mapping's poller).
    pub fn streams(&self) -> LocalStreams {
        self.streams.clone()
    }
}

fn open(storage: &Storage) -> Result<Database> {
    match storage {
        Storage::Memory => Database::memory().map_err(|e| anyhow::anyhow!("{e}")),
        Storage::File(path) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            let text = utf8(path)?;
            Database::new(text).map_err(|error| {
                anyhow::anyhow!(
                    "opening the local DynamoDB's file {}: {error}",
                    path.display()
                )
            })
        }
    }
}

fn utf8(path: &Path) -> Result<&str> {
    path.to_str().with_context(|| {
        format!(
            "the local DynamoDB's file {} has a name that is not UTF-8, which SQLite's \
             binding needs: move the checkout to a directory with such a name",
            path.display()
        )
    })
}

pub fn router(database: Database) -> Router {
    Router::new()
        .route("/", post(call))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(database)
}

async fn call(State(database): State<Database>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    // Every server's limits were kept before this: the body is here, whole.
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "the body is over 16 MB\n").into_response();
    };
    let target = headers
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    // Each service its own operations: DynamoDB Streams' four under its prefix, and none of
    // DynamoDB's (AWS answers UnknownOperationException across them).
    let operation = match (
        target.strip_prefix("DynamoDB_20120810."),
        target.strip_prefix("DynamoDBStreams_20120810."),
    ) {
        (Some(operation), _) if !STREAMS_OPERATIONS.contains(&operation) => operation,
        (_, Some(operation)) if STREAMS_OPERATIONS.contains(&operation) => operation,
        _ => "",
    }
    .to_owned();
    // SQLite blocks: off the threads that read and write the connections.
    let answer = tokio::task::spawn_blocking(move || match std::str::from_utf8(&body) {
        Ok(body) => dispatch(&database, &operation, body),
        Err(_) => Some(Err(DynoxideError::SerializationException(String::new()))),
    })
    .await
    .unwrap_or_else(|error| Some(Err(DynoxideError::InternalServerError(error.to_string()))));
    match answer {
        Some(Ok(json)) => answer_with(StatusCode::OK, json),
        Some(Err(error)) => answer_with(
            StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::BAD_REQUEST),
            error.to_json(),
        ),
        None => answer_with(
            StatusCode::BAD_REQUEST,
            r#"{"__type":"com.amazon.coral.service#UnknownOperationException"}"#.to_owned(),
        ),
    }
}

fn answer_with(status: StatusCode, json: String) -> Response {
    static REQUESTS: AtomicU64 = AtomicU64::new(1);
    let request_id = format!("XTASK{:047}", REQUESTS.fetch_add(1, Ordering::Relaxed));
    let mut response = (status, json).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if let Ok(id) = HeaderValue::from_str(&request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    response
}

/// One operation on the engine: the request read as its type, the answer written as JSON;
/// `None` for an operation DynamoDB does not have.
fn dispatch(
    database: &Database,
    operation: &str,
    body: &str,
) -> Option<Result<String, DynoxideError>> {
    if let Some(refused) = refusal(operation, body) {
        return Some(Err(refused));
    }
    if operation == "GetRecords" {
        return Some(get_records_capped(database, body));
    }
    macro_rules! operations {
        ($($name:literal => $method:ident,)*) => {
            match operation {
                $($name => Some((|| {
                    let request = serde_json::from_str(body).map_err(unreadable)?;
                    let answer = database.$method(request)?;
                    serde_json::to_string(&answer)
                        .map_err(|error| DynoxideError::InternalServerError(error.to_string()))
                })()),)*
                _ => None,
            }
        };
    }
    operations! {
        "CreateTable" => create_table,
        "DeleteTable" => delete_table,
        "DescribeTable" => describe_table,
        "UpdateTable" => update_table,
        "ListTables" => list_tables,
        "PutItem" => put_item,
        "GetItem" => get_item,
        "DeleteItem" => delete_item,
        "UpdateItem" => update_item,
        "Query" => query,
        "Scan" => scan,
        "BatchGetItem" => batch_get_item,
        "BatchWriteItem" => batch_write_item,
        "TransactWriteItems" => transact_write_items,
        "TransactGetItems" => transact_get_items,
        "ListStreams" => list_streams,
        "DescribeStream" => describe_stream,
        "GetShardIterator" => get_shard_iterator,
        "UpdateTimeToLive" => update_time_to_live,
        "DescribeTimeToLive" => describe_time_to_live,
        "ExecuteStatement" => execute_statement,
        "ExecuteTransaction" => execute_transaction,
        "BatchExecuteStatement" => batch_execute_statement,
        "TagResource" => tag_resource,
        "UntagResource" => untag_resource,
        "ListTagsOfResource" => list_tags_of_resource,
    }
}

/// A body that is not the operation's shape. dynoxide's readers mark their refusals with the
/// error class DynamoDB uses (`VALIDATION:`...); serde's own, DynamoDB answers as its server
/// does: a missing or null field is a validation error, any other a serialization error.
fn unreadable(error: serde_json::Error) -> DynoxideError {
    let text = error.to_string();
    let text = match text.rfind(" at line ") {
        Some(at) if text[at..].contains("column") => &text[..at],
        _ => &text,
    };
    const MARKERS: [(&str, bool); 5] = [
        ("SERIALIZATION_AS_READ:", false),
        ("VALIDATION_AS_READ:", true),
        ("VALIDATION_REQUEST:", true),
        ("VALIDATION:", true),
        ("SERIALIZATION:", false),
    ];
    let (message, validation) = MARKERS
        .iter()
        .find_map(|(marker, validation)| Some((text.strip_prefix(marker)?, *validation)))
        .unwrap_or_else(|| {
            let validation = ["missing field", "unknown variant", "invalid type: null"]
                .iter()
                .any(|kind| text.contains(kind));
            (text, validation)
        });
    match validation {
        true => DynoxideError::ValidationException(message.to_owned()),
        false => DynoxideError::SerializationException(message.to_owned()),
    }
}
