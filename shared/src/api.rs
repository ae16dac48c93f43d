//! The REST API: `PUT`, `GET` and `DELETE /users/{id}`, one Lambda function each.
//!
//! Every request gets an answer a client can act on: bad input is a 400 that says what is
//! wrong, a table failure is a 500 whose detail goes to the log only.

use lambda_http::http::StatusCode;
use lambda_http::{service_fn, Body, Request, RequestExt, Response};
use lambda_runtime::tracing;
use serde_json::Value;

use crate::responses::{json, text};
use crate::{User, UserRepository};

/// Bodies above this are refused before parsing: a user is a name, not a document.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Ids above this are refused: a key, not a payload (DynamoDB itself allows 2048 bytes).
pub const MAX_ID_BYTES: usize = 256;

/// One API function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    PutUser,
    GetUser,
    DeleteUser,
}

/// Runs the route's handler under the Lambda runtime until the runtime stops.
pub async fn serve(route: Route) -> Result<(), lambda_runtime::Error> {
    let repository = UserRepository::from_env().await?;
    let repository = &repository;
    lambda_http::run(service_fn(move |request: Request| async move {
        Ok::<_, std::convert::Infallible>(handle(repository, route, request).await)
    }))
    .await
}

/// Answers one request for `route`.
pub async fn handle(repository: &UserRepository, route: Route, request: Request) -> Response<Body> {
    let outcome = match route {
        Route::PutUser => put_user(repository, &request).await,
        Route::GetUser => get_user(repository, &request).await,
        Route::DeleteUser => delete_user(repository, &request).await,
    };
    outcome.unwrap_or_else(|failure| failure.into_response())
}

async fn put_user(
    repository: &UserRepository,
    request: &Request,
) -> Result<Response<Body>, Failure> {
    let id = user_id(request)?;
    let name = name_from_body(request.body())?;
    let user = User {
        id: id.to_owned(),
        name,
    };
    repository.put(&user).await.map_err(Failure::table)?;
    Ok(text(StatusCode::OK, "Saved!"))
}

async fn get_user(
    repository: &UserRepository,
    request: &Request,
) -> Result<Response<Body>, Failure> {
    let id = user_id(request)?;
    match repository.get(id).await.map_err(Failure::table)? {
        Some(user) => {
            let body = serde_json::to_string(&user).map_err(Failure::table)?;
            Ok(json(StatusCode::OK, body))
        }
        None => Ok(text(StatusCode::NOT_FOUND, format!("User {id} not found"))),
    }
}

async fn delete_user(
    repository: &UserRepository,
    request: &Request,
) -> Result<Response<Body>, Failure> {
    let id = user_id(request)?;
    repository.delete(id).await.map_err(Failure::table)?;
    Ok(text(StatusCode::OK, "Deleted user"))
}

/// The `{id}` of `/users/{id}`.
fn user_id(request: &Request) -> Result<&str, Failure> {
    let id = request
        .path_parameters_ref()
        .and_then(|parameters| parameters.first("id"))
        .unwrap_or_default();
    if id.is_empty() {
        return Err(Failure::bad_request(
            "the user id is missing: use /users/{id}",
        ));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(Failure::bad_request(format!(
            "the user id is {} bytes long; at most {MAX_ID_BYTES} are allowed",
            id.len()
        )));
    }
    Ok(id)
}

/// The `name` of a `{"name": "..."}` body.
fn name_from_body(body: &Body) -> Result<String, Failure> {
    const EXAMPLE: &str = r#"send a JSON object like {"name": "Alice"}"#;
    let bytes: &[u8] = body.as_ref();
    if bytes.is_empty() {
        return Err(Failure::bad_request(format!(
            "the body is empty: {EXAMPLE}"
        )));
    }
    if bytes.len() > MAX_BODY_BYTES {
        return Err(Failure::bad_request(format!(
            "the body is {} bytes long; at most {MAX_BODY_BYTES} are allowed",
            bytes.len()
        )));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|error| {
        Failure::bad_request(format!("the body is not JSON ({error}): {EXAMPLE}"))
    })?;
    let Value::Object(mut fields) = value else {
        return Err(Failure::bad_request(format!(
            "the body is not a JSON object: {EXAMPLE}"
        )));
    };
    match fields.remove("name") {
        None => Err(Failure::bad_request(format!(
            r#"the body has no "name": {EXAMPLE}"#
        ))),
        Some(Value::String(name)) if name.trim().is_empty() => Err(Failure::bad_request(
            r#""name" is empty: give the user a name"#,
        )),
        Some(Value::String(name)) => Ok(name),
        Some(other) => Err(Failure::bad_request(format!(
            r#""name" must be a string, not {}: {EXAMPLE}"#,
            json_kind(&other)
        ))),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Why a request got no success answer.
#[derive(Debug)]
enum Failure {
    /// The client's fault: the message tells it what to fix.
    BadRequest(String),
    /// Ours: logged, and the client gets a generic message.
    Internal,
}

impl Failure {
    fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }

    fn table(error: impl std::fmt::Display) -> Self {
        tracing::error!("the users table failed: {error}");
        Self::Internal
    }

    fn into_response(self) -> Response<Body> {
        match self {
            Self::BadRequest(message) => text(StatusCode::BAD_REQUEST, message),
            Self::Internal => text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal server error: the request could not be completed",
            ),
        }
    }
}
