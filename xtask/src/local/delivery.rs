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
    /// Retries of the batch at the front so far (a split is not a retry).
    retries: u32,
    /// Invocations that carried the record at the front, for the story line.
    attempts: u32,
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
            attempts: 0,
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

    /// Takes the function's answer to the batch [`next_batch`](Self::next_batch) gave and
    /// returns its story in one line: the records, the attempt, the answer, what comes next.
    pub fn settle(&mut self, batch_len: usize, result: BatchResult) -> String {
        self.attempts += 1;
        let batch: Vec<String> = self
            .pending
            .iter()
            .take(batch_len)
            .map(|record| sequence_number(record).unwrap_or("?").to_owned())
            .collect();
        let told = format!(
            "batch of {} ({}), attempt {}",
            plural(batch_len, "record"),
            range(&batch),
            self.attempts
        );
        let (answer, next) = self.next_step(&batch, &result);
        format!("{told}: {answer} -> {next}")
    }

    /// What the answer was, and what happens next (the queue moved on accordingly).
    fn next_step(&mut self, batch: &[String], result: &BatchResult) -> (String, String) {
        let batch_len = batch.len();
        let reported = |failures: &[String]| match failures {
            [only] if batch_len == 1 && batch[0] == *only => "reported as failed".to_owned(),
            _ => format!(
                "{} ({})",
                plural(failures.len(), "reported failure"),
                failures.join(", ")
            ),
        };
        let failed_from = match result {
            BatchResult::Answered(failures) if failures.is_empty() => {
                self.done(batch_len);
                return ("ok".to_owned(), "done".to_owned());
            }
            BatchResult::Answered(failures) if !self.settings.report_batch_item_failures => {
                self.done(batch_len);
                return (
                    format!(
                        "{}, ignored without functionResponseType: ReportBatchItemFailures",
                        reported(failures)
                    ),
                    format!("done: {} lost", plural(failures.len(), "record")),
                );
            }
            BatchResult::Answered(failures) => {
                // An identifier Lambda does not know (or none) fails the whole batch.
                let known = failures.iter().all(|f| batch.contains(f));
                let from = batch
                    .iter()
                    .position(|sequence| failures.iter().any(|f| f == sequence))
                    .filter(|_| known)
                    .unwrap_or(0);
                (
                    from,
                    reported(failures)
                        + if known {
                            ""
                        } else {
                            ", not all of this batch: the whole batch failed"
                        },
                )
            }
            BatchResult::Failed(error) => (0, format!("failed ({error})")),
        };
        let (failed_from, answer) = failed_from;
        // The records before the first failure are done; the first failed one has had one try.
        self.done(failed_from);
        self.attempts = self.attempts.max(1);
        let remaining = batch_len - failed_from;
        let function_failed = matches!(result, BatchResult::Failed(_));
        if function_failed && self.settings.bisect && remaining > 1 {
            self.limit = remaining.div_ceil(2);
            return (
                answer,
                format!("split: the first {} again", plural(self.limit, "record")),
            );
        }
        self.retries += 1;
        let first = self
            .pending
            .front()
            .and_then(sequence_number)
            .unwrap_or("?")
            .to_owned();
        // Which records: all of the batch, or the part from the first failure on.
        let which = if failed_from == 0 {
            String::new()
        } else {
            format!(" {} from sequence {first}", plural(remaining, "record"))
        };
        if self
            .settings
            .maximum_retry_attempts
            .is_some_and(|max| self.retries > max)
        {
            let retries = self.retries - 1;
            self.done(remaining);
            return (
                answer,
                format!(
                    "skipped{which} after {} (maximumRetryAttempts): not delivered again",
                    plural(retries as usize, "retry")
                ),
            );
        }
        let which = which.replacen(' ', ": ", 1);
        (answer, format!("retry {}{which}", self.retries))
    }

    fn done(&mut self, count: usize) {
        self.pending.drain(..count.min(self.pending.len()));
        if count > 0 {
            self.retries = 0;
            self.attempts = 0;
            self.limit = self.settings.batch_size;
        }
    }

    pub fn is_retrying(&self) -> bool {
        self.retries > 0 || self.limit < self.settings.batch_size
    }
}

