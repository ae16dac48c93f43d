//! The local cloud follows AWS's rules where a learner can see them, each held here through the
//! whole mapping (table, stream, poller, function, destination) and each citing its source. The
//! rules one by one are unit tests beside their code (`filter`, `stream_records::size`,
//! `mapping_rules`, `delivery`), with the same sources.
//!
//! Sources:
//! - [filtering]: AWS Lambda developer guide, "Lambda event filtering" and "Using event
//!   filtering with a DynamoDB event source" (the Exists operator works on leaf nodes only);
//!   EventBridge user guide, "Content filtering" (numeric matching on JSON numbers).
//! - [api]: AWS Lambda API reference, CreateEventSourceMapping (valid ranges) and Filter
//!   (pattern length).
//! - [size]: Amazon DynamoDB developer guide, "DynamoDB item sizes and formats"; the original
//!   workshop's record, recorded on AWS (`"SizeBytes": 26` for its MODIFY, which the formula
//!   gives: `stream_records::size`'s test).
//! - [record]: Lambda developer guide, "Using event filtering with a DynamoDB event source",
//!   whose sample record has `"ApproximateCreationDateTime": "1678831218.0"`; recorded AWS
//!   events send a number with a fraction.
//! - [failures]: Lambda developer guide, "Retaining discarded records" / on-failure
//!   destinations for DynamoDB (the message's `requestContext` and `responseContext`), and
//!   recorded AWS messages (`functionError` null when the function answered).
//! - [apigw]: API Gateway developer guide, "Input format of a Lambda function for proxy
//!   integration": `headers` and `queryStringParameters` hold a repeated name's last value,
//!   `multiValueHeaders` and `multiValueQueryStringParameters` all of them; `requestContext`
//!   names the stage and the request.
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

mod support;

use serde_json::{json, Value};
use support::deployment::{refused_start, Deployment};
use support::{committed, Attempt};
use xtask::lambda::destination::{DestinationName, LocalDestination};
use xtask::local_state as state;
use xtask::tools::local_dynamodb::LocalDynamoDb;

const STREAM_EVENT: &str = "          functionResponseType: ReportBatchItemFailures\n";

/// The solution with `settings` added to its stream event.
fn solution_with(name: &str, settings: &str, stream_rs: &str) -> Attempt {
    let yml = committed("7-finish/serverless.yml");
    let changed = yml.replacen(STREAM_EVENT, &format!("{STREAM_EVENT}{settings}"), 1);
    assert!(
        settings.is_empty() || changed != yml,
        "7-finish's stream event has {STREAM_EVENT:?}"
    );
    Attempt::with_files(
        name,
        &changed,
        &committed("6-streams/src/main.rs"),
        stream_rs,
    )
}

fn put(deployment: &Deployment, item: Value) {
    let running = state::running(&deployment.step).unwrap();
    LocalDynamoDb::new(&running.dynamodb_endpoint, &running.region)
        .call(
            "DynamoDB_20120810.PutItem",
            &json!({"TableName": running.table, "Item": item}),
        )
        .unwrap();
}

/// [filtering]: comparisons apply to leaves, so `exists` on an attribute (an object in the
/// record) never matches, and `numeric` never matches a DynamoDB number (a string). Before,
/// the first record was delivered through either pattern.
#[test]
fn filters_match_as_lambdas_do_through_the_mapping() {
    let settings = "          filterPatterns:\n            \
                    - dynamodb: {NewImage: {tag: [{exists: true}]}}\n            \
                    - dynamodb: {NewImage: {age: {N: [{numeric: ['>', 100]}]}}}\n            \
                    - dynamodb: {NewImage: {name: {S: [{prefix: keep}]}}}\n";
    let attempt = solution_with(
        "conformance-filters",
        settings,
        &committed("7-finish/src/stream.rs"),
    );
    let mut deployment = Deployment::start_dir(&attempt.dir, &["--fresh"]);
    put(
        &deployment,
        json!({"id": {"S": "f-1"}, "name": {"S": "drop-me"}, "tag": {"S": "x"}, "age": {"N": "101"}}),
    );
    put(
        &deployment,
        json!({"id": {"S": "f-2"}, "name": {"S": "keep-me"}}),
    );
    let log = deployment.wait_for_logs("stream", &["keep-me", "filtered out 1 record"]);
    assert!(!log.contains("drop-me"), "{log}");
    deployment.stop();
}

/// [api], [filtering]: what CreateEventSourceMapping refuses, a local start refuses, in AWS's
/// words and with the line of serverless.yml.
#[test]
fn what_lambda_refuses_is_refused_at_start() {
    let settings = "          batchSize: 20000\n          filterPatterns:\n            - INSERT\n";
    let attempt = solution_with(
        "conformance-refused",
        settings,
        &committed("7-finish/src/stream.rs"),
    );
    let stderr = refused_start(&attempt.dir);
    let yml = std::fs::read_to_string(attempt.dir.join("serverless.yml")).unwrap();
    let line = |key: &str| {
        1 + yml
            .lines()
            .position(|l| l.trim_start().starts_with(key))
            .unwrap()
    };
    assert!(
        stderr.contains(&format!(
            "line {}: function stream's stream event, batchSize: \"1 validation error detected: \
             Value '20000' at 'batchSize' failed to satisfy constraint: Member must have value \
             less than or equal to 10000\"",
            line("batchSize:")
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "line {}: function stream's stream event, filterPatterns: pattern 1: \"Invalid \
             filter pattern definition.\"",
            line("filterPatterns:")
        )),
        "{stderr}"
    );
}

