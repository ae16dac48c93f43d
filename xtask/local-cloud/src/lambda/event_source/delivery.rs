//! What Lambda's event source mapping does with a shard's records, as pure logic: batches of
//! `batchSize` in order; on a function error the batch again (halved with
//! `bisectBatchOnFunctionError`); with `ReportBatchItemFailures`, again from the lowest failed
//! sequence number (that record and every later one of the batch); after
//! `maximumRetryAttempts`, the batch skipped.

mod outcome;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::checkpoint::Tries;
use super::filter;
use crate::lambda::event_source::MappingSettings;
use serde_json::Value;

use outcome::{plural, range};
pub use outcome::{Answer, BatchResult, Condition, Fate, GaveUp, Next, Settled};

#[derive(Debug)]
pub struct Delivery {
    settings: MappingSettings,
    pending: VecDeque<Value>,
    /// Retries of the batch at the front so far (a split is not a retry).
    retries: u32,
    /// Invocations that carried the record at the front, for the story line.
    attempts: u32,
    /// The batch size for the next try: smaller after a bisection.
    limit: usize,
    /// Since when the oldest pending record has waited (for `batchWindow`).
    waiting_since: Option<Instant>,
    /// The sequence number of the last record read from the shard.
    read_up_to: Option<String>,
    /// The mapping's checkpoint: every record up to this sequence number is done with.
    done_up_to: Option<String>,
    /// The tries the last run had given the record at the front (a restart).
    resumed: Option<Tries>,
}

impl Delivery {
    pub fn new(settings: MappingSettings) -> Self {
        let limit = settings.batch_size;
        Self {
            settings,
            pending: VecDeque::new(),
            retries: 0,
            attempts: 0,
            limit,
            waiting_since: None,
            read_up_to: None,
            done_up_to: None,
            resumed: None,
        }
    }

    /// New settings from serverless.yml (`deploy --local --watch`): they apply from the next
    /// batch; the records waiting and their retries stay.
    pub fn reconfigure(&mut self, settings: &MappingSettings) {
        if *settings != self.settings {
            self.settings = settings.clone();
            self.limit = settings.batch_size;
        }
    }

    /// Takes records read from the shard, in order.
    ///
    /// Records that match none of `filterPatterns` are dropped here, as Lambda drops them:
    /// the stream moves past them. Returns what to log about that.
    pub fn push(&mut self, records: impl IntoIterator<Item = Value>) -> Option<String> {
        let mut filtered = Vec::new();
        for record in records {
            if let Some(sequence) = sequence_number(&record) {
                self.read_up_to = Some(sequence.to_owned());
            }
            if !filter::passes(&self.settings.filter_patterns, &record) {
                filtered.push(sequence_number(&record).unwrap_or("?").to_owned());
                continue;
            }
            if self.pending.is_empty() {
                self.waiting_since = Some(Instant::now());
            }
            self.pending.push_back(record);
        }
        if self.pending.is_empty() {
            self.done_up_to.clone_from(&self.read_up_to);
        }
        self.take_up_resumed();
        (!filtered.is_empty()).then(|| {
            format!(
                "filtered out {} ({}) by filterPatterns: not delivered, as on AWS",
                plural(filtered.len(), "record"),
                range(&filtered)
            )
        })
    }

    /// Gives up the records at the front that are older than `maximumRecordAgeInSeconds` at
    /// `now` (seconds since the epoch, as `ApproximateCreationDateTime`).
    pub fn expire(&mut self, now: i64) -> Option<GaveUp> {
        let max_age = self.settings.maximum_record_age_seconds?;
        let limit = i64::try_from(max_age).ok()?;
        let expired = self
            .pending
            .iter()
            .take_while(|record| {
                // Whole seconds, written with a fraction (`1732558060.0`) as Lambda writes them.
                record["dynamodb"]["ApproximateCreationDateTime"]
                    .as_f64()
                    .is_some_and(|created| now - created as i64 > limit)
            })
            .count();
        if expired == 0 {
            return None;
        }
        let gave_up = GaveUp {
            condition: Condition::RecordAgeExceeded { max_age },
            records: self.pending.iter().take(expired).cloned().collect(),
            invocations: self.attempts,
            function_error: false,
            part: false,
        };
        self.done(expired);
        Some(gave_up)
    }

    /// The records of the next invocation, oldest first.
    pub fn next_batch(&self) -> Option<Vec<Value>> {
        if self.pending.is_empty() {
            return None;
        }
        Some(self.pending.iter().take(self.limit).cloned().collect())
    }

    /// Takes the function's answer to the batch [`next_batch`](Self::next_batch) gave; what
    /// became of it (the queue moved on accordingly).
    pub fn settle(&mut self, batch_len: usize, result: BatchResult) -> Settled {
        self.attempts += 1;
        let batch: Vec<String> = self
            .pending
            .iter()
            .take(batch_len)
            .map(|record| sequence_number(record).unwrap_or("?").to_owned())
            .collect();
        let attempt = self.attempts;
        let (answer, next) = self.next_step(&batch, result);
        Settled {
            batch,
            attempt,
            answer,
            next,
        }
    }

