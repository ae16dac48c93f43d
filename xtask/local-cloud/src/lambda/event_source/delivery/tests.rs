use super::*;
use serde_json::json;

fn settings() -> MappingSettings {
    MappingSettings {
        batch_size: 3,
        report_batch_item_failures: true,
        maximum_retry_attempts: Some(2),
        ..MappingSettings::default()
    }
}

fn records(sequence_numbers: &[u32]) -> Vec<Value> {
    sequence_numbers
        .iter()
        .map(|n| json!({"dynamodb": {"SequenceNumber": n.to_string()}}))
        .collect()
}

/// The `[xtask]` line of a settled batch, without an on-failure destination.
fn line(settled: Settled) -> String {
    settled.line(Fate::Lost)
}

fn batch(delivery: &Delivery) -> Vec<u32> {
    delivery
        .next_batch()
        .unwrap_or_default()
        .iter()
        .map(|r| sequence_number(r).unwrap().parse().unwrap())
        .collect()
}

/// AWS: Lambda reads records in order, per shard, and invokes the function with batches of
/// at most `batchSize` records.
#[test]
fn batches_follow_batch_size_and_order() {
    let mut delivery = Delivery::new(settings());
    delivery.push(records(&[1, 2, 3, 4]));
    assert_eq!(batch(&delivery), [1, 2, 3]);
    assert_eq!(
        line(delivery.settle(3, BatchResult::Answered(vec![]))),
        "batch of 3 records (sequences 1..3), attempt 1: ok -> done"
    );
    assert_eq!(batch(&delivery), [4]);
}

/// AWS: with ReportBatchItemFailures, Lambda retries the batch from the lowest sequence
/// number the function reported; the records before it count as done.
#[test]
fn a_reported_failure_resumes_from_the_lowest_failed_record() {
    let mut delivery = Delivery::new(settings());
    delivery.push(records(&[1, 2, 3, 4]));
    let settled = delivery.settle(3, BatchResult::Answered(vec!["3".into(), "2".into()]));
    assert_eq!(settled.next.name(), "retry");
    assert_eq!(
        line(settled),
        "batch of 3 records (sequences 1..3), attempt 1: 2 reported failures (3, 2) -> \
         retry 1: 2 records from sequence 2"
    );
    assert_eq!(batch(&delivery), [2, 3, 4]);
    let note = line(delivery.settle(3, BatchResult::Answered(vec![])));
    assert_eq!(
        note,
        "batch of 3 records (sequences 2..4), attempt 2: ok -> done"
    );
}

/// AWS: an `itemIdentifier` that is null, empty or not in the batch makes Lambda treat the
/// whole batch as failed.
#[test]
fn an_unknown_or_empty_identifier_fails_the_whole_batch() {
    for identifier in ["", "not-a-sequence-number"] {
        let mut delivery = Delivery::new(settings());
        delivery.push(records(&[1, 2, 3]));
        let note = line(delivery.settle(
            3,
            BatchResult::Answered(vec!["2".into(), identifier.into()]),
        ));
        assert!(
            note.contains("not all of this batch: the whole batch failed -> retry 1"),
            "{note}"
        );
        assert_eq!(batch(&delivery), [1, 2, 3]);
    }
}

/// AWS, "Reporting batch item failures" (Lambda developer guide, DynamoDB): an answer that is
/// not valid JSON fails the whole batch; without ReportBatchItemFailures the answer is not read.
#[test]
fn an_answer_that_is_not_json_fails_the_batch_only_where_lambda_reads_it() {
    let mut delivery = Delivery::new(settings());
    delivery.push(records(&[1, 2]));
    let note = line(delivery.settle(2, BatchResult::NotJson("ok".into())));
    assert_eq!(
        note,
        "batch of 2 records (sequences 1..2), attempt 1: answered \"ok\", not JSON: the whole \
         batch failed (functionResponseType: ReportBatchItemFailures reads the answer) -> retry 1"
    );
    assert_eq!(batch(&delivery), [1, 2]);
    let mut unread = Delivery::new(MappingSettings {
        report_batch_item_failures: false,
        ..settings()
    });
    unread.push(records(&[1, 2]));
    let note = line(unread.settle(2, BatchResult::NotJson("ok".into())));
    assert!(note.ends_with("attempt 1: ok -> done"), "{note}");
}

