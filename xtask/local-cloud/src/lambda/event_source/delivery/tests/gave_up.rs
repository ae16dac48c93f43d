//! What the mapping gives up on, and what its on-failure destination is told.

use super::*;

/// Settles every batch with `answer` until nothing is left; what was given up on.
fn run_to_the_end(delivery: &mut Delivery, answer: impl Fn(&[u32]) -> BatchResult) -> Vec<GaveUp> {
    let mut given_up = Vec::new();
    for _ in 0..100 {
        let current = batch(delivery);
        if current.is_empty() {
            return given_up;
        }
        if let Next::GaveUp(gave_up) = delivery.settle(current.len(), answer(&current)).next {
            given_up.push(gave_up);
        }
    }
    panic!("the delivery never ended");
}

fn sequences(gave_up: &GaveUp) -> Vec<u32> {
    gave_up
        .records
        .iter()
        .map(|r| sequence_number(r).unwrap().parse().unwrap())
        .collect()
}

/// AWS ("services-dynamodb-errors"): with bisectBatchOnFunctionError, a batch of 10 whose
/// fifth record makes the function fail is halved until that record is alone; bisection uses
/// no retries; after `maximumRetryAttempts` retries of that one record, the on-failure
/// destination gets word of it alone, with the invocations that carried it and the function's
/// error; the nine others are delivered.
#[test]
fn under_bisection_the_destination_gets_the_poison_record_alone() {
    let mut delivery = Delivery::new(MappingSettings {
        batch_size: 10,
        bisect: true,
        maximum_retry_attempts: Some(3),
        ..MappingSettings::default()
    });
    delivery.push(records(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    let given_up = run_to_the_end(&mut delivery, |batch| match batch.contains(&5) {
        true => BatchResult::Failed("boom".into()),
        false => BatchResult::Answered(vec![]),
    });
    assert_eq!(given_up.len(), 1, "{given_up:?}");
    let gave_up = &given_up[0];
    assert_eq!(sequences(gave_up), [5]);
    assert_eq!(
        gave_up.condition,
        Condition::RetryAttemptsExhausted { retries: 3 }
    );
    assert!(gave_up.function_error);
    // 10, 5, 3, 2 and 1 record batches carried it (the splits), then 3 retries alone.
    assert_eq!(gave_up.invocations, 7);
    assert_eq!(delivery.checkpoint(), Some("10"));
}

/// AWS: with ReportBatchItemFailures, the retries are of the records from the reported one
/// on; once they are exhausted, the message covers that part of the batch, not the records
/// delivered before it, and names no function error (the function answered).
#[test]
fn with_reported_failures_the_destination_gets_the_part_from_the_failure_on() {
    let mut delivery = Delivery::new(MappingSettings {
        batch_size: 10,
        report_batch_item_failures: true,
        maximum_retry_attempts: Some(3),
        ..MappingSettings::default()
    });
    delivery.push(records(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    let given_up = run_to_the_end(&mut delivery, |batch| match batch.contains(&5) {
        true => BatchResult::Answered(vec!["5".into()]),
        false => BatchResult::Answered(vec![]),
    });
    assert_eq!(given_up.len(), 1, "{given_up:?}");
    let gave_up = &given_up[0];
    assert_eq!(sequences(gave_up), [5, 6, 7, 8, 9, 10]);
    assert!(!gave_up.function_error);
    assert_eq!(gave_up.invocations, 4);
    assert_eq!(
        gave_up.told(Fate::Kept("queue SkippedRecords")),
        "skipped after 3 retries (maximumRetryAttempts): sent to the on-failure destination \
         (queue SkippedRecords)"
    );
}

/// AWS: a record that fails every time is retried `maximumRetryAttempts` times (here the
/// README's three), then given up: RetryAttemptsExhausted after four invocations.
#[test]
fn a_poison_record_is_given_up_after_its_retries() {
    let mut delivery = Delivery::new(MappingSettings {
        report_batch_item_failures: true,
        maximum_retry_attempts: Some(3),
        ..MappingSettings::default()
    });
    delivery.push(records(&[7]));
    let given_up = run_to_the_end(&mut delivery, |_| BatchResult::Answered(vec!["7".into()]));
    assert_eq!(given_up.len(), 1);
    assert_eq!(given_up[0].condition.name(), "RetryAttemptsExhausted");
    assert_eq!(given_up[0].invocations, 4);
    assert_eq!(sequences(&given_up[0]), [7]);
}
