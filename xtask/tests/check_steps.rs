//! `cargo xtask check` with everything: builds, the handler run through the Runtime API, the
//! step's tests. On the workspace's own steps, and on one learner's solution written
//! differently from the reference (a copy of the step in a temporary directory).
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

mod support;

use support::{snapshot, stdout, xtask, Attempt};
use xtask::project;

#[test]
fn the_pristine_exercise_fails_on_its_four_items_without_showing_the_solution() {
    // The exercise as committed: the working tree's may be done already.
    let exercise = Attempt::committed_exercise();
    let (success, text) = exercise.check();
    assert!(!success, "{text}");
    assert!(
        text.starts_with(&format!(
            "{}, checked against 7-finish:\n",
            exercise.dir.file_name().unwrap().to_string_lossy()
        )),
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
            "  ✓ the step's code is formatted as `cargo fmt` formats it",
        ]
    );
    assert!(text.contains(
        "      the log shows the INSERT record's new image only in DynamoDB's typed form ({\"S\": ...}): \
         turn it into a plain value with serde_dynamo::from_item and log that (README, \"Handle the \
         records in Rust\")\n"
    ), "{text}");
    // The README's next section is named: the first ✗ in the README's order.
    assert!(
        text.contains(
            "5 of 8 still to do. Fix the first ✗ (README section 1, \"Turn on the stream\")"
        ),
        "{text}"
    );
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
}

#[test]
fn check_without_a_step_checks_the_step_the_shell_is_in() {
    let step = project::root().join("7-finish");
    let before = snapshot(&step);
    let output = xtask(&["check", "--only", "config"], &step);
    assert!(
        stdout(&output).starts_with("7-finish:\n"),
        "{}",
        stdout(&output)
    );
    assert!(
        snapshot(&step) == before,
        "check wrote into the step directory"
    );
}

#[test]
fn the_solution_is_shown_on_request() {
    let exercise = Attempt::committed_exercise();
    let output = xtask(
        &[
            "check",
            "--dir",
            exercise.dir.to_str().unwrap(),
            "--only",
            "config",
            "--solution",
        ],
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
fn a_plain_copy_of_a_step_is_checked_as_the_step() {
    // Its Cargo.toml inherits from a workspace it is no longer in: cargo alone refuses it.
    let copy = Attempt::plain_copy("7-finish");
    let before = snapshot(&copy.dir);
    let (success, text) = copy.check();
    assert!(success, "{text}");
    assert!(text.contains("All done"), "{text}");
    assert_eq!(
        snapshot(&copy.dir),
        before,
        "checking the copy wrote into it"
    );
}

#[test]
fn every_solution_passes_and_every_exercise_fails_where_it_should() {
    let output = xtask(&["check", "--all"], project::root());
    let text = stdout(&output);
    assert!(text.contains("  ✓ 7-finish passes every item\n"), "{text}");
    // `--all` checks the working tree, for authors. A learner who has done the exercise
    // gets the same verdict on the committed exercise from the test above.
    if !exercise_is_as_committed() {
        eprintln!("6-streams has your changes: --all's verdict on it is not asserted");
        return;
    }
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains(
            "  ✓ 6-streams fails on exactly stream, function, handler, failures, destination, as it \
             should\n"
        ),
        "{text}"
    );
}

/// Whether the working tree's exercise is the committed one.
fn exercise_is_as_committed() -> bool {
    [
        "serverless.yml",
        "src/main.rs",
        "src/stream.rs",
        "Cargo.toml",
    ]
    .iter()
    .all(|file| {
        std::fs::read_to_string(project::root().join("6-streams").join(file)).ok()
            == Some(support::committed(&format!("6-streams/{file}")))
    })
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

/// From a learner's try: after sections 1 and 2 (no destination yet, the stub handler), the
/// next thing to do is the README's next section with a ✗, the handler (6), not the on-failure
/// destination (8).
#[test]
fn the_next_section_named_is_the_readmes_next() {
    let yml = support::committed("7-finish/serverless.yml");
    let without_destination = yml.replacen(
        "          destinations:\n            onFailure:\n              arn: !GetAtt SkippedRecords.Arn\n              type: sqs\n",
        "",
        1,
    );
    assert_ne!(yml, without_destination);
    let attempt = Attempt::with_files(
        "next-section",
        &without_destination,
        &support::committed("6-streams/src/main.rs"),
        &support::committed("6-streams/src/stream.rs"),
    );
    let (success, text) = attempt.check();
    assert!(!success, "{text}");
    assert!(
        text.contains("Fix the first ✗ (README section 6, \"Handle the records in Rust\")"),
        "{text}"
    );
    let order: Vec<&str> = text
        .lines()
        .filter(|line| {
            line.starts_with("  ✓") || line.starts_with("  ✗") || line.starts_with("  –")
        })
        .collect();
    let position = |title: &str| order.iter().position(|line| line.contains(title)).unwrap();
    assert!(
        position("the stream handler logs each change") < position("on-failure destination"),
        "{order:?}"
    );
}
