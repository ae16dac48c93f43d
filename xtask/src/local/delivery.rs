//! What Lambda's event source mapping does with a shard's records, as pure logic: batches of
//! `batchSize` in order; on a function error the batch again (halved with
//! `bisectBatchOnFunctionError`); with `ReportBatchItemFailures`, again from the lowest failed
//! sequence number (that record and every later one of the batch); after
//! `maximumRetryAttempts`, the batch skipped.

use std::collections::VecDeque;

use serde_json::Value;
use yaml_serde::Value as Yaml;

/// A `stream` event's settings, with the Serverless Framework's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSettings {
    pub batch_size: usize,
    pub from_latest: bool,
    pub report_batch_item_failures: bool,
    /// `None`: retry until the record expires, as AWS does by default.
    pub maximum_retry_attempts: Option<u32>,
    pub bisect: bool,
    pub enabled: bool,
}

impl StreamSettings {
    pub fn from_event(event: &Yaml) -> Self {
        let number = |key: &str| event.get(key).and_then(Yaml::as_i64);
        Self {
            batch_size: number("batchSize")
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| *n > 0)
                .unwrap_or(10),
            from_latest: event.get("startingPosition").and_then(Yaml::as_str) == Some("LATEST"),
            report_batch_item_failures: event.get("functionResponseType").and_then(Yaml::as_str)
                == Some("ReportBatchItemFailures"),
            maximum_retry_attempts: number("maximumRetryAttempts")
                .filter(|n| *n >= 0)
                .and_then(|n| u32::try_from(n).ok()),
            bisect: event
                .get("bisectBatchOnFunctionError")
                .and_then(Yaml::as_bool)
                == Some(true),
            enabled: event.get("enabled").and_then(Yaml::as_bool) != Some(false),
        }
    }
}

/// How the function answered a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchResult {
    /// Answered; the sequence numbers it listed in `batchItemFailures`.
    Answered(Vec<String>),
    /// Failed (error, crash, time-out).
    Failed(String),
}

#[derive(Debug)]
pub struct Delivery {
    settings: StreamSettings,
    pending: VecDeque<Value>,
    /// Retries of the batch at the front so far.
    retries: u32,
    /// The batch size for the next try: smaller after a bisection.
    limit: usize,
}

impl Delivery {
    pub fn new(settings: StreamSettings) -> Self {
        let limit = settings.batch_size;
        Self {
            settings,
            pending: VecDeque::new(),
            retries: 0,
            limit,
        }
    }

    pub fn push(&mut self, records: impl IntoIterator<Item = Value>) {
        self.pending.extend(records);
    }

    /// The records of the next invocation, oldest first.
    pub fn next_batch(&self) -> Option<Vec<Value>> {
        if self.pending.is_empty() {
            return None;
        }
        Some(self.pending.iter().take(self.limit).cloned().collect())
    }

    /// Takes the function's answer to the batch [`next_batch`](Self::next_batch) gave; returns
    /// what to log about it, if anything.
    pub fn settle(&mut self, batch_len: usize, result: BatchResult) -> Option<String> {
        let failed_from = match &result {
            BatchResult::Answered(failures)
                if failures.is_empty() || !self.settings.report_batch_item_failures =>
            {
                self.done(batch_len);
                return None;
            }
            BatchResult::Answered(failures) => {
                // An identifier Lambda does not know counts as a failure of the whole batch.
                self.pending
                    .iter()
                    .take(batch_len)
                    .position(|record| {
                        failures
                            .iter()
                            .any(|failed| Some(failed.as_str()) == sequence_number(record))
                    })
                    .unwrap_or(0)
            }
            BatchResult::Failed(_) => 0,
        };
        // The records before the first failure are done.
        self.done(failed_from);
        let remaining = batch_len - failed_from;
        let function_failed = matches!(result, BatchResult::Failed(_));
        if function_failed && self.settings.bisect && remaining > 1 {
            self.limit = remaining.div_ceil(2);
            return Some(format!(
                "the function failed on a batch of {remaining} records: splitting it, {} records next",
                self.limit
            ));
        }
        self.retries += 1;
        let first = self
            .pending
            .front()
            .and_then(sequence_number)
            .unwrap_or("?")
            .to_owned();
        if self
            .settings
            .maximum_retry_attempts
            .is_some_and(|max| self.retries > max)
        {
            let retries = self.retries - 1;
            self.done(remaining);
            return Some(format!(
                "skipped {remaining} records from sequence number {first} after {retries} retries \
                 (maximumRetryAttempts): they are not delivered again"
            ));
        }
        let why = match result {
            BatchResult::Failed(error) => format!("the function failed ({error})"),
            BatchResult::Answered(_) => "the function reported batchItemFailures".to_owned(),
        };
        Some(format!(
            "{why}: retrying {remaining} records from sequence number {first} (retry {})",
            self.retries
        ))
    }

