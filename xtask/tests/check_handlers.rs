//! `cargo xtask check` on learners' stream handlers: each mistake the step's two lessons warn
//! of gets ✗ with its own hint, and correct solutions written in other styles pass. Each
//! attempt is a crate outside the workspace, built and run for real (`check --dir`).
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

mod support;

use support::Attempt;

const HEAD: &str = r#"#![allow(unused_imports)]
use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{tracing, Error, LambdaEvent};
use shared::User;
"#;

/// A handler whose loop body is `body`, with `record` in scope and `response` to fill.
fn handler(body: &str) -> String {
    format!(
        "{HEAD}
#[allow(unused_mut, unused_variables, unused_imports)]
pub async fn handler(event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Error> {{
    let mut response = DynamoDbEventResponse::default();
    for record in event.payload.records {{
        let image = if record.event_name == \"REMOVE\" {{ record.change.old_image }} else {{ record.change.new_image }};
        {body}
    }}
    Ok(response)
}}
"
    )
}

/// Checks the attempt and returns the lines under the failing item's ✗.
fn hint_under(name: &str, stream_rs: &str, item: &str) -> String {
    let attempt = Attempt::new(name, stream_rs);
    let (success, text) = attempt.check();
    assert!(!success, "{text}");
    let mut lines = text.lines().skip_while(|l| *l != format!("  ✗ {item}"));
    assert!(lines.next().is_some(), "no ✗ {item} in\n{text}");
    let hint: Vec<&str> = lines.take_while(|l| l.starts_with("      ")).collect();
    assert!(!hint.is_empty(), "no hint under ✗ {item} in\n{text}");
    let hint = hint.join("\n");
    // No Rust-internal type names in what a learner reads.
    assert!(
        !hint.contains("alloc::") && !hint.contains("core::"),
        "{hint}"
    );
    hint
}

const FAILURES: &str = "the stream handler reports the records it cannot handle";
const HANDLER: &str = "the stream handler logs each change as plain values";

#[test]
fn a_question_mark_on_a_record_fails_the_whole_batch() {
    let hint = hint_under(
        "question-mark",
        &handler(
            "let user: User = serde_dynamo::from_item(image)?;
             tracing::info!(\"value is now {}\", serde_json::to_string(&user)?);",
        ),
        FAILURES,
    );
    assert!(
        hint.contains("the handler failed the whole batch"),
        "{hint}"
    );
    assert!(
        hint.contains("Lambda then retries every record of the batch"),
        "{hint}"
    );
    assert!(
        hint.contains("A `?` on one record's conversion does this"),
        "{hint}"
    );
}

#[test]
fn an_unwrap_panics_and_is_named() {
    let hint = hint_under(
        "unwrap",
        &handler(
            "let user: User = serde_dynamo::from_item(image).unwrap();
             tracing::info!(\"value is now {}\", serde_json::to_string(&user)?);",
        ),
        FAILURES,
    );
    assert!(
        hint.contains("the handler panicked at src/stream.rs:"),
        "{hint}"
    );
    assert!(hint.contains("called `Result::unwrap()`"), "{hint}");
    assert!(hint.contains("use `match`"), "{hint}");
}

#[test]
fn the_event_id_is_not_an_item_identifier() {
    let hint = hint_under(
        "event-id",
        &handler(
            "match serde_dynamo::from_item::<_, User>(image) {
                 Ok(user) => tracing::info!(\"value is now {}\", serde_json::to_string(&user)?),
                 Err(_) => {
                     let mut failure = DynamoDbBatchItemFailure::default();
                     failure.item_identifier = Some(record.event_id.clone());
                     response.batch_item_failures.push(failure);
                 }
             }",
        ),
        FAILURES,
    );
    assert!(
        hint.contains("a record's event id (`event_id`), not its sequence number"),
        "{hint}"
    );
    assert!(
        hint.contains("Lambda does not know it, fails the whole batch"),
        "{hint}"
    );
}

#[test]
fn reporting_every_record_reports_users_too() {
    let hint = hint_under(
        "every-record",
        &handler(
            "if let Ok(user) = serde_dynamo::from_item::<_, User>(image) {
                 tracing::info!(\"value is now {}\", serde_json::to_string(&user)?);
             }
             let mut failure = DynamoDbBatchItemFailure::default();
             failure.item_identifier = record.change.sequence_number.clone();
             response.batch_item_failures.push(failure);",
        ),
        FAILURES,
    );
    assert!(
        hint.contains("names the INSERT record of user check-10"),
        "{hint}"
    );
    assert!(hint.contains("though it is a user"), "{hint}");
}

#[test]
fn a_bad_record_skipped_in_silence_is_lost() {
    let hint = hint_under(
        "silent-skip",
        &handler(
            "if let Ok(user) = serde_dynamo::from_item::<_, User>(image) {
                 tracing::info!(\"value is now {}\", serde_json::to_string(&user)?);
             }",
        ),
        FAILURES,
    );
    assert!(hint.contains("the INSERT record check-12"), "{hint}");
    assert!(
        hint.contains("is not a user (its name is a number)"),
        "{hint}"
    );
    assert!(hint.contains("was neither logged nor reported"), "{hint}");
}

#[test]
fn the_readme_snippet_as_is_fails_on_the_remove_with_a_hint() {
    let stream_rs = format!(
        "{HEAD}
pub async fn handler(event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Error> {{
    for record in event.payload.records {{
        let user: shared::User = serde_dynamo::from_item(record.change.new_image)?;
        tracing::info!(\"value is now {{}}\", serde_json::to_string(&user)?);
    }}
    Ok(DynamoDbEventResponse::default())
}}
"
    );
    let hint = hint_under("readme-snippet", &stream_rs, HANDLER);
    assert!(
        hint.contains("A REMOVE has no new image: log its `old_image`"),
        "{hint}"
    );
    assert!(hint.contains("missing field `id`"), "{hint}");
}

/// A handler that logs users with `{:?}` fails the handler item with its own hint; its
/// reporting is right, so the failures item waits for that one ("first log the users as
/// JSON") instead of a second ✗ with the wrong cause.
#[test]
fn a_debug_form_log_is_named_and_the_next_item_waits_for_it() {
    let stream_rs = handler(
        "match serde_dynamo::from_item::<_, User>(image) {
             Ok(user) => tracing::info!(\"value is now {user:?}\"),
             Err(_) => {
                 let mut failure = DynamoDbBatchItemFailure::default();
                 failure.item_identifier = record.change.sequence_number.clone();
                 response.batch_item_failures.push(failure);
             }
         }",
    );
    let hint = hint_under("debug-form", &stream_rs, HANDLER);
    assert!(
        hint.contains("in Rust's debug form (`User { id: .. }`"),
        "{hint}"
    );
    let (_, text) = Attempt::new("debug-form-next", &stream_rs).check();
    let under: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != format!("  - {FAILURES}"))
        .take(2)
        .collect();
    assert_eq!(under.len(), 2, "no `- {FAILURES}` in:\n{text}");
    assert!(
        under[1]
            .trim_start()
            .starts_with("first log the users as JSON"),
        "{text}"
    );
}

/// Code that `cargo fmt` would change passes with a ⚠ that names the file and `cargo fmt`,
/// and the last line counts the warning: `cargo xtask test` would refuse that code.
#[test]
fn unformatted_code_is_a_warning_named_in_the_last_line() {
    // The solution without its tests (they read fixtures an attempt does not have).
    let solution = support::committed("7-finish/src/stream.rs");
    let solution = format!(
        "{}\n",
        solution.split("#[cfg(test)]").next().unwrap().trim_end()
    );
    let unformatted = solution.replacen("pub async fn handler(", "pub   async fn handler(", 1);
    assert_ne!(solution, unformatted);
    let (success, text) = Attempt::new("unformatted", &unformatted).check();
    assert!(success, "{text}");
    assert!(
        text.contains("  ⚠ src/stream.rs is not formatted as `cargo fmt` formats it\n"),
        "{text}"
    );
    assert!(text.contains("run `cargo fmt` in "), "{text}");
    assert!(
        text.contains(
            "All done, with 1 warning (src/stream.rs is not formatted as `cargo fmt` formats it)"
        ),
        "{text}"
    );
    let (success, text) = Attempt::new("formatted", &solution).check();
    assert!(success, "{text}");
    assert!(
        text.contains("  ✓ the step's code is formatted as `cargo fmt` formats it\n"),
        "{text}"
    );
    assert!(text.contains("\nAll done: "), "{text}");
}

#[test]
fn a_struct_literal_of_an_event_type_gets_the_default_hint() {
    let hint = hint_under(
        "struct-literal",
        &handler(
            "if serde_dynamo::from_item::<_, User>(image).is_err() {
                 response.batch_item_failures.push(DynamoDbBatchItemFailure {
                     item_identifier: record.change.sequence_number.clone(),
                 });
             }",
        ),
        "the step builds",
    );
    assert!(
        hint.contains("start from `::default()` and set the fields"),
        "{hint}"
    );
    assert!(
        hint.contains("E0639"),
        "the compiler's error stays visible: {hint}"
    );
    assert!(
        !hint.contains('\u{1b}'),
        "no colour codes in a pipe: {hint:?}"
    );
}

/// A solution that logs `serde_json::Value`s with `println!`, and stops at the first bad
/// record: Lambda retries from there, so it reports that one and every later one.
const VALUE_STYLE: &str = r#"
use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{Error, LambdaEvent};

pub async fn handler(event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Error> {
    let mut response = DynamoDbEventResponse::default();
    let mut failed = false;
    for record in event.payload.records {
        let image = match record.event_name.as_str() {
            "REMOVE" => record.change.old_image,
            _ => record.change.new_image,
        };
        let value: Option<serde_json::Value> = serde_dynamo::from_item(image).ok();
        let is_user = value.as_ref().is_some_and(|v| v["id"].is_string() && v["name"].is_string());
        if failed || !is_user {
            failed = true;
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number;
            response.batch_item_failures.push(failure);
            continue;
        }
        if let Some(value) = value {
            println!("{} -> {}", record.event_name, value);
        }
    }
    Ok(response)
}
"#;

/// A solution in iterator style, pretty JSON, every bad record reported.
const ITERATOR_STYLE: &str = r#"
use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{tracing, Error, LambdaEvent};
use shared::User;

fn user_of(record: EventRecord) -> Result<User, serde_dynamo::Error> {
    let image = if record.event_name == "REMOVE" { record.change.old_image } else { record.change.new_image };
    serde_dynamo::from_item(image)
}

pub async fn handler(event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Error> {
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = event
        .payload
        .records
        .into_iter()
        .filter_map(|record| {
            let sequence_number = record.change.sequence_number.clone();
            match user_of(record) {
                Ok(user) => {
                    tracing::info!("{}", serde_json::to_string_pretty(&user).unwrap_or_default());
                    None
                }
                Err(error) => {
                    tracing::warn!("not a user: {error}");
                    let mut failure = DynamoDbBatchItemFailure::default();
                    failure.item_identifier = sequence_number;
                    Some(failure)
                }
            }
        })
        .collect();
    Ok(response)
}
"#;

#[test]
fn correct_solutions_in_other_styles_pass() {
    for (name, stream_rs) in [
        ("value-style", VALUE_STYLE),
        ("iterator-style", ITERATOR_STYLE),
    ] {
        let attempt = Attempt::new(name, stream_rs);
        let (success, text) = attempt.check();
        assert!(success, "{name}:\n{text}");
        assert!(
            text.contains(&format!("  ✓ {FAILURES}\n")),
            "{name}:\n{text}"
        );
        assert!(text.contains("All done"), "{name}:\n{text}");
    }
}

/// A build that writes much to stderr (here 200 KB of build-script warnings) must not stall
/// the check: cargo's stdout and stderr are read side by side.
#[test]
fn a_build_that_writes_200_kb_to_stderr_is_checked() {
    let attempt = Attempt::new("noisy-build", ITERATOR_STYLE);
    std::fs::write(
        attempt.dir.join("build.rs"),
        "fn main() {\n    for i in 0..2500 {\n        println!(\"cargo:warning=line {i:05} of a \
         noisy build script, written to see that check reads stderr as it goes\");\n    }\n}\n",
    )
    .unwrap();
    let (success, text) = attempt.check();
    assert!(success, "{text}");
}

#[test]
fn a_remove_reported_as_a_failure_gets_the_old_image_hint() {
    let stream_rs = format!(
        "{HEAD}
pub async fn handler(event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Error> {{
    let mut response = DynamoDbEventResponse::default();
    for record in event.payload.records {{
        match serde_dynamo::from_item::<_, User>(record.change.new_image) {{
            Ok(user) => tracing::info!(\"value is now {{}}\", serde_json::to_string(&user)?),
            Err(_) => {{
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = record.change.sequence_number.clone();
                response.batch_item_failures.push(failure);
            }}
        }}
    }}
    Ok(response)
}}
"
    );
    let hint = hint_under("remove-reported", &stream_rs, HANDLER);
    assert!(
        hint.contains("reported the REMOVE record in batchItemFailures. A REMOVE has no new image: log its `old_image`"),
        "{hint}"
    );
}

/// From a learner's try: a handler that returns an error on purpose, whatever the batch, is
/// not told that one record is not a user.
#[test]
fn an_error_returned_for_every_batch_is_named_as_such() {
    let solution = support::committed("7-finish/src/stream.rs");
    let code = solution.split("#[cfg(test)]").next().unwrap().trim_end();
    let on_purpose = code.replacen(
        "    Ok(response)\n}",
        "    let _ = response;\n    Err(\"on purpose\".into())\n}",
        1,
    );
    assert_ne!(
        code, on_purpose,
        "the solution's handler ends with Ok(response)"
    );
    let hint = hint_under("error-on-purpose", &format!("{on_purpose}\n"), FAILURES);
    assert!(
        hint.contains("for every batch, a batch of users too"),
        "{hint}"
    );
    assert!(!hint.contains("one record is not a user"), "{hint}");
}