/// AWS: after `maximumRetryAttempts` retries Lambda discards the records (or sends them to
/// the on-failure destination) and goes on with the stream.
#[test]
fn after_the_retry_limit_the_batch_is_skipped() {
    let mut delivery = Delivery::new(settings());
    delivery.push(records(&[1, 2, 3]));
    for _ in 0..2 {
        delivery.settle(3, BatchResult::Answered(vec!["1".into()]));
        assert_eq!(batch(&delivery), [1, 2, 3]);
    }
    let settled = delivery.settle(3, BatchResult::Answered(vec!["1".into()]));
    assert_eq!(settled.next.name(), "skipped");
    assert_eq!(
        settled.line(Fate::Lost),
        "batch of 3 records (sequences 1..3), attempt 3: 1 reported failure (1) -> skipped \
         after 2 retries (maximumRetryAttempts): lost: an on-failure destination would have \
         kept where to find them (README, \"Keep what the stream skips\")"
    );
    assert_eq!(
        settled.line(Fate::Kept("queue SkippedRecords")),
        "batch of 3 records (sequences 1..3), attempt 3: 1 reported failure (1) -> skipped \
         after 2 retries (maximumRetryAttempts): sent to the on-failure destination (queue \
         SkippedRecords)"
    );
    assert_eq!(delivery.next_batch(), None);
}

/// AWS: without `functionResponseType: ReportBatchItemFailures`, Lambda ignores the answer's
/// batchItemFailures: a batch the function returned from is a success.
#[test]
fn without_report_batch_item_failures_the_answer_counts_as_success() {
    let mut delivery = Delivery::new(MappingSettings {
        report_batch_item_failures: false,
        ..settings()
    });
    delivery.push(records(&[1, 2]));
    let settled = delivery.settle(2, BatchResult::Answered(vec!["1".into()]));
    assert_eq!(settled.next.name(), "lost");
    assert_eq!(
        line(settled),
        "batch of 2 records (sequences 1..2), attempt 1: 1 reported failure (1), ignored \
         without functionResponseType: ReportBatchItemFailures -> done: 1 record lost"
    );
    assert_eq!(delivery.next_batch(), None);
}

/// README step 7 shows this line for a record reported without ReportBatchItemFailures.
#[test]
fn the_readme_shows_the_line_of_a_lost_record() {
    // This crate is xtask/local-cloud in the workshop's repository.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("6-streams/README.md")).unwrap();
    let shown = readme
        .lines()
        .find(|l| l.contains("ignored without functionResponseType"))
        .unwrap();
    let mut delivery = Delivery::new(MappingSettings {
        report_batch_item_failures: false,
        ..settings()
    });
    delivery.push(records(&[7]));
    let line = format!(
        "[xtask] {}",
        line(delivery.settle(1, BatchResult::Answered(vec!["7".into()])))
    );
    let (before, after) = shown.split_once("...").unwrap();
    assert_eq!(line, format!("{before}7{after}"));
}

/// AWS: with `bisectBatchOnFunctionError`, a batch whose invocation fails is split in two and
/// each half retried on its own.
#[test]
fn a_function_error_bisects_the_batch_when_asked() {
    let mut delivery = Delivery::new(MappingSettings {
        bisect: true,
        ..settings()
    });
    delivery.push(records(&[1, 2, 3]));
    let settled = delivery.settle(3, BatchResult::Failed("boom".into()));
    assert_eq!(settled.next.name(), "split");
    assert_eq!(
        line(settled),
        "batch of 3 records (sequences 1..3), attempt 1: failed (boom) -> split: the first 2 \
         records again"
    );
    assert_eq!(batch(&delivery), [1, 2]);
    delivery.settle(2, BatchResult::Failed("boom".into()));
    assert_eq!(batch(&delivery), [1]);
    assert_eq!(
        line(delivery.settle(1, BatchResult::Answered(vec![]))),
        "batch of 1 record (sequence 1), attempt 3: ok -> done"
    );
    assert_eq!(batch(&delivery), [2, 3]);
}

/// AWS: "the maximum age of a record that Lambda sends to your function"; older records are
/// discarded, from the front of the shard, without an invocation.
#[test]
fn records_older_than_maximum_record_age_are_skipped() {
    let mut delivery = Delivery::new(MappingSettings {
        maximum_record_age_seconds: Some(60),
        ..settings()
    });
    let record = |n: u32, created: i64| json!({"dynamodb": {"SequenceNumber": n.to_string(), "ApproximateCreationDateTime": created}});
    delivery.push([record(1, 1_000), record(2, 1_030), record(3, 1_100)]);
    assert_eq!(delivery.expire(1_050), None);
    let gave_up = delivery.expire(1_095).unwrap();
    assert_eq!(gave_up.condition.name(), "RecordAgeExceeded");
    assert_eq!(
        gave_up.told(Fate::Kept("queue SkippedRecords")),
        "skipped 2 records (sequences 1..2) older than maximumRecordAgeInSeconds (60 s): sent \
         to the on-failure destination (queue SkippedRecords)"
    );
    assert_eq!(batch(&delivery), [3]);
}

