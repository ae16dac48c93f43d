//! `cargo xtask check` with everything: builds, the handler run through the Runtime API, the
//! step's tests. On the workspace's own steps, and on one learner's solution written
//! differently from the reference (a copy of the step in a temporary directory).
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use xtask::project;

fn xtask(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Every file under `dir` and its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn the_pristine_exercise_fails_on_its_three_items_and_stays_untouched() {
    let step = project::root().join("6-streams");
    let before = snapshot(&step);
    // No STEP argument: the step the shell is in.
    let output = xtask(&["check"], &step);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.starts_with("6-streams, checked against 7-finish:\n"),
        "{text}"
    );
    let marks: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  ✓") || l.starts_with("  ✗"))
        .collect();
    assert_eq!(
        marks,
        [
            "  ✓ serverless.yml parses",
            "  ✗ the table has a stream with new and old images",
            "  ✗ a function runs stream.handler on the table's stream",
            "  ✓ the step builds",
            "  ✗ the stream handler logs each change as plain values",
            "  ✓ the step's tests pass",
        ]
    );
    assert!(text.contains(
        "      the log shows the INSERT record's new image only in DynamoDB's typed form ({\"S\": ...}): \
         turn it into a plain value with serde_dynamo::from_item and log that (README, \"Handle the \
         records in Rust\")\n"
    ), "{text}");
    assert!(text.contains("3 of 6 still to do."), "{text}");
    assert_eq!(
        snapshot(&step),
        before,
        "check wrote into the step directory"
    );
}

#[test]
fn every_solution_passes_and_every_exercise_fails_where_it_should() {
    let output = xtask(&["check", "--all"], project::root());
    let text = stdout(&output);
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains("  ✓ 6-streams fails on exactly stream, function, handler, as it should\n"),
        "{text}"
    );
    assert!(text.contains("  ✓ 7-finish passes every item\n"), "{text}");
}

#[test]
fn an_unknown_step_lists_the_steps() {
    let output = xtask(&["check", "8-nothing"], project::root());
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim_end(),
        "error: there is no step \"8-nothing\"; the steps are: 6-streams, 7-finish"
    );
}

/// A learner's own solution: `serde_json::Value` instead of `User`, pretty-printed with
/// `println!`, REMOVE handled, no batch failures. It must pass like the reference.
const LEARNER_STREAM_RS: &str = r#"
use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use lambda_runtime::{Error, LambdaEvent};

pub async fn handler(event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Error> {
    for record in event.payload.records {
        let image = if record.event_name == "REMOVE" {
            record.change.old_image
        } else {
            record.change.new_image
        };
        let value: serde_json::Value = serde_dynamo::from_item(image)?;
        println!("{} value is now {}", record.event_name, serde_json::to_string_pretty(&value)?);
    }
    Ok(DynamoDbEventResponse::default())
}
"#;

/// The exercise's manifest as a crate of its own (outside the workspace), with the
/// workspace's pinned versions, so the shared target directory's builds serve it.
fn standalone_manifest(root: &Path) -> String {
    let workspace = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let exercise = std::fs::read_to_string(root.join("6-streams/Cargo.toml")).unwrap();
    let section = |text: &str, name: &str| -> Vec<String> {
        text.lines()
            .skip_while(|l| *l != name)
            .skip(1)
            .take_while(|l| !l.starts_with('['))
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect()
    };
    let pinned = section(&workspace, "[workspace.dependencies]");
    let dependencies: Vec<String> = section(&exercise, "[dependencies]")
        .iter()
        .map(|line| {
            let name = line.trim_end_matches(".workspace = true");
            let line = pinned
                .iter()
                .find(|p| p.starts_with(&format!("{name} =")))
                .unwrap();
            line.replace(
                "path = \"shared\"",
                &format!("path = {:?}", root.join("shared")),
            )
        })
        .collect();
    format!(
        "[workspace]\n\n[package]\nname = \"streams-attempt\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [dependencies]\n{}\n",
        dependencies.join("\n")
    )
}

#[test]
fn a_learner_solution_in_another_style_passes_everything() {
    let root = project::root();
    let attempt = std::env::temp_dir().join(format!("xtask-attempt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&attempt);
    std::fs::create_dir_all(attempt.join("src")).unwrap();
    std::fs::write(attempt.join("Cargo.toml"), standalone_manifest(root)).unwrap();
    std::fs::copy(root.join("Cargo.lock"), attempt.join("Cargo.lock")).unwrap();
    std::fs::copy(
        root.join("7-finish/serverless.yml"),
        attempt.join("serverless.yml"),
    )
    .unwrap();
    std::fs::copy(
        root.join("6-streams/src/main.rs"),
        attempt.join("src/main.rs"),
    )
    .unwrap();
    std::fs::write(attempt.join("src/stream.rs"), LEARNER_STREAM_RS).unwrap();

    let output = xtask(&["check", "--dir", attempt.to_str().unwrap()], root);
    let text = stdout(&output);
    let _ = std::fs::remove_dir_all(&attempt);
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains("  ✓ the stream handler logs each change as plain values\n"),
        "{text}"
    );
    assert!(text.contains("All done"), "{text}");
}
