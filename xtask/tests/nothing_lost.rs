//! Nothing lost: what the stream's retries give up on is sent to the stream event's
//! on-failure destination as Lambda sends it (AWS's "services-dynamodb-errors"), `cargo xtask
//! failures` lists it with its records read back from the stream, and `--replay` sends them
//! to the fixed handler, across a restart too. On a copy of the solution, with its handler
//! broken for a moment, as the README's last section has the learner do.
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

mod support;

use std::process::Output;
use std::time::Duration;

use serde_json::Value;
use support::deployment::Deployment;
use support::{committed, Attempt};
use xtask::lambda::destination::{
    payload_records, DestinationKind, DestinationName, LocalDestination,
};
use xtask::local_state as state;
use xtask::project;

const BROKEN: &str = "    return Err(\"not today\".into());\n";

/// The solution's handler without its tests (they read fixtures a copy has not), broken or
/// not.
fn handler(broken: bool) -> String {
    let solution = solution("src/stream.rs");
    let code = solution.split("#[cfg(test)]").next().unwrap().trim_end();
    let code = format!("#![allow(unreachable_code)]\n{code}\n");
    match broken {
        true => {
            let start = code.find("pub async fn handler(").unwrap();
            let body = start + code[start..].find("{\n").unwrap() + 2;
            format!("{}{BROKEN}{}", &code[..body], &code[body..])
        }
        false => code,
    }
}

/// The solution's file as it is here (its latest version, committed or not).
fn solution(file: &str) -> String {
    std::fs::read_to_string(project::root().join("7-finish").join(file)).unwrap()
}

fn failures(attempt: &Attempt, more: &[&str]) -> (Output, String) {
    let mut args = vec!["failures", "--dir", attempt.dir.to_str().unwrap()];
    args.extend_from_slice(more);
    let output = support::xtask(&args, project::root());
    let text = format!(
        "{}{}",
        support::stdout(&output),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, text)
}

fn queue_of(deployment: &Deployment) -> LocalDestination {
    LocalDestination::in_state(
        &state::dir(&deployment.step),
        &DestinationName::queue("SkippedRecords"),
    )
}