    fn done(&mut self, count: usize) {
        self.pending.drain(..count.min(self.pending.len()));
        if count > 0 {
            self.retries = 0;
            self.limit = self.settings.batch_size;
        }
    }

    pub fn is_retrying(&self) -> bool {
        self.retries > 0 || self.limit < self.settings.batch_size
    }
}

pub fn sequence_number(record: &Value) -> Option<&str> {
    record["dynamodb"]["SequenceNumber"].as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings() -> StreamSettings {
        StreamSettings {
            batch_size: 3,
            from_latest: false,
            report_batch_item_failures: true,
            maximum_retry_attempts: Some(2),
            bisect: false,
            enabled: true,
        }
    }

    fn records(sequence_numbers: &[u32]) -> Vec<Value> {
        sequence_numbers
            .iter()
            .map(|n| json!({"dynamodb": {"SequenceNumber": n.to_string()}}))
            .collect()
    }

    fn batch(delivery: &Delivery) -> Vec<u32> {
        delivery
            .next_batch()
            .unwrap_or_default()
            .iter()
            .map(|r| sequence_number(r).unwrap().parse().unwrap())
            .collect()
    }

    #[test]
    fn batches_follow_batch_size_and_order() {
        let mut delivery = Delivery::new(settings());
        delivery.push(records(&[1, 2, 3, 4]));
        assert_eq!(batch(&delivery), [1, 2, 3]);
        assert_eq!(delivery.settle(3, BatchResult::Answered(vec![])), None);
        assert_eq!(batch(&delivery), [4]);
    }

    #[test]
    fn a_reported_failure_resumes_from_the_lowest_failed_record() {
        let mut delivery = Delivery::new(settings());
        delivery.push(records(&[1, 2, 3, 4]));
        let note = delivery.settle(3, BatchResult::Answered(vec!["3".into(), "2".into()]));
        assert_eq!(
            note.as_deref(),
            Some("the function reported batchItemFailures: retrying 2 records from sequence number 2 (retry 1)")
        );
        assert_eq!(batch(&delivery), [2, 3, 4]);
    }

    #[test]
    fn after_the_retry_limit_the_batch_is_skipped() {
        let mut delivery = Delivery::new(settings());
        delivery.push(records(&[1, 2, 3]));
        for _ in 0..2 {
            delivery.settle(3, BatchResult::Answered(vec!["1".into()]));
            assert_eq!(batch(&delivery), [1, 2, 3]);
        }
        let note = delivery.settle(3, BatchResult::Answered(vec!["1".into()]));
        assert_eq!(
            note.as_deref(),
            Some("skipped 3 records from sequence number 1 after 2 retries (maximumRetryAttempts): they are not delivered again")
        );
        assert_eq!(delivery.next_batch(), None);
    }

    #[test]
    fn without_report_batch_item_failures_the_answer_counts_as_success() {
        let mut delivery = Delivery::new(StreamSettings {
            report_batch_item_failures: false,
            ..settings()
        });
        delivery.push(records(&[1, 2]));
        assert_eq!(
            delivery.settle(2, BatchResult::Answered(vec!["1".into()])),
            None
        );
        assert_eq!(delivery.next_batch(), None);
    }

    #[test]
    fn a_function_error_bisects_the_batch_when_asked() {
        let mut delivery = Delivery::new(StreamSettings {
            bisect: true,
            ..settings()
        });
        delivery.push(records(&[1, 2, 3]));
        delivery.settle(3, BatchResult::Failed("boom".into()));
        assert_eq!(batch(&delivery), [1, 2]);
        delivery.settle(2, BatchResult::Failed("boom".into()));
        assert_eq!(batch(&delivery), [1]);
        delivery.settle(1, BatchResult::Answered(vec![]));
        assert_eq!(batch(&delivery), [2, 3]);
    }

    #[test]
    fn settings_come_from_the_event_with_the_framework_defaults() {
        let event: Yaml = yaml_serde::from_str("type: dynamodb\narn: x").unwrap();
        assert_eq!(
            StreamSettings::from_event(&event),
            StreamSettings {
                batch_size: 10,
                from_latest: false,
                report_batch_item_failures: false,
                maximum_retry_attempts: None,
                bisect: false,
                enabled: true,
            }
        );
    }
}
