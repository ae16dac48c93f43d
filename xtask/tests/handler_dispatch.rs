//! Each step's binary runs the handler `_HANDLER` names, and logs as Lambda's Rust runtime
//! does: the real binaries, behind the local Lambda Runtime API, as Lambda starts them.
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
use xtask::lambda::stream_records::{example_stream_arn, Change};
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
        bus: None,
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

/// One INSERT of `{"id": id, "name": name}`, with `sequence` as its sequence number.
fn insert(id: &str, name: &str, sequence: &str) -> Value {
    Change {
        event_id: sequence.to_owned(),
        event_name: "INSERT",
        sequence_number: sequence.to_owned(),
        created: 1_764_000_000,
        keys: serde_json::json!({"id": {"S": id}}),
        new_image: Some(serde_json::json!({"id": {"S": id}, "name": {"S": name}})),
        old_image: None,
    }
    .record(&example_stream_arn("users"), REGION)
}

/// Bytes a terminal acts on: ESC, BEL, BS, FF, DEL, and the C1 controls in UTF-8.
fn terminal_controls(log: &[u8]) -> Vec<usize> {
    (0..log.len())
        .filter(|&at| match log[at] {
            0x07 | 0x08 | 0x0c | 0x1b | 0x7f => true,
            0xc2 => log
                .get(at + 1)
                .is_some_and(|next| (0x80..=0x9f).contains(next)),
            _ => false,
        })
        .collect()
}

#[test]
fn a_record_cannot_drive_the_terminal_its_log_is_read_in() {
    // DEL and C1 controls survive JSON (serde_json leaves them as they are), ESC does not;
    // a sequence number is logged as it came, ESC and all, when the record is not a user.
    let mut not_a_user = insert("8", "", "\u{1b}]0;pwned\u{7}802\u{8}\u{c}");
    not_a_user["dynamodb"]["NewImage"]["name"] = serde_json::json!({"N": "8"});
    let batch =
        serde_json::json!({"Records": [insert("7", "Ada\u{7f}\u{9b}31m", "701"), not_a_user]});
    let mut function = start("7-finish", "stream.handler", Vec::new());
    let response = answer(
        function
            .invoke(batch.to_string().as_bytes(), TIMEOUT)
            .unwrap(),
    );
    assert_eq!(
        response["batchItemFailures"][0]["itemIdentifier"],
        "\u{1b}]0;pwned\u{7}802\u{8}\u{c}"
    );
    let text = function.log_text();
    assert_eq!(
        terminal_controls(text.as_bytes()),
        Vec::<usize>::new(),
        "{text:?}"
    );
    let request_id = function.last_request_id().unwrap();
    let prefix = format!(r#"Lambda runtime invoke{{requestId="{request_id}"}}: "#);
    assert!(
        text.contains(&format!(
            r#" INFO {prefix}INSERT {{"id":"7"}}: value is now {{"id":"7","name":"Ada\x7f\u{{9b}}31m"}}"#
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            r#"ERROR {prefix}INSERT record \x1b]0;pwned\x07802\x08\x0c is not a user"#
        )),
        "{text}"
    );
}

#[test]
fn the_log_level_and_format_are_lambdas() {
    let batch =
        std::fs::read(project::root().join("7-finish/src/fixtures/mixed_batch.json")).unwrap();
    let only_errors = vec![("AWS_LAMBDA_LOG_LEVEL".to_owned(), "ERROR".to_owned())];
    let mut function = start("7-finish", "stream.handler", only_errors);
    answer(function.invoke(&batch, TIMEOUT).unwrap());
    let log = function.log_text();
    assert!(log.contains("ERROR ") && !log.contains(" INFO "), "{log}");

    let json = vec![("AWS_LAMBDA_LOG_FORMAT".to_owned(), "JSON".to_owned())];
    let mut function = start("7-finish", "stream.handler", json);
    answer(function.invoke(&batch, TIMEOUT).unwrap());
    let lines: Vec<Value> = function
        .log_text()
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    assert!(
        lines.iter().any(|line| {
            line["level"] == "INFO"
                && line["fields"]["message"].as_str().is_some_and(|message| {
                    message.contains(r#"value is now {"id":"2","name":"Ada"}"#)
                })
        }),
        "{}",
        function.log_text()
    );
}