#[test]
fn a_record_given_up_on_is_kept_listed_and_replayed_once_the_handler_is_fixed() {
    let attempt = Attempt::with_files(
        "nothing-lost",
        &solution("serverless.yml"),
        &committed("6-streams/src/main.rs"),
        &handler(true),
    );
    let mut deployment = Deployment::start_watching(&attempt.dir);
    let (status, _) = deployment.request("PUT", "/users/3", Some(r#"{"name": "kept"}"#));
    assert_eq!(status, 200);
    let log = deployment.wait_for_logs(
        "stream",
        &["-> skipped after 3 retries (maximumRetryAttempts): sent to the on-failure destination (queue SkippedRecords)"],
    );
    assert!(log.contains("attempt 4: failed (not today)"), "{log}");

    // The message, as Lambda writes it.
    let messages = queue_of(&deployment).messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let body = &messages[0].body;
    eprintln!("the message: {body:#}");
    assert_eq!(body["version"], "1.0");
    assert_eq!(
        body["requestContext"]["condition"],
        "RetryAttemptsExhausted"
    );
    assert_eq!(body["requestContext"]["approximateInvokeCount"], 4);
    assert!(body["requestContext"]["functionArn"]
        .as_str()
        .unwrap()
        .ends_with(":function:user-management-service-local-stream"));
    assert_eq!(
        body["responseContext"],
        serde_json::json!({"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"})
    );
    let info = &body["DDBStreamBatchInfo"];
    assert_eq!(info["batchSize"], 1);
    assert_eq!(info["startSequenceNumber"], info["endSequenceNumber"]);
    assert!(
        info["streamArn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:dynamodb:us-east-1:000000000000:table/user-management-service-local-Table/stream/"),
        "{info}"
    );
    assert!(info["approximateArrivalOfFirstRecord"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    assert!(body.get("Records").is_none() && info.get("Records").is_none());

    // Listed, with the record read back from the stream.
    let (output, text) = failures(&attempt, &[]);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("queue SkippedRecords of "), "{text}");
    assert!(
        text.contains("RetryAttemptsExhausted after 4 invocations: 1 record, sequence "),
        "{text}"
    );
    assert!(
        text.contains(r#"INSERT {"id":"3"} new: {"id":"3","name":"kept"}"#),
        "{text}"
    );

    // A replay before the fix fails again, and keeps the message.
    let (output, text) = failures(&attempt, &["--replay"]);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("1. still failing (not today): kept in the queue"),
        "{text}"
    );
    assert_eq!(queue_of(&deployment).messages().len(), 1);
    // It went through the running deployment: its log (so its terminal and console) says so.
    deployment.wait_for_logs(
        "stream",
        &["from queue SkippedRecords: still failing (not today): kept in the queue"],
    );

    // A restart between the failure and the replay: the queue keeps its message.
    deployment.stop();
    let step = deployment.step.clone();
    drop(deployment);
    assert_eq!(
        LocalDestination::in_state(
            &state::dir(&step),
            &DestinationName::queue("SkippedRecords")
        )
        .messages()
        .len(),
        1
    );

    // The fix, and the replay (no deployment runs: the table's file is read by failures).
    std::fs::write(attempt.dir.join("src/stream.rs"), handler(false)).unwrap();
    let (output, text) = failures(&attempt, &["--replay"]);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains(r#"INSERT {"id":"3"}: value is now {"id":"3","name":"kept"}"#),
        "{text}"
    );
    assert!(
        text.contains("1. handled: removed from the queue"),
        "{text}"
    );
    assert!(
        text.contains("Every record was handled: the queue is empty."),
        "{text}"
    );

    let again = Deployment::start_dir(&attempt.dir, &[]);
    assert!(
        again.printed.iter().any(|line| line.ends_with(
            "stream: what its retries give up on goes to queue SkippedRecords (0 kept: cargo \
             xtask failures)"
        )),
        "{}",
        again.printed.join("\n")
    );
    let (_, text) = failures(&attempt, &[]);
    assert!(text.contains("0 messages"), "{text}");
}

/// AWS: a record older than `maximumRecordAgeInSeconds` is given up before its retries run
/// out, with the condition RecordAgeExceeded. AWS's smallest age is 60 s (a smaller one is
/// refused at start), so this test takes a minute.
#[test]
fn a_record_too_old_is_sent_with_record_age_exceeded() {
    let yml = solution("serverless.yml").replace(
        "maximumRetryAttempts: 3",
        "maximumRetryAttempts: 1000\n          maximumRecordAgeInSeconds: 60",
    );
    let attempt = Attempt::with_files(
        "too-old",
        &yml,
        &committed("6-streams/src/main.rs"),
        &handler(true),
    );
    let mut deployment = Deployment::start_dir(&attempt.dir, &["--fresh"]);
    deployment.request("PUT", "/users/old", Some(r#"{"name": "old"}"#));
    deployment.wait_for_logs_within(
        "stream",
        &["older than maximumRecordAgeInSeconds (60 s): sent to the on-failure destination (queue SkippedRecords)"],
        Duration::from_secs(90),
    );
    let messages = queue_of(&deployment).messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let body: &Value = &messages[0].body;
    eprintln!("the message: {body:#}");
    assert_eq!(body["requestContext"]["condition"], "RecordAgeExceeded");
    assert_eq!(body["DDBStreamBatchInfo"]["batchSize"], 1);
    std::thread::sleep(Duration::from_millis(100));
    deployment.stop();
}

/// A replay while the deployment runs goes through it: once the fix is saved (and built by
/// `--watch`), its terminal shows the record handled and the replay's line; the message leaves
/// the queue.
#[test]
fn a_replay_goes_through_the_running_deployment() {
    let attempt = Attempt::with_files(
        "replay-running",
        &solution("serverless.yml"),
        &committed("6-streams/src/main.rs"),
        &handler(true),
    );
    let mut deployment = Deployment::start_watching(&attempt.dir);
    let (status, _) = deployment.request("PUT", "/users/7", Some(r#"{"name": "seven"}"#));
    assert_eq!(status, 200);
    deployment.wait_for_logs("stream", &["sent to the on-failure destination"]);
    std::fs::write(attempt.dir.join("src/stream.rs"), handler(false)).unwrap();
    deployment.wait_for_line(
        |line| line.starts_with("watch: built in"),
        Duration::from_secs(300),
    );
    let (output, text) = failures(&attempt, &["--replay"]);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("through the running deployment"), "{text}");
    assert!(
        text.contains("1. handled: removed from the queue"),
        "{text}"
    );
    deployment.wait_for_line(
        |line| line.contains(r#"INSERT {"id":"7"}: value is now {"id":"7","name":"seven"}"#),
        Duration::from_secs(10),
    );
    deployment.wait_for_line(
        |line| line.contains("from queue SkippedRecords: handled -> removed from the queue"),
        Duration::from_secs(10),
    );
    assert!(queue_of(&deployment).messages().is_empty());
    deployment.stop();
}

/// Lambda API reference, OnFailure ("an Amazon SNS topic, Amazon SQS queue, or Amazon S3
/// bucket"); Lambda developer guide, "Retain discarded records for a DynamoDB event source":
/// a topic gets the same message as a queue; an S3 object has the whole invocation with it
/// (`payload`), under `aws/lambda/<mapping>/<shard>/YYYY/MM/DD/...`, so its records replay
/// even once the stream has lost them (here: a fresh table, a new stream).
#[test]
fn a_topic_or_a_bucket_keeps_what_is_given_up_and_failures_replays_it() {
    let queue = "              arn: !GetAtt SkippedRecords.Arn\n              type: sqs\n";
    let yml = solution("serverless.yml");
    assert!(
        yml.contains(queue),
        "7-finish's destination changed: update this test"
    );
    let topic = yml.replace(
        queue,
        "              arn: !Ref Skipped\n              type: sns\n",
    ) + "    Skipped:\n      Type: AWS::SNS::Topic\n";
    let bucket = yml.replace(queue, "              arn: arn:aws:s3:::skipped-records\n");
    for (name, yml, kind, kept) in [
        ("kept-topic", topic, DestinationKind::Topic, "Skipped"),
        (
            "kept-bucket",
            bucket,
            DestinationKind::Bucket,
            "skipped-records",
        ),
    ] {
        let destination = DestinationName {
            kind,
            name: kept.to_owned(),
        };
        let attempt = Attempt::with_files(
            name,
            &yml,
            &committed("6-streams/src/main.rs"),
            &handler(true),
        );
        let mut deployment = Deployment::start_dir(&attempt.dir, &["--fresh"]);
        if kind == DestinationKind::Bucket {
            assert!(
                deployment.printed.iter().any(|line| line
                    .contains("on AWS its role needs s3:PutObject and s3:ListBucket on it")),
                "{}",
                deployment.printed.join("\n")
            );
        }
        deployment.request("PUT", "/users/k-1", Some(r#"{"name": "kept"}"#));
        deployment.wait_for_logs(
            "stream",
            &[&format!(
                "-> skipped after 3 retries (maximumRetryAttempts): sent to the on-failure \
                 destination ({destination})"
            )],
        );
        let step = deployment.step.clone();
        let messages = LocalDestination::in_state(&state::dir(&step), &destination).messages();
        assert_eq!(messages.len(), 1, "{messages:?}");
        let body = &messages[0].body;
        assert_eq!(
            body["requestContext"]["condition"],
            "RetryAttemptsExhausted"
        );
        assert_eq!(body["DDBStreamBatchInfo"]["batchSize"], 1);
        if kind == DestinationKind::Bucket {
            assert!(
                messages[0].id.starts_with("aws/lambda/"),
                "{}",
                messages[0].id
            );
            let records = payload_records(body).unwrap();
            assert_eq!(records.len(), 1, "{body}");
            assert_eq!(records[0]["dynamodb"]["Keys"]["id"]["S"], "k-1");
        }
        deployment.stop();
        drop(deployment);

        let (output, text) = failures(&attempt, &[]);
        assert!(output.status.success(), "{text}");
        let item = if kind == DestinationKind::Bucket {
            "object"
        } else {
            "notification"
        };
        assert!(text.contains(&format!("{destination} of ")), "{text}");
        assert!(text.contains(&format!(": 1 {item}")), "{text}");
        assert!(
            text.contains(r#"INSERT {"id":"k-1"} new: {"id":"k-1","name":"kept"}"#),
            "{text}"
        );

        if kind == DestinationKind::Bucket {
            // A fresh table has a new stream: the record is only in the object now.
            Deployment::start_dir(&attempt.dir, &["--fresh"]).stop();
        }
        std::fs::write(attempt.dir.join("src/stream.rs"), handler(false)).unwrap();
        let (output, text) = failures(&attempt, &["--replay"]);
        assert!(output.status.success(), "{text}");
        assert!(
            text.contains(&format!("1. handled: removed from the {}", kind.noun())),
            "{text}"
        );
        assert!(LocalDestination::in_state(&state::dir(&step), &destination)
            .messages()
            .is_empty());
    }
}

/// Lambda's retries belong to the mapping, not to one run of it: a restart in the middle of a
/// record's retries goes on counting them. Before, a learner who restarted `deploy --local`
/// saw a record tried 6 times and told "skipped after 3 retries".
#[test]
fn a_restart_during_the_retries_goes_on_counting_them() {
    let yml =
        solution("serverless.yml").replace("maximumRetryAttempts: 3", "maximumRetryAttempts: 8");
    let attempt = Attempt::with_files(
        "retries-kept",
        &yml,
        &committed("6-streams/src/main.rs"),
        &handler(true),
    );
    let mut deployment = Deployment::start_dir(&attempt.dir, &["--fresh"]);
    deployment.request("PUT", "/users/1", Some(r#"{"name": "again"}"#));
    deployment.wait_for_logs("stream", &["attempt 2: failed (not today) -> retry 2"]);
    deployment.stop();
    drop(deployment); // its hold on the step, which the next run takes

    let mut again = Deployment::start_dir(&attempt.dir, &[]);
    // A new run's log starts empty: its first attempt goes on from the last run's.
    let log = again.wait_for_logs_within(
        "stream",
        &["attempt 9: failed (not today) -> skipped after 8 retries"],
        Duration::from_secs(30),
    );
    again.stop();
    let first = log
        .lines()
        .find_map(|line| line.split_once("attempt ")?.1.split(':').next())
        .and_then(|n| n.parse::<u32>().ok());
    assert!(first.is_some_and(|n| n >= 3), "{log}");
    let attempts = log.matches(": failed (not today)").count() as u32;
    assert_eq!(first.map(|n| n + attempts - 1), Some(9), "{log}");
}
