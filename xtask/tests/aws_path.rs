//! The AWS path as a learner takes it, against an emulated AWS account (moto's server, reached
//! through `AWS_ENDPOINT_URL` with dummy keys, as a company endpoint or LocalStack would be):
//! `cargo xtask deploy` of both steps, read back from the account (the stack's resources, the
//! functions, the event source mapping, the table's stream, the role's permissions), `put-item
//! --aws`, `logs`, `sls -- info` and `remove`; and the `bootstrap` that was deployed, run under
//! xtask's Runtime API for each of its handlers.
//!
//! moto cannot run functions (it would through Docker), fails an update that adds a stream to
//! a table, and skips a few resource types with a warning: each deployment here is a new stack,
//! and the test asserts on the resources the step needs, not on the stack's status alone.
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};
use support::aws::Account;
use xtask::lambda::api_gateway::{rest_proxy_event, ProxyResponse};
use xtask::lambda::function::{FunctionSpec, LocalFunction};
use xtask::lambda::runtime_api::Outcome;
use xtask::project;
use xtask::tools::local_dynamodb::LocalDynamoDb;

const SERVICE: &str = "user-management-service";
const FINISH_STAGE: &str = "awspath";
const EXERCISE_STAGE: &str = "awspathex";

fn stack_name(stage: &str) -> String {
    format!("{SERVICE}-{stage}")
}

/// The physical name of the stack's resource `id`.
fn physical<'a>(stack: &'a Value, id: &str) -> &'a str {
    stack["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .and_then(|r| r["physical"].as_str())
        .unwrap_or_else(|| {
            panic!(
                "expected a resource {id} in the stack, found none. The stack:\n{}",
                trimmed(stack)
            )
        })
}

