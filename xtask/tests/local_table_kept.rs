//! A learner's table outlives `deploy --local`: Ctrl-C, or even a SIGKILL of xtask, and the
//! next start finds the users again, and its stream resumes where the last run's stream
//! function stopped, as an event source mapping keeps its checkpoint.
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::deployment::Deployment;
use support::{committed, Attempt};
use xtask::local_state as state;

fn printed(deployment: &Deployment) -> String {
    deployment.printed.join("\n")
}

/// Across Ctrl-C: the users are there, and no record comes twice or goes missing.
#[test]
fn users_survive_a_restart_and_the_stream_resumes_where_it_stopped() {
    let mut first = Deployment::start("7-finish");
    assert!(
        printed(&first).contains("new table (--fresh"),
        "{}",
        printed(&first)
    );
    for id in ["kept-1", "kept-2"] {
        let body = format!(r#"{{"name": "{id}"}}"#);
        assert_eq!(
            first.request("PUT", &format!("/users/{id}"), Some(&body)).0,
            200
        );
    }
    first.wait_for_logs("stream", &[r#"INSERT {"id":"kept-2"}"#]);
    first.stop();
    drop(first); // one deployment of a step at a time

    let mut second = Deployment::start_again("7-finish");
    let summary = printed(&second);
    assert!(summary.contains("table kept: 2 items"), "{summary}");
    assert!(
        summary.contains("stream: resumes after sequence "),
        "{summary}"
    );
    assert_eq!(
        second.request("GET", "/users/kept-1", None),
        (200, r#"{"id":"kept-1","name":"kept-1"}"#.to_owned())
    );
    assert_eq!(
        second
            .request("PUT", "/users/kept-3", Some(r#"{"name": "after"}"#))
            .0,
        200
    );
    let log = second.wait_for_logs("stream", &[r#"INSERT {"id":"kept-3"}"#]);
    // Give a redelivery of the first run's records the time it would need to show.
    std::thread::sleep(Duration::from_millis(500));
    let log = format!("{log}{}", second.logs("stream"));
    assert!(
        !log.contains(r#"{"id":"kept-1"}"#),
        "delivered again:\n{log}"
    );
    assert!(
        !log.contains(r#"{"id":"kept-2"}"#),
        "delivered again:\n{log}"
    );
    second.stop();
    let log = std::fs::read_to_string(state::function_log("7-finish", "stream")).unwrap();
    assert_eq!(log.matches(r#"INSERT {"id":"kept-3"}"#).count(), 1, "{log}");
}

/// Across a SIGKILL of xtask, with a batch in flight: that batch comes again (an event source
/// mapping delivers at least once), the start-up line says so, and nothing is lost.
#[test]
fn a_batch_in_flight_at_a_sigkill_comes_again_and_is_said() {
    let mut first = Deployment::start("7-finish");
    let running = state::running("7-finish").unwrap();
    let stream_function = *running.children.last().unwrap();
    assert!(Command::new("kill")
        .args(["-STOP", &stream_function.to_string()])
        .status()
        .unwrap()
        .success());
    assert_eq!(
        first
            .request("PUT", "/users/in-flight", Some(r#"{"name": "flying"}"#))
            .0,
        200
    );
    let checkpoint = state::dir("7-finish").join("stream.checkpoint.json");
    let asked = Instant::now();
    while !std::fs::read_to_string(&checkpoint)
        .unwrap_or_default()
        .contains(r#""in_flight":{"#)
    {
        assert!(
            asked.elapsed() < Duration::from_secs(10),
            "no batch went out"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    first.process.kill().unwrap();
    first.process.wait().unwrap();
    drop(first);

    let mut second = Deployment::start_again("7-finish");
    let summary = printed(&second);
    assert!(summary.contains("table kept: 1 item"), "{summary}");
    assert!(
        summary.contains(
            "was being delivered: it comes again (an event source mapping delivers at least once)"
        ),
        "{summary}"
    );
    second.wait_for_logs("stream", &[r#"INSERT {"id":"in-flight"}"#]);
    second.stop();
    let log = std::fs::read_to_string(state::function_log("7-finish", "stream")).unwrap();
    assert_eq!(
        log.matches(r#"INSERT {"id":"in-flight"}"#).count(),
        1,
        "{log}"
    );
}

/// `--fresh` starts with an empty table, and says so.
#[test]
fn fresh_starts_with_an_empty_table() {
    let mut first = Deployment::start("7-finish");
    first.request("PUT", "/users/old", Some(r#"{"name": "old"}"#));
    first.stop();
    drop(first); // one deployment of a step at a time
    let mut second = Deployment::start("7-finish");
    assert!(
        printed(&second).contains("new table (--fresh: the last run's table is gone)"),
        "{}",
        printed(&second)
    );
    assert_eq!(second.request("GET", "/users/old", None).0, 404);
    second.stop();
}

/// Another key schema in serverless.yml is another table: a new one, the old one's file kept
/// aside and named.
#[test]
fn a_table_definition_change_starts_a_new_table_and_keeps_the_old_one() {
    let attempt = Attempt::with_files(
        "table-change",
        &committed("7-finish/serverless.yml"),
        &committed("6-streams/src/main.rs"),
        &committed("7-finish/src/stream.rs"),
    );
    let mut first = Deployment::start_dir(&attempt.dir, &["--fresh"]);
    assert_eq!(
        first
            .request("PUT", "/users/1", Some(r#"{"name": "one"}"#))
            .0,
        200
    );
    first.stop();
    drop(first); // one deployment of a step at a time
    let yml = std::fs::read_to_string(attempt.dir.join("serverless.yml")).unwrap();
    let changed = yml.replace("BillingMode: PAY_PER_REQUEST", "BillingMode: PROVISIONED\n        ProvisionedThroughput:\n          ReadCapacityUnits: 1\n          WriteCapacityUnits: 1");
    assert_ne!(yml, changed);
    std::fs::write(attempt.dir.join("serverless.yml"), changed).unwrap();

    let mut second = Deployment::start_dir(&attempt.dir, &[]);
    let summary = printed(&second);
    assert!(
        summary.contains("new table: serverless.yml describes another table than the last run's"),
        "{summary}"
    );
    let kept = std::fs::read_dir(state::dir(&second.step).join("kept"))
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|e| e == "sqlite"))
        .unwrap();
    assert!(summary.contains(&kept.display().to_string()), "{summary}");
    assert_eq!(second.request("GET", "/users/1", None).0, 404);
    second.stop();
}
