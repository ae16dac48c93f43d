//! `cargo xtask check --only config` on learner attempts: the exercise's serverless.yml with
//! the two TODOs filled in, right in other spellings, and wrong in each way the step warns of.
//! The real binary runs on a copy in a temporary directory, as rustlings tests its checker.
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

mod support;

use std::process::Command;

const STREAM_TODO: &str = "        # TODO (README, \"Turn on the stream\")";
const FUNCTION_TODO: &str = "  # TODO (README, \"Add the stream function\")";

const STREAM: &str = "        StreamSpecification:\n          StreamViewType: NEW_AND_OLD_IMAGES\n";
const FUNCTION: &str = "  stream:
    handler: stream.handler
    events:
      - stream:
          type: dynamodb
          arn: !GetAtt Table.StreamArn
          functionResponseType: ReportBatchItemFailures
          maximumRetryAttempts: 3
          bisectBatchOnFunctionError: true
          destinations:
            onFailure:
              arn: !GetAtt SkippedRecords.Arn
              type: sqs
";

/// The queue of the README's last section, added after the table (the file's last resource).
const QUEUE: &str = "    SkippedRecords:\n      Type: AWS::SQS::Queue\n";

/// The exercise's serverless.yml with each TODO block (the comment lines) replaced.
fn attempt(stream: &str, function: &str) -> String {
    let exercise = support::committed("6-streams/serverless.yml");
    let mut out = String::new();
    let mut lines = exercise.lines().peekable();
    while let Some(line) = lines.next() {
        let replacement = if line.starts_with(STREAM_TODO) {
            Some(stream)
        } else if line.starts_with(FUNCTION_TODO) {
            Some(function)
        } else {
            None
        };
        match replacement {
            Some(text) => {
                // The TODO's continuation lines are comments too.
                while lines
                    .peek()
                    .is_some_and(|next| next.trim_start().starts_with('#'))
                {
                    lines.next();
                }
                out.push_str(text);
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    assert!(out != exercise, "the TODO markers moved: update this test");
    assert!(
        exercise.trim_end().ends_with("changed item."),
        "the table is no longer the last resource: update this test"
    );
    out + QUEUE
}

struct Verdict {
    success: bool,
    stdout: String,
}

fn check(serverless_yml: &str) -> Verdict {
    let dir = std::env::temp_dir().join(format!(
        "xtask-check-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("serverless.yml"), serverless_yml).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["check", "--only", "config", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    Verdict {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
    }
}

static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

fn assert_passes(yml: &str) -> Verdict {
    let verdict = check(yml);
    assert!(verdict.success, "{}", verdict.stdout);
    assert!(
        verdict
            .stdout
            .contains("  ✓ the table has a stream with new and old images\n"),
        "{}",
        verdict.stdout
    );
    assert!(
        verdict
            .stdout
            .contains("  ✓ a function runs stream.handler on the table's stream\n"),
        "{}",
        verdict.stdout
    );
    assert!(
        verdict
            .stdout
            .contains(&format!("  ✓ {DESTINATION_LINE}\n")),
        "{}",
        verdict.stdout
    );
    verdict
}

/// Fails on exactly the line `title`, with `hint` right under it.
fn assert_fails(yml: &str, title: &str, hint: &str) {
    let verdict = check(yml);
    assert!(!verdict.success, "{}", verdict.stdout);
    let expected = format!("  ✗ {title}\n      {hint}\n");
    assert!(
        verdict.stdout.contains(&expected),
        "expected\n{expected}in\n{}",
        verdict.stdout
    );
    assert_eq!(
        verdict.stdout.matches("  ✗ ").count(),
        1,
        "{}",
        verdict.stdout
    );
}

const STREAM_LINE: &str = "the table has a stream with new and old images";
const FUNCTION_LINE: &str = "a function runs stream.handler on the table's stream";
const DESTINATION_LINE: &str = "what the stream skips goes to an on-failure destination";

#[test]
fn the_pristine_exercise_fails_on_both_configuration_items() {
    let exercise = support::committed("6-streams/serverless.yml");
    let verdict = check(&exercise);
    assert!(!verdict.success);
    assert!(verdict.stdout.contains(
        "  ✗ the table has a stream with new and old images\n      Table has no StreamSpecification: \
         add one to its Properties (README, \"Turn on the stream\")\n"
    ), "{}", verdict.stdout);
    // Hints first: the solution only with --solution.
    assert!(
        !verdict.stdout.contains("StreamSpecification:\n"),
        "{}",
        verdict.stdout
    );
    assert!(verdict.stdout.contains(
        "      no function has `handler: stream.handler`: add a function `stream` under functions: \
         (README, \"Add the stream function\")\n"
    ), "{}", verdict.stdout);
    assert!(
        !verdict.stdout.contains("handler: stream.handler\n"),
        "{}",
        verdict.stdout
    );
}

#[test]
fn the_reference_spelling_passes_without_warnings() {
    let verdict = assert_passes(&attempt(STREAM, FUNCTION));
    assert!(!verdict.stdout.contains('⚠'), "{}", verdict.stdout);
    assert!(
        verdict.stdout.contains("serverless.yml is ready."),
        "{}",
        verdict.stdout
    );
}

#[test]
fn other_right_spellings_pass() {
    // Long-form list, flow-style event, another function name, extra options.
    let function = "  onUserChange:
    handler: stream.handler
    memorySize: 256
    events:
      - stream: {type: dynamodb, arn: {'Fn::GetAtt': [Table, StreamArn]}, batchSize: 5, startingPosition: LATEST, enabled: true, functionResponseType: ReportBatchItemFailures, maximumRetryAttempts: 1, bisectBatchOnFunctionError: true, destinations: {onFailure: {arn: !GetAtt SkippedRecords.Arn, type: sqs}}}
";
    assert_passes(&attempt(STREAM, function));
    // Block list and a flow-style view type mapping.
    let function = FUNCTION.replace(
        "arn: !GetAtt Table.StreamArn",
        "arn:\n            Fn::GetAtt:\n              - Table\n              - StreamArn",
    );
    let stream = "        StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}\n";
    assert_passes(&attempt(stream, &function));
}

/// Lambda API reference, OnFailure: a stream's destination may be an SQS queue, an SNS topic
/// or an S3 bucket; the framework takes a topic with `type: sns`, a bucket by its ARN alone.
#[test]
fn a_topic_or_a_bucket_destination_passes() {
    let topic = FUNCTION.replace(
        "arn: !GetAtt SkippedRecords.Arn\n              type: sqs",
        "arn: !Ref Skipped\n              type: sns",
    );
    assert_ne!(topic, FUNCTION);
    assert_passes(&(attempt(STREAM, &topic) + "    Skipped:\n      Type: AWS::SNS::Topic\n"));
    let bucket = FUNCTION.replace(
        "arn: !GetAtt SkippedRecords.Arn\n              type: sqs",
        "arn: arn:aws:s3:::skipped-records",
    );
    assert_passes(&attempt(STREAM, &bucket));
}

/// S3 user guide, "General purpose bucket naming rules": what `deploy --local` refuses, `check`
/// does not pass.
#[test]
fn a_bucket_name_s3_refuses_fails() {
    let bucket = FUNCTION.replace(
        "arn: !GetAtt SkippedRecords.Arn\n              type: sqs",
        "arn: arn:aws:s3:::Skipped_Records",
    );
    let verdict = check(&attempt(STREAM, &bucket));
    assert!(!verdict.success, "{}", verdict.stdout);
    assert!(
        verdict
            .stdout
            .contains("bucket name \"Skipped_Records\": S3 refuses it"),
        "{}",
        verdict.stdout
    );
}

#[test]
fn a_missing_function_response_type_passes_with_a_warning() {
    let function = FUNCTION.replace(
        "          functionResponseType: ReportBatchItemFailures\n",
        "",
    );
    let verdict = assert_passes(&attempt(STREAM, &function));
    assert!(verdict.stdout.contains(
        "  ⚠ functionResponseType: ReportBatchItemFailures is missing\n      without it AWS ignores \
         the batchItemFailures your handler reports"
    ), "{}", verdict.stdout);
    assert!(!verdict.stdout.contains("is not set"), "{}", verdict.stdout);
}

#[test]
fn missing_retry_limits_pass_with_a_warning_naming_them() {
    let function = FUNCTION
        .replace("          maximumRetryAttempts: 3\n", "")
        .replace("          bisectBatchOnFunctionError: true\n", "");
    let verdict = assert_passes(&attempt(STREAM, &function));
    assert!(verdict.stdout.contains(
        "  ⚠ maximumRetryAttempts is not set\n      without a retry limit (maximumRetryAttempts: 3) \
         a record that keeps failing is retried until the stream drops it, 24 hours later"
    ), "{}", verdict.stdout);
    assert!(verdict.stdout.contains(
        "  ⚠ bisectBatchOnFunctionError is not set\n      with bisectBatchOnFunctionError: true \
         Lambda splits a batch whose invocation fails"
    ), "{}", verdict.stdout);
}

#[test]
fn the_dotted_long_form_passes_with_a_warning_suggesting_the_list() {
    let function = FUNCTION.replace("!GetAtt Table.StreamArn", "{'Fn::GetAtt': Table.StreamArn}");
    let verdict = assert_passes(&attempt(STREAM, &function));
    assert!(verdict.stdout.contains(
        "  ⚠ `Fn::GetAtt: Table.StreamArn` works, but is better as a list\n      the Serverless \
         Framework expects `Fn::GetAtt: [Table, StreamArn]`"
    ), "{}", verdict.stdout);
}

#[test]
fn a_view_without_both_images_fails_and_says_why_both_are_needed() {
    for (view, carries) in [
        ("KEYS_ONLY", "only the keys of a changed item"),
        (
            "NEW_IMAGE",
            "only the item after the change, nothing for a deleted user",
        ),
        (
            "OLD_IMAGE",
            "only the item before the change, nothing for a created user",
        ),
    ] {
        let stream = STREAM.replace("NEW_AND_OLD_IMAGES", view);
        assert_fails(
            &attempt(&stream, FUNCTION),
            STREAM_LINE,
            &format!(
                "StreamViewType is {view}: records would carry {carries}. This step logs the new \
                 image of a created or changed user and the old image of a deleted one: use \
                 NEW_AND_OLD_IMAGES"
            ),
        );
    }
}

#[test]
fn a_stream_specification_outside_properties_fails() {
    let yml = attempt("", FUNCTION).replace(
        "      Type: AWS::DynamoDB::Table\n",
        "      Type: AWS::DynamoDB::Table\n      StreamSpecification:\n        StreamViewType: NEW_AND_OLD_IMAGES\n",
    );
    assert_fails(
        &yml,
        STREAM_LINE,
        "StreamSpecification is beside the table's Type; it belongs inside Table's Properties \
         (README, \"Turn on the stream\")",
    );
}

#[test]
fn the_tables_own_arn_fails() {
    let function = FUNCTION.replace("Table.StreamArn", "Table.Arn");
    assert_fails(
        &attempt(STREAM, &function),
        FUNCTION_LINE,
        "`arn` is the table's own ARN (Table.Arn); its stream has another one: use `!GetAtt Table.StreamArn`",
    );
}

#[test]
fn a_ref_to_the_table_fails() {
    let function = FUNCTION.replace("!GetAtt Table.StreamArn", "!Ref Table");
    assert_fails(
        &attempt(STREAM, &function),
        FUNCTION_LINE,
        "`!Ref Table` gives the table's name, not its stream: use `!GetAtt Table.StreamArn`",
    );
}

#[test]
fn a_kinesis_type_fails() {
    let function = FUNCTION.replace("type: dynamodb", "type: kinesis");
    assert_fails(
        &attempt(STREAM, &function),
        FUNCTION_LINE,
        "the stream event of stream has `type: kinesis`, which reads a Kinesis data stream; a \
         DynamoDB table's stream is `type: dynamodb`",
    );
}

#[test]
fn a_missing_type_fails() {
    let function = FUNCTION.replace("          type: dynamodb\n", "");
    assert_fails(
        &attempt(STREAM, &function),
        FUNCTION_LINE,
        "the stream event of stream has no `type`: add `type: dynamodb` (without it the framework \
         cannot tell a table's stream from a Kinesis stream)",
    );
}

#[test]
fn a_function_without_events_fails() {
    assert_fails(
        &attempt(STREAM, "  stream:\n    handler: stream.handler\n"),
        FUNCTION_LINE,
        "function stream has no events: give it a `stream` event of type dynamodb on the table's \
         stream (README, \"Add the stream function\")",
    );
}

#[test]
fn a_wrong_handler_name_fails_and_lists_the_known_ones() {
    let function = FUNCTION.replace("handler: stream.handler", "handler: stream.handle");
    assert_fails(
        &attempt(STREAM, &function),
        FUNCTION_LINE,
        "function stream has handler \"stream.handle\", a name the step's binary does not know: \
         the stream handler runs for `handler: stream.handler` (the binary knows users.put, \
         users.get, users.delete, stream.handler)",
    );
}

#[test]
fn a_bare_arn_event_fails() {
    let function = "  stream:\n    handler: stream.handler\n    events:\n      - stream: !GetAtt Table.StreamArn\n";
    assert_fails(
        &attempt(STREAM, function),
        FUNCTION_LINE,
        "function stream's stream event is a bare ARN: write it as a mapping with `type: dynamodb` \
         and `arn: !GetAtt Table.StreamArn`",
    );
}

#[test]
fn a_yaml_error_shows_file_line_column_and_the_line() {
    let function = FUNCTION.replace("    events:\n", "    handler: stream.main\n    events:\n");
    let yml = attempt(STREAM, &function);
    let verdict = check(&yml);
    assert!(!verdict.success, "{}", verdict.stdout);
    // The line to fix: the key's second occurrence.
    let first = yml
        .lines()
        .position(|l| l == "    handler: stream.handler")
        .unwrap()
        + 1;
    let line = yml
        .lines()
        .position(|l| l == "    handler: stream.main")
        .unwrap()
        + 1;
    let expected = format!(
        "  ✗ serverless.yml parses\n      {}:{line}:5: `handler` appears a second time in the same \
         mapping of functions.stream (first at line {first}): a key may appear once there; merge \
         the two into one\n              handler: stream.main\n              ^\n",
        std::env::temp_dir().join("X").parent().unwrap().display()
    );
    let shown = verdict.stdout.replace(
        &format!("/xtask-check-{}-", std::process::id()),
        "/xtask-check-",
    );
    let shown = regex_free_dir(&shown);
    assert!(shown.contains(&expected), "expected\n{expected}in\n{shown}");
    assert!(
        verdict.stdout.contains(
            "  - the table has a stream with new and old images\n      serverless.yml must parse first\n"
        ),
        "{}",
        verdict.stdout
    );
}

#[test]
fn a_functions_block_pasted_twice_is_shown_at_the_second_one() {
    let exercise = support::committed("6-streams/serverless.yml");
    let yml = format!("{exercise}\nfunctions:\n{FUNCTION}");
    let line = yml.lines().count() - FUNCTION.lines().count();
    let verdict = check(&yml);
    assert!(!verdict.success, "{}", verdict.stdout);
    let shown = regex_free_dir(&verdict.stdout);
    assert!(
        shown.contains(&format!(
            ":{line}:1: `functions` appears a second time in the same mapping (first at line "
        )),
        "line {line} in\n{shown}"
    );
    assert!(
        shown.contains("\n          functions:\n          ^\n"),
        "{shown}"
    );
}

/// `/tmp/xtask-check-N/serverless.yml` becomes `/tmp` + the file name's line, for comparing.
fn regex_free_dir(text: &str) -> String {
    text.lines()
        .map(
            |line| match (line.find("/xtask-check-"), line.find("/serverless.yml")) {
                (Some(start), Some(end)) if start < end => format!(
                    "{}{}",
                    &line[..start],
                    &line[end + "/serverless.yml".len()..]
                ),
                _ => line.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn a_stream_event_without_a_destination_fails_and_names_the_last_section() {
    let function = FUNCTION.split("          destinations:").next().unwrap();
    assert_fails(
        &attempt(STREAM, function),
        DESTINATION_LINE,
        "the stream event of stream has no on-failure destination: after its last retry Lambda \
         drops a record for good. Give the event `destinations: onFailure:` with the ARN of an \
         SQS queue of resources (`arn: !GetAtt SkippedRecords.Arn`, `type: sqs`) (README, \
         \"Keep what the stream skips\")",
    );
}

#[test]
fn a_destination_of_another_kind_fails() {
    let function = FUNCTION.replace("type: sqs", "type: lambda");
    assert_fails(
        &attempt(STREAM, &function),
        DESTINATION_LINE,
        "onFailure has `type: lambda`: a stream event's on-failure destination is an SQS queue \
         (`type: sqs`) or an SNS topic (`type: sns`) (README, \"Keep what the stream skips\")",
    );
}

#[test]
fn an_intrinsic_arn_without_a_type_fails() {
    let function = FUNCTION.replace("\n              type: sqs", "");
    assert_fails(
        &attempt(STREAM, &function),
        DESTINATION_LINE,
        "onFailure's arn comes from SkippedRecords (an intrinsic): the framework cannot tell \
         from it whether that is a queue or a topic, and refuses it: add `type: sqs` beside the \
         arn (README, \"Keep what the stream skips\")",
    );
}

#[test]
fn a_queue_named_by_ref_or_missing_fails() {
    let by_ref = FUNCTION.replace("!GetAtt SkippedRecords.Arn", "!Ref SkippedRecords");
    assert_fails(
        &attempt(STREAM, &by_ref),
        DESTINATION_LINE,
        "`!Ref SkippedRecords` is the queue's URL, not its ARN: use `!GetAtt SkippedRecords.Arn`",
    );
    let elsewhere = FUNCTION.replace("SkippedRecords.Arn", "Failures.Arn");
    assert_fails(
        &attempt(STREAM, &elsewhere),
        DESTINATION_LINE,
        "onFailure's arn names Failures, which is not under resources.Resources: add the queue \
         there (`Failures: {Type: AWS::SQS::Queue}`) (README, \"Keep what the stream skips\")",
    );
}

/// From a learner's try: a queue given by its bare name is told how to write its ARN.
#[test]
fn a_destination_given_as_a_bare_name_is_told_its_arn() {
    let by_name = FUNCTION.replace(
        "            onFailure:\n              arn: !GetAtt SkippedRecords.Arn\n              type: sqs\n",
        "            onFailure: SkippedRecords\n",
    );
    assert_ne!(by_name, FUNCTION);
    assert_fails(
        &attempt(STREAM, &by_name),
        DESTINATION_LINE,
        "onFailure is the name \"SkippedRecords\", not an ARN: Lambda needs the queue's ARN. \
         Write `arn: !GetAtt SkippedRecords.Arn` and `type: sqs` under `onFailure:` (README, \
         \"Keep what the stream skips\")",
    );
}

/// From a learner's try: `destinations:` under the function, not under its stream event.
#[test]
fn a_destinations_block_under_the_function_is_told_where_it_goes() {
    let (event, destinations) = FUNCTION.split_once("          destinations:").unwrap();
    let misplaced = format!(
        "{event}    destinations:{}",
        destinations.replace("\n      ", "\n")
    );
    assert_fails(
        &attempt(STREAM, &misplaced),
        DESTINATION_LINE,
        "the `destinations:` block is under the function stream, where it is for the \
         function's asynchronous invocations, which a stream never makes: move it under the \
         stream event, beside its `arn:` and `functionResponseType:` (README, \"Keep what the \
         stream skips\")",
    );
}

/// From a learner's try: `--diff` printed the README's diff and its PNG images as raw bytes
/// (873 kB, escape sequences a terminal obeys). It shows the files a learner edits, as text.
#[test]
fn diff_shows_the_files_a_learner_edits_and_only_text() {
    let output = support::xtask(&["check", "--diff", "6-streams"], xtask::project::root());
    assert!(output.status.success());
    let text = support::stdout(&output);
    let headers: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("--- ") || line.starts_with("+++ "))
        .collect();
    assert!(!headers.is_empty(), "no diff at all:\n{text}");
    assert!(
        headers.iter().all(|line| line.ends_with("/serverless.yml")
            || (line.contains("/src/") && line.ends_with(".rs"))),
        "expected only serverless.yml and src/*.rs, found {headers:?}"
    );
    assert!(!text.contains('\u{1b}'), "an escape character in:\n{text}");
    assert!(text.len() < 100_000, "{} bytes", text.len());
}