fn types(stack: &Value) -> BTreeSet<String> {
    stack["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_aws_path_deploys_writes_shows_logs_and_removes() {
    let account = Account::start("aws-path");

    // deploy 7-finish: the framework, the zip, the stack.
    let said = account.xtask_succeeds(&["deploy", "7-finish", "--stage", FINISH_STAGE]);
    assert!(
        said.contains(&format!("AWS_ENDPOINT_URL is {}", account.moto.endpoint())),
        "{said}"
    );
    assert!(!said.contains("NodeVersionSupportWarning"), "{said}");
    let stack = account.read(&["stack", &stack_name(FINISH_STAGE)]);
    assert_finish_deployed(&stack);

    // deploy the exercise on another stage: as committed, no stream, no stream function.
    // `deploy` deploys the working tree, which an author may have solved: then its stream.
    account.xtask_succeeds(&["deploy", "6-streams", "--stage", EXERCISE_STAGE]);
    let exercise = account.read(&["stack", &stack_name(EXERCISE_STAGE)]);
    match exercise_solved_in_the_working_tree() {
        false => assert_exercise_deployed(&exercise),
        true => {
            eprintln!("note: 6-streams is solved in this working tree: its stream is asserted");
            assert_stream_deployed(&exercise);
        }
    }

    // put-item --aws writes into the deployed table, found by its CloudFormation name.
    let table = physical(&stack, "Table");
    let said = account.xtask_succeeds(&[
        "put-item",
        "--aws",
        "--stage",
        FINISH_STAGE,
        r#"{"id": {"S": "bad-1"}, "name": {"N": "42"}}"#,
        "7-finish",
    ]);
    assert!(
        said.contains(&format!("put the item into {table}")),
        "{said}"
    );
    assert_eq!(
        account.read(&["get-item", table, "bad-1"]),
        json!({"id": {"S": "bad-1"}, "name": {"N": "42"}})
    );
    let said = account.xtask_succeeds(&[
        "put-item",
        "--aws",
        "--stage",
        FINISH_STAGE,
        r#"{"id": {"S": "bad-1"}, "name": {"N": "42"}}"#,
        "7-finish",
    ]);
    assert!(
        said.contains("bad-1 was already in ") && said.contains("the write changed nothing"),
        "{said}"
    );

    // logs: what Lambda writes into the function's log group, as a learner reads it.
    let group = format!("/aws/lambda/{SERVICE}-{FINISH_STAGE}-stream");
    let request = "8f5a2b6e-0c1d-4e7f-9a3b-2c4d6e8f0a1b";
    let lines = [
        format!("START RequestId: {request} Version: $LATEST"),
        format!(
            " INFO Lambda runtime invoke{{requestId=\"{request}\" xrayTraceId=\"Root=1-x\"}}: \
             INSERT {{\"id\":\"1\"}}: value is now {{\"id\":\"1\",\"name\":\"test\"}}"
        ),
        format!("END RequestId: {request}"),
        format!(
            "REPORT RequestId: {request}\tDuration: 1.62 ms\tBilled Duration: 32 ms\tMemory \
             Size: 1024 MB\tMax Memory Used: 19 MB\tInit Duration: 29.81 ms"
        ),
    ];
    let mut args = vec!["put-log", group.as_str()];
    args.extend(lines.iter().map(String::as_str));
    account.read(&args);
    let said = account.xtask_stdout(&["logs", "stream", "7-finish", "--stage", FINISH_STAGE]);
    // As the framework shows Lambda's lines: START and REPORT shortened, END left out.
    let shown: Vec<&str> = said.lines().skip_while(|line| *line != "START").collect();
    assert_eq!(
        shown,
        [
            "START",
            lines[1].as_str(),
            "END Duration: 1.62 ms (init: 29.81 ms) Memory Used: 19 MB",
        ],
        "{said}"
    );

    // sls -- info: the pinned framework on the deployed stack.
    let said = account.xtask_succeeds(&["sls", "7-finish", "--", "info", "--stage", FINISH_STAGE]);
    for expected in [
        format!("service: {SERVICE}"),
        format!("stage: {FINISH_STAGE}"),
        "region: us-east-1".to_owned(),
        format!("stack: {}", stack_name(FINISH_STAGE)),
    ] {
        assert!(said.contains(&expected), "{expected:?} not in:\n{said}");
    }

    // failures --aws: the deployed queue's messages listed, the records looked for in the
    // stream (this emulated account empties its streams, so they are not found), and a replay
    // that cannot read them keeps the message.
    let queue_url = physical(&stack, "SkippedRecords");
    let message = json!({
        "requestContext": {"requestId": "r-1",
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:user-management-service-awspath-stream",
            "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 4},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "version": "1.0", "timestamp": "2026-12-02T08:40:00.000Z",
        "DDBStreamBatchInfo": {"shardId": "shardId-00000001-x", "startSequenceNumber": "100",
            "endSequenceNumber": "100", "approximateArrivalOfFirstRecord": "2026-12-02T08:39:58Z",
            "approximateArrivalOfLastRecord": "2026-12-02T08:39:58Z", "batchSize": 1,
            "streamArn": stack["tables"][table]["stream_arn"]}
    });
    account.read(&["send", queue_url, &message.to_string()]);
    let listed = account.xtask_stdout(&["failures", "7-finish", "--aws", "--stage", FINISH_STAGE]);
    assert!(listed.contains(": 1 message\n"), "{listed}");
    assert!(
        listed.contains(
            "2026-12-02T08:40:00.000Z RetryAttemptsExhausted after 4 invocations: 1 record, \
             sequence 100"
        ),
        "{listed}"
    );
    let replayed = account.xtask(&[
        "failures",
        "7-finish",
        "--aws",
        "--stage",
        FINISH_STAGE,
        "--replay",
    ]);
    let text = String::from_utf8_lossy(&replayed.stdout);
    assert_eq!(replayed.status.code(), Some(1), "{text}");
    assert!(
        text.contains("1. still failing (its records could not be read): kept in the queue"),
        "{text}"
    );
    assert_eq!(account.read(&["queue-size", queue_url]), 1);

    // The artifact that was deployed is the artifact that runs.
    run_the_deployed_bootstrap(&account, &stack_name(FINISH_STAGE));

    // remove: both stacks gone.
    for (step, stage) in [("7-finish", FINISH_STAGE), ("6-streams", EXERCISE_STAGE)] {
        account.xtask_succeeds(&["remove", step, "--stage", stage]);
        let status = account.read(&["stack-status", &stack_name(stage)]);
        assert!(
            status == "GONE" || status == "DELETE_COMPLETE",
            "{step}'s stack after remove: {status}"
        );
    }
}

/// What the design says 7-finish deploys, read from the account.
fn assert_finish_deployed(stack: &Value) {
    let kinds = types(stack);
    for kind in [
        "AWS::DynamoDB::Table",
        "AWS::Lambda::Function",
        "AWS::Lambda::EventSourceMapping",
        "AWS::IAM::Role",
        "AWS::Logs::LogGroup",
        "AWS::ApiGateway::RestApi",
        "AWS::ApiGateway::Method",
        "AWS::S3::Bucket",
    ] {
        assert!(
            kinds.contains(kind),
            "expected a {kind} in 7-finish's stack, found none. The stack:\n{}",
            trimmed(stack)
        );
    }
    let table = physical(stack, "Table");
    let deployed = &stack["tables"][table];
    assert_eq!(
        deployed["stream"],
        json!({"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}),
        "{deployed:#}"
    );
    let table_arn = deployed["arn"].as_str().unwrap();
    let stream_arn = deployed["stream_arn"].as_str().unwrap();

    let functions = stack["functions"].as_object().unwrap();
    let handlers: BTreeSet<&str> = functions
        .values()
        .map(|f| f["handler"].as_str().unwrap())
        .collect();
    assert_eq!(
        handlers,
        BTreeSet::from(["stream.handler", "users.delete", "users.get", "users.put"])
    );
    for (name, function) in functions {
        assert_eq!(function["runtime"], "provided.al2023", "{name}");
        assert_eq!(function["environment"]["TABLE_NAME"], table, "{name}");
    }

    let mappings = stack["mappings"].as_array().unwrap();
    assert_eq!(mappings.len(), 1, "{mappings:#?}");
    let mapping = &mappings[0];
    assert_eq!(
        mapping["function"],
        format!("{SERVICE}-{FINISH_STAGE}-stream")
    );
    assert_eq!(mapping["source"], stream_arn);
    assert_eq!(mapping["batch_size"], 10);
    assert_eq!(mapping["maximum_retry_attempts"], 3);
    assert_eq!(mapping["bisect"], true);
    assert_eq!(
        mapping["response_types"],
        json!(["ReportBatchItemFailures"])
    );
    assert_eq!(mapping["starting_position"], "TRIM_HORIZON");
    let queue_arn = mapping["destination"]
        .as_str()
        .unwrap_or_else(|| panic!("no on-failure destination: {mapping}"));
    assert!(
        queue_arn.starts_with("arn:aws:sqs:us-east-1:")
            && queue_arn.contains(":user-management-service-awspath-SkippedRecords-"),
        "{queue_arn}"
    );

    // Least privilege, from the deployed role: the table's three actions on the table, the
    // stream's four on the stream, and only the log groups with a wildcard.
    let roles = stack["roles"].as_object().unwrap();
    assert_eq!(roles.len(), 1, "{roles:#?}");
    let role = roles.values().next().unwrap();
    let mut grants: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for statement in role["statements"].as_array().unwrap() {
        assert_eq!(statement["effect"], "Allow", "{statement}");
        let actions: Vec<String> = statement["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect();
        let resources: Vec<String> = statement["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_owned())
            .collect();
        for resource in &resources {
            if resource.contains('*') {
                assert!(
                    resource.contains(":log-group:/aws/lambda/"),
                    "a wildcard beyond the log groups: {statement}"
                );
            }
        }
        grants.push((actions, resources));
    }
    let granted = |action: &str, resource: &str| {
        grants.iter().any(|(actions, resources)| {
            actions.iter().any(|a| a == action) && resources.iter().any(|r| r == resource)
        })
    };
    for action in [
        "dynamodb:PutItem",
        "dynamodb:GetItem",
        "dynamodb:DeleteItem",
    ] {
        assert!(
            granted(action, table_arn),
            "{action} on {table_arn}: {grants:#?}"
        );
    }
    for action in [
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:DescribeStream",
        "dynamodb:ListStreams",
    ] {
        assert!(
            granted(action, stream_arn),
            "{action} on {stream_arn}: {grants:#?}"
        );
    }
    let dynamodb_actions: BTreeSet<&str> = grants
        .iter()
        .flat_map(|(actions, _)| actions.iter().map(String::as_str))
        .filter(|a| a.starts_with("dynamodb:"))
        .collect();
    assert_eq!(
        dynamodb_actions,
        BTreeSet::from([
            "dynamodb:DeleteItem",
            "dynamodb:DescribeStream",
            "dynamodb:GetItem",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            "dynamodb:ListStreams",
            "dynamodb:PutItem",
        ]),
        "{grants:#?}"
    );
    // The on-failure destination: sending to that queue, and no other of SQS.
    assert!(granted("sqs:SendMessage", queue_arn), "{grants:#?}");
    for (actions, resources) in &grants {
        if actions.iter().any(|a| a.starts_with("sqs:")) {
            assert_eq!(resources, &[queue_arn.to_owned()], "{grants:#?}");
        }
    }
    assert!(role["attached"].as_array().unwrap().is_empty(), "{role:#}");

    let api: BTreeSet<&str> = stack["api"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    for route in ["PUT /users/{id}", "GET /users/{id}", "DELETE /users/{id}"] {
        assert!(api.contains(route), "no {route} in {api:?}");
    }
}

/// Whether the working tree's exercise turns the stream on (an author solved it, not
/// committed): its serverless.yml has a `StreamSpecification` line that is not a comment.
fn exercise_solved_in_the_working_tree() -> bool {
    std::fs::read_to_string(project::root().join("6-streams/serverless.yml"))
        .unwrap()
        .lines()
        .any(|line| line.trim_start().starts_with("StreamSpecification:"))
}

/// A stack as JSON, cut to what a failure message can show after its first sentence.
fn trimmed(stack: &Value) -> String {
    let text = format!("{stack:#}");
    match text.char_indices().nth(3000) {
        Some((at, _)) => format!("{}\n... ({} characters more)", &text[..at], text.len() - at),
        None => text,
    }
}

/// A solved exercise: its table streams, and one mapping feeds a function.
fn assert_stream_deployed(stack: &Value) {
    let table = physical(stack, "Table");
    let stream = &stack["tables"][table]["stream"];
    assert!(
        stream["StreamEnabled"] == true,
        "expected the solved exercise's table to stream; its stream is {stream}. The stack:\n{}",
        trimmed(stack)
    );
    let mappings = stack["mappings"].as_array().map_or(0, Vec::len);
    assert_eq!(
        mappings,
        1,
        "expected one event source mapping in the solved exercise's stack, found {mappings}. \
         The stack:\n{}",
        trimmed(stack)
    );
}

/// The pristine exercise: the API and its table, no stream anywhere yet.
fn assert_exercise_deployed(stack: &Value) {
    let kinds = types(stack);
    assert!(
        kinds.contains("AWS::DynamoDB::Table"),
        "expected a DynamoDB table in the exercise's stack, found none. The stack:\n{}",
        trimmed(stack)
    );
    assert!(
        !kinds.contains("AWS::Lambda::EventSourceMapping"),
        "expected no event source mapping in the pristine exercise's stack, found one (is \
         6-streams solved here? it is judged by its serverless.yml). The stack:\n{}",
        trimmed(stack)
    );
    let table = physical(stack, "Table");
    let stream = &stack["tables"][table]["stream"];
    assert!(
        stream.is_null() || stream["StreamEnabled"] == false,
        "expected no stream on the pristine exercise's table, found {stream}"
    );
    let handlers: BTreeSet<&str> = stack["functions"]
        .as_object()
        .unwrap()
        .values()
        .map(|f| f["handler"].as_str().unwrap())
        .collect();
    assert_eq!(
        handlers,
        BTreeSet::from(["users.delete", "users.get", "users.put"])
    );
    assert!(stack["mappings"].as_array().unwrap().is_empty());
}

/// The local DynamoDB that `cargo xtask test` starts.
fn dynamodb_endpoint() -> String {
    std::env::var(project::TEST_DYNAMODB_ENDPOINT).unwrap_or_else(|_| {
        panic!("this test needs the local DynamoDB that `cargo xtask test` starts: run `cargo xtask test`")
    })
}

fn start(binary: &PathBuf, handler: &str, table: &str) -> LocalFunction {
    let endpoint = dynamodb_endpoint();
    LocalFunction::start(FunctionSpec {
        binary,
        arguments: Vec::new(),
        name: "deployed",
        handler,
        region: "us-east-1",
        aws_endpoint: Some(&endpoint),
        environment: vec![("TABLE_NAME".to_owned(), table.to_owned())],
        log: project::xtask_dir()
            .join("test-logs")
            .join(format!("deployed-{}-{handler}.log", std::process::id())),
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

fn request(function: &mut LocalFunction, method: &str, body: Option<&str>) -> ProxyResponse {
    let event = rest_proxy_event(method, "/users/{id}", "/users/1", &[("id", "1")], body);
    let outcome = function
        .invoke(event.to_string().as_bytes(), Duration::from_secs(20))
        .unwrap();
    ProxyResponse::from_result(&answer(outcome)).unwrap()
}

/// The deployed zip's `bootstrap`, from the stack's bucket, run for each handler name.
fn run_the_deployed_bootstrap(account: &Account, stack: &str) {
    let dir = project::xtask_dir().join(format!("deployed-bootstrap-{}", std::process::id()));
    let fetched = account.read(&["bootstrap", stack, dir.to_str().unwrap()]);
    assert_eq!(fetched["entries"], json!(["bootstrap"]), "{fetched}");
    let bootstrap = PathBuf::from(fetched["bootstrap"].as_str().unwrap());

    let table = format!("deployed-users-{}", std::process::id());
    LocalDynamoDb::new(&dynamodb_endpoint(), "us-east-1")
        .create_users_table(&table)
        .unwrap();
    let mut put = start(&bootstrap, "users.put", &table);
    let mut get = start(&bootstrap, "users.get", &table);
    let mut delete = start(&bootstrap, "users.delete", &table);
    let saved = request(&mut put, "PUT", Some(r#"{"name": "test"}"#));
    assert_eq!((saved.status, saved.body.as_str()), (200, "Saved!"));
    let found = request(&mut get, "GET", None);
    assert_eq!(
        (found.status, found.body.as_str()),
        (200, r#"{"id":"1","name":"test"}"#)
    );
    let bad = request(&mut put, "PUT", Some("not json"));
    assert_eq!(bad.status, 400, "{}", bad.body);
    let deleted = request(&mut delete, "DELETE", None);
    assert_eq!(
        (deleted.status, deleted.body.as_str()),
        (200, "Deleted user")
    );

    // The README's records (step 5) and a record that is not a user.
    let mut stream = start(&bootstrap, "stream.handler", &table);
    for (fixture, logged) in [
        ("insert.json", r#"value is now {"id":"1","name":"test"}"#),
        ("modify.json", r#"value is now {"id":"1","name":"test2"}"#),
        ("remove.json", r#"value was {"id":"1","name":"test2"}"#),
    ] {
        let event =
            std::fs::read(project::root().join("7-finish/src/fixtures").join(fixture)).unwrap();
        let response = answer(stream.invoke(&event, Duration::from_secs(20)).unwrap());
        assert_eq!(response, json!({"batchItemFailures": []}), "{fixture}");
        assert!(
            stream.log_text().contains(logged),
            "{fixture}: {}",
            stream.log_text()
        );
    }
    let batch =
        std::fs::read(project::root().join("7-finish/src/fixtures/mixed_batch.json")).unwrap();
    let response = answer(stream.invoke(&batch, Duration::from_secs(20)).unwrap());
    assert_eq!(
        response,
        json!({"batchItemFailures": [{"itemIdentifier": "200"}]})
    );
    let _ = std::fs::remove_dir_all(&dir);
}
