//! Nothing can stop the stream's position, and nothing moves it past a record that is not
//! kept: reads are bounded as DynamoDB Streams bounds them (1 MB), and records given up on
//! that the on-failure destination cannot take stop the stream where it is, said, to be
//! delivered again at the next start.
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

mod support;

use std::time::Duration;

use support::deployment::Deployment;
use support::{committed, Attempt};
use xtask::local_state as state;
use xtask::tools::local_dynamodb::LocalDynamoDb;

fn solution_copy(name: &str, serverless_yml: &str) -> Attempt {
    Attempt::with_files(
        name,
        serverless_yml,
        &committed("6-streams/src/main.rs"),
        &committed("7-finish/src/stream.rs"),
    )
}

/// Before: 12 MB of unread records made every GetRecords answer over the 10 MB xtask reads,
/// and the stream never moved again, across restarts.
#[test]
fn a_backlog_of_large_records_is_read_a_megabyte_at_a_time() {
    let yml = committed("7-finish/serverless.yml");
    let anchor = "          functionResponseType: ReportBatchItemFailures\n";
    let off = yml.replacen(anchor, &format!("{anchor}          enabled: false\n"), 1);
    assert_ne!(
        off, yml,
        "7-finish's stream event has a functionResponseType line"
    );
    let attempt = solution_copy("hostile-backlog", &off);
    let mut first = Deployment::start_dir(&attempt.dir, &["--fresh"]);
    let running = state::running(&first.step).unwrap();
    let dynamodb = LocalDynamoDb::new(&running.dynamodb_endpoint, &running.region);
    let name = "n".repeat(120 * 1024);
    for n in 0..100 {
        dynamodb
            .call(
                "DynamoDB_20120810.PutItem",
                &serde_json::json!({"TableName": running.table,
                    "Item": {"id": {"S": format!("big-{n}")}, "name": {"S": name}}}),
            )
            .unwrap();
    }
    first.stop();
    drop(first);
    std::fs::write(attempt.dir.join("serverless.yml"), &yml).unwrap();
    let mut second = Deployment::start_dir(&attempt.dir, &[]);
    second.wait_for_line(
        |line| line.contains(r#"INSERT {"id":"big-99"}"#),
        Duration::from_secs(90),
    );
    second.stop();
}

/// Before: when the on-failure message could not be written (a full disk), the stream's place
/// moved past the record all the same: `failures` would never list it.
#[test]
fn records_that_cannot_be_kept_stop_the_stream_before_it_moves_past_them() {
    let attempt = solution_copy("hostile-not-kept", &committed("7-finish/serverless.yml"));
    let mut first = Deployment::start_dir(&attempt.dir, &["--fresh"]);
    // The destination's directory cannot be made: a file is where it goes.
    let queues = state::dir(&first.step).join("queues");
    let _ = std::fs::remove_dir_all(&queues);
    std::fs::write(&queues, "in the way").unwrap();
    let copy = attempt.dir.to_str().unwrap().to_owned();
    let running = state::running(&first.step).unwrap();
    LocalDynamoDb::new(&running.dynamodb_endpoint, &running.region)
        .call(
            "DynamoDB_20120810.PutItem",
            &serde_json::json!({"TableName": running.table, "Item": {"id": {"S": "bad-1"}}}),
        )
        .unwrap();
    first.wait_for_line(
        |line| line.contains("the stream stops here for function stream"),
        Duration::from_secs(60),
    );
    // Nothing after it is delivered.
    assert_eq!(
        first
            .request("PUT", "/users/later", Some(r#"{"name": "later"}"#))
            .0,
        200
    );
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        !first.logs("stream").contains(r#"INSERT {"id":"later"}"#),
        "{}",
        first.logs("stream")
    );
    first.stop();
    drop(first);

    // Room made: the next start delivers the record again, keeps it, and goes on.
    std::fs::remove_file(&queues).unwrap();
    let mut second = Deployment::start_dir(&attempt.dir, &[]);
    second.wait_for_logs(
        "stream",
        &[
            "sent to the on-failure destination (queue SkippedRecords)",
            r#"INSERT {"id":"later"}"#,
        ],
    );
    let listed = support::xtask_succeeds(&["failures", "--dir", &copy], xtask::project::root());
    assert!(listed.contains(r#"INSERT {"id":"bad-1"}"#), "{listed}");
    second.stop();
}