/// A handler that logs the event as it arrives, untyped.
const RAW_HANDLER: &str = r#"use lambda_runtime::{tracing, Error, LambdaEvent};
use serde_json::Value;

pub async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    tracing::info!("raw {}", event.payload);
    Ok(Value::Null)
}
"#;

/// [size], [record]: the record a function receives has DynamoDB's size (names and values of
/// the keys and the image, not the length of their JSON) and its time as a number with a
/// fraction. Before: the length of the keys' and the image's JSON, and a whole number.
#[test]
fn records_have_dynamodb_sizes_and_times() {
    let attempt = solution_with("conformance-record", "", RAW_HANDLER);
    let mut deployment = Deployment::start_dir(&attempt.dir, &["--fresh"]);
    put(
        &deployment,
        json!({"id": {"S": "s-1"}, "name": {"S": "Zoë"}}),
    );
    let log = deployment.wait_for_logs("stream", &["raw {"]);
    let raw = log
        .lines()
        .find_map(|line| line.split_once("raw ").map(|(_, json)| json))
        .unwrap();
    let event: Value = serde_json::from_str(raw).unwrap();
    let change = &event["Records"][0]["dynamodb"];
    // Keys: "id" + "s-1"; the new image: those again, and "name" + "Zoë" (4 bytes in UTF-8).
    assert_eq!(change["SizeBytes"], (2 + 3) + (2 + 3) + (4 + 4), "{change}");
    let created = &change["ApproximateCreationDateTime"];
    assert!(created.is_f64(), "{created}");
    assert_eq!(created.as_f64().unwrap().fract(), 0.0, "{created}");
    deployment.stop();
}

/// [failures]: when the function answers with the record it could not handle, the on-failure
/// message says `functionError: null` (the function did not fail) and names the last
/// invocation by its request id, a UUID.
#[test]
fn a_reported_record_given_up_on_is_told_as_aws_tells_it() {
    let attempt = solution_with(
        "conformance-reported",
        "",
        &committed("7-finish/src/stream.rs"),
    );
    let mut deployment = Deployment::start_dir(&attempt.dir, &["--fresh"]);
    // A name that is a number is not a user: the solution reports it.
    put(
        &deployment,
        json!({"id": {"S": "n-1"}, "name": {"N": "12"}}),
    );
    deployment.wait_for_logs("stream", &["sent to the on-failure destination"]);
    let messages = LocalDestination::in_state(
        &state::dir(&deployment.step),
        &DestinationName::queue("SkippedRecords"),
    )
    .messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let body = &messages[0].body;
    assert_eq!(
        body["responseContext"],
        json!({"statusCode": 200, "executedVersion": "$LATEST", "functionError": null}),
        "{body}"
    );
    let request_id = body["requestContext"]["requestId"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(request_id).is_ok(), "{request_id}");
    deployment.stop();
}

/// A main that answers every API request with the event its function received (and leaves the
/// stream's records handled).
const ECHO_MAIN: &str = r#"
#[allow(dead_code)]
mod stream;

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        let body = event.payload.to_string();
        Ok::<Value, lambda_runtime::Error>(json!({"statusCode": 200, "body": body}))
    }))
    .await
}
"#;

/// [apigw]: the function gets what the client sent: its headers (a repeated one's last value,
/// and all of them), its query string single and multi-valued, decoded; the stage and a
/// request id. Before, `headers` was always the host and a Content-Type of xtask's own, and
/// the multi-valued maps were null.
#[test]
fn the_api_event_carries_what_the_client_sent() {
    let attempt = Attempt::with_files(
        "conformance-apigw",
        &committed("7-finish/serverless.yml"),
        ECHO_MAIN,
        &committed("6-streams/src/stream.rs"),
    );
    let deployment = Deployment::start_dir(&attempt.dir, &["--fresh"]);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .get(format!(
            "{}/users/u-1?tag=a&tag=b%20c&q=x+y",
            deployment.api
        ))
        .header("X-Trace", "one")
        .header("X-Trace", "two")
        .call()
        .unwrap();
    let text = response.body_mut().read_to_string().unwrap();
    let event: Value = serde_json::from_str(&text).unwrap();
    // Header names are case-insensitive (RFC 9110); compare them so.
    let header = |map: &str| {
        event[map]
            .as_object()
            .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("x-trace")))
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no X-Trace in {map}: {event:#}"))
    };
    assert_eq!(header("headers"), "two");
    assert_eq!(header("multiValueHeaders"), json!(["one", "two"]));
    assert_eq!(event["queryStringParameters"]["tag"], "b c", "{event:#}");
    assert_eq!(event["queryStringParameters"]["q"], "x y", "{event:#}");
    assert_eq!(
        event["multiValueQueryStringParameters"]["tag"],
        json!(["a", "b c"])
    );
    assert_eq!(event["pathParameters"]["id"], "u-1");
    assert_eq!(event["httpMethod"], "GET");
    assert_eq!(event["requestContext"]["stage"], "local");
    let request_id = event["requestContext"]["requestId"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(request_id).is_ok(), "{request_id}");
    let mut deployment = deployment;
    deployment.stop();
}
