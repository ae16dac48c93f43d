//! What Lambda's event source mapping does with a shard's records, as pure logic: batches of
//! `batchSize` in order; on a function error the batch again (halved with
//! `bisectBatchOnFunctionError`); with `ReportBatchItemFailures`, again from the lowest failed
//! sequence number (that record and every later one of the batch); after
//! `maximumRetryAttempts`, the batch skipped.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::filter;
use crate::serverless_yml::StreamSettings;
use serde_json::Value;

/// How the function answered a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchResult {
    /// Answered; the sequence numbers it listed in `batchItemFailures`.
    Answered(Vec<String>),
    /// Failed (error, crash, time-out).
    Failed(String),
}

/// What became of the last batch settled, for the console's colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Next {
    /// Every record is done.
    #[default]
    Done,
    /// Done, but reported failures were ignored: records lost.
    Lost,
    /// The batch is split (bisectBatchOnFunctionError).
    Split,
    /// Part or all of it comes again.
    Retry,
    /// Given up after maximumRetryAttempts.
    Skipped,
}

impl Next {
    pub fn name(self) -> &'static str {
        match self {
            Next::Done => "done",
            Next::Lost => "lost",
            Next::Split => "split",
            Next::Retry => "retry",
            Next::Skipped => "skipped",
        }
    }
}

#[derive(Debug)]
pub struct Delivery {
    settings: StreamSettings,
    /// What became of the last batch settled.
    pub last_next: Next,
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
}

impl Delivery {
    pub fn new(settings: StreamSettings) -> Self {
        let limit = settings.batch_size;
        Self {
            settings,
            last_next: Next::Done,
            pending: VecDeque::new(),
            retries: 0,
            attempts: 0,
            limit,
            waiting_since: None,
            read_up_to: None,
            done_up_to: None,
        }
    }

    /// New settings from serverless.yml (`deploy --local --watch`): they apply from the next
    /// batch; the records waiting and their retries stay.
    pub fn reconfigure(&mut self, settings: &StreamSettings) {
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
        (!filtered.is_empty()).then(|| {
            format!(
                "filtered out {} ({}) by filterPatterns: not delivered, as on AWS",
                plural(filtered.len(), "record"),
                range(&filtered)
            )
        })
    }

    /// Drops the records at the front that are older than `maximumRecordAgeInSeconds` at
    /// `now` (seconds since the epoch, as `ApproximateCreationDateTime`); what to log.
    pub fn expire(&mut self, now: i64) -> Option<String> {
        let max_age = i64::try_from(self.settings.maximum_record_age_seconds?).ok()?;
        let expired: Vec<String> = self
            .pending
            .iter()
            .take_while(|record| {
                record["dynamodb"]["ApproximateCreationDateTime"]
                    .as_i64()
                    .is_some_and(|created| now - created > max_age)
            })
            .map(|record| sequence_number(record).unwrap_or("?").to_owned())
            .collect();
        if expired.is_empty() {
            return None;
        }
        self.done(expired.len());
        Some(format!(
            "skipped {} ({}) older than maximumRecordAgeInSeconds ({max_age} s): not delivered",
            plural(expired.len(), "record"),
            range(&expired)
        ))
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
                self.last_next = Next::Done;
                return ("ok".to_owned(), "done".to_owned());
            }
            BatchResult::Answered(failures) if !self.settings.report_batch_item_failures => {
                self.done(batch_len);
                self.last_next = Next::Lost;
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
            self.last_next = Next::Split;
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
            self.last_next = Next::Skipped;
            return (
                answer,
                format!(
                    "skipped{which} after {} (maximumRetryAttempts): not delivered again",
                    plural(retries as usize, "retry")
                ),
            );
        }
        let which = which.replacen(' ', ": ", 1);
        self.last_next = Next::Retry;
        (answer, format!("retry {}{which}", self.retries))
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

    /// Starts from a kept checkpoint (a restart): everything up to `after` is done with.
    pub fn resume_after(&mut self, after: Option<String>) {
        self.done_up_to.clone_from(&after);
        self.read_up_to = after;
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
mod tests;
