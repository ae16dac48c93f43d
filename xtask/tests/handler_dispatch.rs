//! Each step's binary runs the handler `_HANDLER` names: the real binaries, behind the local
//! Lambda Runtime API, as Lambda starts them.
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

mod support;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;
use xtask::lambda::api_gateway::{rest_proxy_event, ProxyResponse};
use xtask::lambda::function::{FunctionSpec, LocalFunction};
use xtask::lambda::runtime_api::Outcome;
use xtask::project::{self, Step};
use xtask::tools::cargo_build;
use xtask::tools::local_dynamodb::LocalDynamoDb;

const REGION: &str = "us-east-1";
const TIMEOUT: Duration = Duration::from_secs(20);

fn binary(step: &str) -> PathBuf {
    static BUILT: [OnceLock<PathBuf>; 2] = [OnceLock::new(), OnceLock::new()];
    let step = Step::named(step).unwrap();
    let index = project::STEPS.iter().position(|s| *s == step).unwrap();
    BUILT[index]
        .get_or_init(|| cargo_build::build(step).unwrap())
        .clone()
}

fn dynamodb_endpoint() -> String {
    std::env::var(xtask::project::TEST_DYNAMODB_ENDPOINT).unwrap_or_else(|_| {
        panic!("this test needs the local DynamoDB that `cargo xtask test` starts: run `cargo xtask test`")
    })
}

fn start(step: &str, handler: &str, environment: Vec<(String, String)>) -> LocalFunction {
    static RUNS: AtomicU32 = AtomicU32::new(0);
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    let endpoint = dynamodb_endpoint();
    LocalFunction::start(FunctionSpec {
        binary: &binary(step),
        arguments: Vec::new(),
        name: "dispatch-test",
        handler,
        region: REGION,
        aws_endpoint: Some(&endpoint),
        environment,
        log: project::xtask_dir()
            .join("test-logs")
            .join(format!("dispatch-{}-{run}.log", std::process::id())),
    })
    .unwrap()
}

fn answer(outcome: Outcome) -> Value {
    match outcome {
        Outcome::Response(body) => serde_json::from_slice(&body).unwrap(),
        Outcome::Error(body) => panic!("the handler failed: {}", String::from_utf8_lossy(&body)),
    }
}

/// One API request through the function, as API Gateway would send it.
fn request(
    function: &mut LocalFunction,
    method: &str,
    id: &str,
    body: Option<&str>,
) -> ProxyResponse {
    let event = rest_proxy_event(
        method,
        "/users/{id}",
        &format!("/users/{id}"),
        &[("id", id)],
        body,
    );
    let outcome = function
        .invoke(event.to_string().as_bytes(), TIMEOUT)
        .unwrap();
    ProxyResponse::from_result(&answer(outcome)).unwrap()
}

#[test]
fn each_api_handler_name_reaches_its_handler() {
    let table = format!("dispatch-users-{}", std::process::id());
    LocalDynamoDb::new(&dynamodb_endpoint(), REGION)
        .create_users_table(&table)
        .unwrap();
    let environment = vec![("TABLE_NAME".to_owned(), table)];
    let mut put = start("7-finish", "users.put", environment.clone());
    let mut get = start("7-finish", "users.get", environment.clone());
    let mut delete = start("7-finish", "users.delete", environment);

    let saved = request(&mut put, "PUT", "1", Some(r#"{"name": "test"}"#));
    assert_eq!((saved.status, saved.body.as_str()), (200, "Saved!"));
    let found = request(&mut get, "GET", "1", None);
    assert_eq!(found.status, 200);
    assert_eq!(found.header("content-type"), Some("application/json"));
    assert_eq!(
        serde_json::from_str::<Value>(&found.body).unwrap(),
        serde_json::json!({"id": "1", "name": "test"})
    );
    let deleted = request(&mut delete, "DELETE", "1", None);
    assert_eq!(
        (deleted.status, deleted.body.as_str()),
        (200, "Deleted user")
    );
    let gone = request(&mut get, "GET", "1", None);
    assert_eq!((gone.status, gone.body.as_str()), (404, "User 1 not found"));
    let bad = request(&mut put, "PUT", "1", Some("not json"));
    assert_eq!(bad.status, 400, "{}", bad.body);
}

#[test]
fn stream_handler_reaches_the_stream_handler_of_each_step() {
    let batch =
        std::fs::read(project::root().join("7-finish/src/fixtures/mixed_batch.json")).unwrap();

    let mut finish = start("7-finish", "stream.handler", Vec::new());
    let response = answer(finish.invoke(&batch, TIMEOUT).unwrap());
    assert_eq!(
        response,
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "200"}]})
    );
    assert!(
        finish
            .log_text()
            .contains(r#"value is now {"id":"2","name":"Ada"}"#),
        "{}",
        finish.log_text()
    );

    let mut exercise = start("6-streams", "stream.handler", Vec::new());
    let response = answer(exercise.invoke(&batch, TIMEOUT).unwrap());
    let log = exercise.log_text();
    let stream_rs =
        std::fs::read_to_string(project::root().join("6-streams/src/stream.rs")).unwrap();
    if stream_rs != support::committed("6-streams/src/stream.rs") {
        // A learner's handler: it got the batch and answered it; `check` judges the rest.
        assert!(response["batchItemFailures"].is_array(), "{response}");
        assert!(
            log.contains(r#""2""#),
            "the learner's handler logged nothing of the batch: {log}"
        );
        return;
    }
    assert_eq!(response, serde_json::json!({"batchItemFailures": []}));
    // The raw event, DynamoDB's typed values and all (in no particular key order).
    assert!(
        log.contains(r#"{"Records":[{"#)
            && log.contains(r#""id":{"S":"2"}"#)
            && log.contains(r#""name":{"S":"Ada"}"#),
        "the exercise logs the raw event: {log}"
    );
}

#[test]
fn an_unknown_or_missing_handler_stops_with_the_list_of_names() {
    for (step, handler, first_words) in [
        (
            "7-finish",
            "users.list",
            r#"error: unknown handler "users.list" in _HANDLER"#,
        ),
        (
            "6-streams",
            "stream.handle",
            r#"error: unknown handler "stream.handle" in _HANDLER"#,
        ),
        ("7-finish", "", "error: _HANDLER is not set"),
    ] {
        let mut function = start(step, handler, Vec::new());
        let status = function.wait_for_exit(TIMEOUT).unwrap();
        assert!(
            status.is_some_and(|status| !status.success()),
            "{step} {handler:?}: {status:?}"
        );
        let log = function.log_text();
        assert!(log.contains(first_words), "{step} {handler:?}: {log}");
        assert!(
            log.contains("must be one of: users.put, users.get, users.delete, stream.handler"),
            "{step} {handler:?}: {log}"
        );
    }
}