/// AWS: the event source mapping keeps its place in the shard: the last record it is done
/// with (delivered, skipped or filtered out), never one still waiting or being retried.
#[test]
fn the_checkpoint_is_the_last_record_done_with() {
    let mut delivery = Delivery::new(MappingSettings {
        filter_patterns: vec![json!({"eventName": ["INSERT"]})],
        ..settings()
    });
    let record = |n: u32, event: &str| json!({"eventName": event, "dynamodb": {"SequenceNumber": n.to_string()}});
    assert_eq!(delivery.checkpoint(), None);
    delivery.push([
        record(1, "INSERT"),
        record(2, "INSERT"),
        record(3, "REMOVE"),
    ]);
    assert_eq!(delivery.checkpoint(), None, "nothing delivered yet");
    delivery.settle(2, BatchResult::Answered(vec!["2".into()]));
    assert_eq!(delivery.checkpoint(), Some("1"), "2 comes again");
    delivery.settle(1, BatchResult::Answered(vec![]));
    assert_eq!(
        delivery.checkpoint(),
        Some("3"),
        "3 was filtered out: done with"
    );
    delivery.push([record(4, "REMOVE")]);
    assert_eq!(delivery.checkpoint(), Some("4"));
}

/// AWS: with filter criteria, Lambda drops the records that match none of them and moves the
/// stream past them; the others are delivered as usual.
#[test]
fn records_that_match_no_filter_pattern_are_dropped() {
    let mut delivery = Delivery::new(MappingSettings {
        filter_patterns: vec![json!({"eventName": ["INSERT"]})],
        ..settings()
    });
    let record = |n: u32, event: &str| json!({"eventID": n.to_string(), "eventName": event, "dynamodb": {"SequenceNumber": n.to_string()}});
    let note = delivery.push([
        record(1, "INSERT"),
        record(2, "REMOVE"),
        record(3, "INSERT"),
    ]);
    assert_eq!(
        note.as_deref(),
        Some("filtered out 1 record (sequence 2) by filterPatterns: not delivered, as on AWS")
    );
    assert_eq!(batch(&delivery), [1, 3]);
}

/// AWS: with a batching window, Lambda gathers records until the batch is full or the window
/// has passed since the first one; a retry does not wait.
#[test]
fn a_batch_window_waits_for_a_full_batch_or_the_window() {
    let mut delivery = Delivery::new(MappingSettings {
        batch_window_seconds: 2,
        ..settings()
    });
    let now = std::time::Instant::now();
    delivery.push(records(&[1]));
    assert!(!delivery.ready(now));
    assert!(delivery.ready(now + std::time::Duration::from_secs(3)));
    delivery.push(records(&[2, 3]));
    assert!(delivery.ready(now), "a full batch (3) goes at once");
    delivery.settle(3, BatchResult::Failed("boom".into()));
    assert!(delivery.ready(now), "a retry goes at once");
}

mod gave_up;

/// A restart goes on counting a record's tries (the checkpoint keeps them): before, a
/// learner who restarted `deploy --local` during the retries saw 6 invocations of a record
/// told "skipped after 3 retries".
#[test]
fn a_restart_goes_on_counting_the_tries() {
    let mut delivery = Delivery::new(settings()); // at most 2 retries
    delivery.push(records(&[1, 2]));
    let failed = || BatchResult::Failed("boom".to_owned());
    delivery.settle(2, failed());
    let tries = delivery.tries().expect("tries while retrying");
    assert_eq!(
        (tries.first.as_str(), tries.retries, tries.attempts),
        ("1", 1, 1)
    );

    // The next run, from the checkpoint: the same records, and the tries kept.
    let mut again = Delivery::new(settings());
    again.resume_after(None, Some(tries));
    again.push(records(&[1, 2]));
    // A retry from the first read on: it goes without waiting for a batch window.
    assert!(again.is_retrying());
    assert!(matches!(
        again.settle(2, failed()).next,
        Next::Retry { retry: 2, .. }
    ));
    match again.settle(2, failed()).next {
        Next::GaveUp(gave_up) => assert_eq!(gave_up.invocations, 3),
        other => panic!("gave up after 2 retries, not {other:?}"),
    }

    // Tries of another record (it was done with meanwhile) count for nothing.
    let mut other = Delivery::new(settings());
    other.resume_after(
        None,
        Some(Tries {
            first: "9".to_owned(),
            retries: 2,
            attempts: 3,
        }),
    );
    other.push(records(&[1]));
    assert!(!other.is_retrying());
    assert!(matches!(
        other.settle(1, failed()).next,
        Next::Retry { retry: 1, .. }
    ));
}