fn plural(count: usize, noun: &str) -> String {
    match (count, noun) {
        (1, _) => format!("1 {noun}"),
        (_, "retry") => format!("{count} retries"),
        _ => format!("{count} {noun}s"),
    }
}

/// `sequence 5` or `sequences 5..9`.
fn range(batch: &[String]) -> String {
    match batch {
        [] => "none".to_owned(),
        [one] => format!("sequence {one}"),
        [first, .., last] => format!("sequences {first}..{last}"),
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
        assert_eq!(
            delivery.settle(3, BatchResult::Answered(vec![])),
            "batch of 3 records (sequences 1..3), attempt 1: ok -> done"
        );
        assert_eq!(batch(&delivery), [4]);
    }

    #[test]
    fn a_reported_failure_resumes_from_the_lowest_failed_record() {
        let mut delivery = Delivery::new(settings());
        delivery.push(records(&[1, 2, 3, 4]));
        let note = delivery.settle(3, BatchResult::Answered(vec!["3".into(), "2".into()]));
        assert_eq!(
            note,
            "batch of 3 records (sequences 1..3), attempt 1: 2 reported failures (3, 2) -> \
             retry 1: 2 records from sequence 2"
        );
        assert_eq!(batch(&delivery), [2, 3, 4]);
        let note = delivery.settle(3, BatchResult::Answered(vec![]));
        assert_eq!(
            note,
            "batch of 3 records (sequences 2..4), attempt 2: ok -> done"
        );
    }

    #[test]
    fn an_unknown_or_empty_identifier_fails_the_whole_batch() {
        for identifier in ["", "not-a-sequence-number"] {
            let mut delivery = Delivery::new(settings());
            delivery.push(records(&[1, 2, 3]));
            let note = delivery.settle(
                3,
                BatchResult::Answered(vec!["2".into(), identifier.into()]),
            );
            assert!(
                note.contains("not all of this batch: the whole batch failed -> retry 1"),
                "{note}"
            );
            assert_eq!(batch(&delivery), [1, 2, 3]);
        }
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
            note,
            "batch of 3 records (sequences 1..3), attempt 3: 1 reported failure (1) -> skipped \
             after 2 retries (maximumRetryAttempts): not delivered again"
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
            "batch of 2 records (sequences 1..2), attempt 1: 1 reported failure (1), ignored \
             without functionResponseType: ReportBatchItemFailures -> done: 1 record lost"
        );
        assert_eq!(delivery.next_batch(), None);
    }

    /// README step 7 shows this line for a record reported without ReportBatchItemFailures.
    #[test]
    fn the_readme_shows_the_line_of_a_lost_record() {
        let readme =
            std::fs::read_to_string(crate::project::root().join("6-streams/README.md")).unwrap();
        let shown = readme
            .lines()
            .find(|l| l.contains("ignored without functionResponseType"))
            .unwrap();
        let mut delivery = Delivery::new(StreamSettings {
            report_batch_item_failures: false,
            ..settings()
        });
        delivery.push(records(&[7]));
        let line = format!(
            "[xtask] {}",
            delivery.settle(1, BatchResult::Answered(vec!["7".into()]))
        );
        let (before, after) = shown.split_once("...").unwrap();
        assert_eq!(line, format!("{before}7{after}"));
    }

    #[test]
    fn a_function_error_bisects_the_batch_when_asked() {
        let mut delivery = Delivery::new(StreamSettings {
            bisect: true,
            ..settings()
        });
        delivery.push(records(&[1, 2, 3]));
        assert_eq!(
            delivery.settle(3, BatchResult::Failed("boom".into())),
            "batch of 3 records (sequences 1..3), attempt 1: failed (boom) -> split: the first 2 \
             records again"
        );
        assert_eq!(batch(&delivery), [1, 2]);
        delivery.settle(2, BatchResult::Failed("boom".into()));
        assert_eq!(batch(&delivery), [1]);
        assert_eq!(
            delivery.settle(1, BatchResult::Answered(vec![])),
            "batch of 1 record (sequence 1), attempt 3: ok -> done"
        );
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
