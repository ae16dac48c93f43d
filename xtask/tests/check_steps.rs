//! `cargo xtask check` with everything: builds, the handler run through the Runtime API, the
//! step's tests. On the workspace's own steps, and on one learner's solution written
//! differently from the reference (a copy of the step in a temporary directory).
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use support::{stdout, xtask};
use xtask::project;

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
fn the_pristine_exercise_fails_on_its_four_items_without_showing_the_solution() {
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
            "  ✗ the stream handler reports the records it cannot handle",
            "  ✓ the step's tests pass",
        ]
    );
    assert!(text.contains(
        "      the log shows the INSERT record's new image only in DynamoDB's typed form ({\"S\": ...}): \
         turn it into a plain value with serde_dynamo::from_item and log that (README, \"Handle the \
         records in Rust\")\n"
    ), "{text}");
    assert!(text.contains("4 of 7 still to do."), "{text}");
    // Hints first: nothing of 7-finish until the learner asks for it.
    let solution =
        std::fs::read_to_string(project::root().join("7-finish/serverless.yml")).unwrap();
    for line in [
        "StreamViewType: NEW_AND_OLD_IMAGES",
        "arn: !GetAtt Table.StreamArn",
        "7-finish has",
    ] {
        assert!(!text.contains(line), "{line:?} in\n{text}");
        assert!(solution.contains(line) || line.ends_with("has"));
    }
    assert!(text.contains("`cargo xtask check --solution`"), "{text}");
    assert_eq!(
        snapshot(&step),
        before,
        "check wrote into the step directory"
    );
}

#[test]
fn the_solution_is_shown_on_request() {
    let output = xtask(
        &["check", "6-streams", "--only", "config", "--solution"],
        project::root(),
    );
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("      the solution (7-finish) has:\n"),
        "{text}"
    );
    assert!(
        text.contains("+          StreamViewType: NEW_AND_OLD_IMAGES"),
        "{text}"
    );
    assert!(
        text.contains("+          arn: !GetAtt Table.StreamArn"),
        "{text}"
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
        text.contains(
            "  ✓ 6-streams fails on exactly stream, function, handler, failures, as it should\n"
        ),
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