    fn next_step(&mut self, batch: &[String], result: BatchResult) -> (Answer, Next) {
        let batch_len = batch.len();
        let (failed_from, answer) = match result {
            BatchResult::Answered(failures) if failures.is_empty() => {
                self.done(batch_len);
                return (Answer::Ok, Next::Done);
            }
            BatchResult::Answered(failures) if !self.settings.report_batch_item_failures => {
                self.done(batch_len);
                let count = failures.len();
                return (Answer::Ignored { failures }, Next::Lost { count });
            }
            BatchResult::Answered(failures) => {
                // An identifier Lambda does not know (or none) fails the whole batch.
                let known = failures.iter().all(|f| batch.contains(f));
                let from = batch
                    .iter()
                    .position(|sequence| failures.iter().any(|f| f == sequence))
                    .filter(|_| known)
                    .unwrap_or(0);
                (from, Answer::Reported { failures, known })
            }
            // AWS, "Reporting batch item failures": a response that is not valid JSON fails
            // the whole batch; without ReportBatchItemFailures Lambda does not read it.
            BatchResult::NotJson(_) if !self.settings.report_batch_item_failures => {
                self.done(batch_len);
                return (Answer::Ok, Next::Done);
            }
            BatchResult::NotJson(start) => (0, Answer::NotJson(start)),
            BatchResult::Failed(error) => (0, Answer::Failed(error)),
        };
        // The records before the first failure are done; the first failed one has had one try.
        self.done(failed_from);
        self.attempts = self.attempts.max(1);
        let remaining = batch_len - failed_from;
        let function_failed = matches!(answer, Answer::Failed(_));
        if function_failed && self.settings.bisect && remaining > 1 {
            self.limit = remaining.div_ceil(2);
            return (answer, Next::Split { first: self.limit });
        }
        self.retries += 1;
        if self
            .settings
            .maximum_retry_attempts
            .is_some_and(|max| self.retries > max)
        {
            let gave_up = GaveUp {
                condition: Condition::RetryAttemptsExhausted {
                    retries: self.retries - 1,
                },
                records: self.pending.iter().take(remaining).cloned().collect(),
                invocations: self.attempts,
                function_error: function_failed,
                part: failed_from > 0,
            };
            self.done(remaining);
            return (answer, Next::GaveUp(gave_up));
        }
        // Which records: all of the batch, or the part from the first failure on.
        let part = (failed_from > 0).then(|| {
            let first = self
                .pending
                .front()
                .and_then(sequence_number)
                .unwrap_or("?");
            (remaining, first.to_owned())
        });
        (
            answer,
            Next::Retry {
                retry: self.retries,
                part,
            },
        )
    }

    /// Whether the next batch goes now: it is full, the `batchWindow` has passed since its
    /// oldest record came, or it is a retry (Lambda gathers only new batches).
    pub fn ready(&self, now: Instant) -> bool {
        let window = Duration::from_secs(self.settings.batch_window_seconds);
        !self.pending.is_empty()
            && (self.pending.len() >= self.limit
                || self.is_retrying()
                || self
                    .waiting_since
                    .is_none_or(|since| now.duration_since(since) >= window))
    }

    /// Starts from a kept checkpoint (a restart): everything up to `after` is done with; the
    /// record after it had `tries` (if it is still the one at the front when a batch settles).
    pub fn resume_after(&mut self, after: Option<String>, tries: Option<Tries>) {
        self.done_up_to.clone_from(&after);
        self.read_up_to = after;
        self.resumed = tries;
    }

    /// The last run's tries go on once the first record is read, if it is the record they
    /// were counted for: a retry goes at once (no `batchWindow`), and a record given up on
    /// for its age says every invocation that carried it.
    fn take_up_resumed(&mut self) {
        let Some(front) = self.pending.front().and_then(sequence_number) else {
            return;
        };
        if let Some(tries) = self.resumed.take() {
            if self.attempts == 0 && front == tries.first {
                self.retries = tries.retries;
                self.attempts = tries.attempts;
            }
        }
    }

    /// The tries of the record at the front, while it has had any: for the checkpoint.
    pub fn tries(&self) -> Option<Tries> {
        if self.attempts == 0 {
            return self.resumed.clone();
        }
        Some(Tries {
            first: self.pending.front().and_then(sequence_number)?.to_owned(),
            retries: self.retries,
            attempts: self.attempts,
        })
    }

    /// Where the mapping stands: every record up to this sequence number is done with
    /// (delivered, skipped, filtered out), as Lambda's checkpoint of a shard.
    pub fn checkpoint(&self) -> Option<&str> {
        self.done_up_to.as_deref()
    }

    fn done(&mut self, count: usize) {
        let last = self
            .pending
            .drain(..count.min(self.pending.len()))
            .next_back();
        if let Some(last) = last {
            self.done_up_to = sequence_number(&last).map(str::to_owned);
        }
        if self.pending.is_empty() {
            // Filtered records after the last one delivered are done with too.
            self.done_up_to.clone_from(&self.read_up_to);
        }
        // What is left has waited since now: its own window starts.
        self.waiting_since = (!self.pending.is_empty()).then(Instant::now);
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

pub fn sequence_number(record: &Value) -> Option<&str> {
    record["dynamodb"]["SequenceNumber"].as_str()
}

#[cfg(test)]
mod tests;
