//! What the event source mapping decided about a batch, as typed values: the function's answer,
//! what comes next, and the records it gave up on. The `[xtask]` line, the console's card and
//! the destination's message are renderings of them.

use serde_json::Value;

use super::sequence_number;

/// How the function answered a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchResult {
    /// Answered; the sequence numbers it listed in `batchItemFailures`.
    Answered(Vec<String>),
    /// Answered with something that is not JSON (what it began with).
    NotJson(String),
    /// Failed (error, crash, time-out).
    Failed(String),
}

/// What the mapping did with a batch's answer: the answer as Lambda read it, and what comes
/// next. The `[xtask]` line, the console's card and the destination's message are
/// renderings of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Settled {
    /// The batch's sequence numbers, oldest first.
    pub batch: Vec<String>,
    /// Invocations that carried its first record, this one included.
    pub attempt: u32,
    pub answer: Answer,
    pub next: Next,
}

/// The function's answer, as the event source mapping reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Ok,
    /// `batchItemFailures` named these; `known`: every one is a record of the batch (else
    /// Lambda fails the whole batch).
    Reported {
        failures: Vec<String>,
        known: bool,
    },
    /// `batchItemFailures` named these, and without `functionResponseType:
    /// ReportBatchItemFailures` Lambda ignores them.
    Ignored {
        failures: Vec<String>,
    },
    /// The invocation failed (an error, a crash, a time-out).
    Failed(String),
    /// The answer is not JSON: with `ReportBatchItemFailures` Lambda fails the whole batch.
    NotJson(String),
}

/// What the mapping does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// Every record is done.
    Done,
    /// Done, but the failures reported were ignored: these records are lost.
    Lost { count: usize },
    /// The batch is split (bisectBatchOnFunctionError): the first `first` records again.
    Split { first: usize },
    /// Retry number `retry`, of the whole batch or (`part`) of `count` records from
    /// sequence number `from` on.
    Retry {
        retry: u32,
        part: Option<(usize, String)>,
    },
    /// Given up on.
    GaveUp(GaveUp),
}

impl Next {
    /// Its name, for the console's colours.
    pub fn name(&self) -> &'static str {
        match self {
            Next::Done => "done",
            Next::Lost { .. } => "lost",
            Next::Split { .. } => "split",
            Next::Retry { .. } => "retry",
            Next::GaveUp(_) => "skipped",
        }
    }
}

/// Records the mapping gives up on, as Lambda tells its on-failure destination of them.
#[derive(Debug, Clone, PartialEq)]
pub struct GaveUp {
    pub condition: Condition,
    /// The records, oldest first (the destination's message names where to find them).
    pub records: Vec<Value>,
    /// Invocations that carried them (the message's `approximateInvokeCount`).
    pub invocations: u32,
    /// The last invocation failed (`functionError` in the message), rather than reporting
    /// the records in `batchItemFailures`.
    pub function_error: bool,
    /// They are part of the batch, from the first one reported on.
    pub part: bool,
}

/// Why the mapping gave records up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// After `maximumRetryAttempts` retries.
    RetryAttemptsExhausted { retries: u32 },
    /// Older than `maximumRecordAgeInSeconds`.
    RecordAgeExceeded { max_age: u64 },
}

impl Condition {
    /// Its name in the destination's message.
    pub fn name(self) -> &'static str {
        match self {
            Condition::RetryAttemptsExhausted { .. } => "RetryAttemptsExhausted",
            Condition::RecordAgeExceeded { .. } => "RecordAgeExceeded",
        }
    }
}

/// What became of records given up on, for the line: the destination that keeps word of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate<'a> {
    /// Sent to the on-failure destination, so labelled (`queue SkippedRecords`).
    Kept(&'a str),
    /// No destination: lost.
    Lost,
    /// The destination could not take them (the reason is said on its own line).
    NotKept,
}

impl GaveUp {
    fn sequences(&self) -> Vec<String> {
        self.records
            .iter()
            .map(|record| sequence_number(record).unwrap_or("?").to_owned())
            .collect()
    }

    /// What happened to them, in words (the end of the `[xtask]` line).
    pub fn told(&self, fate: Fate<'_>) -> String {
        let fate = match fate {
            Fate::Kept(label) => format!("sent to the on-failure destination ({label})"),
            Fate::Lost => "lost: an on-failure destination would have kept where to find them \
                           (README, \"Keep what the stream skips\")"
                .to_owned(),
            Fate::NotKept => "not delivered again, and not kept".to_owned(),
        };
        let sequences = self.sequences();
        match self.condition {
            Condition::RetryAttemptsExhausted { retries } => {
                let which = match self.part {
                    true => format!(
                        " {} from sequence {}",
                        plural(sequences.len(), "record"),
                        sequences.first().map_or("?", String::as_str)
                    ),
                    false => String::new(),
                };
                format!(
                    "skipped{which} after {} (maximumRetryAttempts): {fate}",
                    plural(retries as usize, "retry")
                )
            }
            Condition::RecordAgeExceeded { max_age } => format!(
                "skipped {} ({}) older than maximumRecordAgeInSeconds ({max_age} s): {fate}",
                plural(sequences.len(), "record"),
                range(&sequences)
            ),
        }
    }
}

impl Settled {
    /// The batch's story in one line: the records, the attempt, the answer, what comes next.
    pub fn line(&self, fate: Fate<'_>) -> String {
        let batch = &self.batch;
        let reported = |failures: &[String]| match failures {
            [only] if batch.len() == 1 && batch[0] == *only => "reported as failed".to_owned(),
            _ => format!(
                "{} ({})",
                plural(failures.len(), "reported failure"),
                failures.join(", ")
            ),
        };
        let answer = match &self.answer {
            Answer::Ok => "ok".to_owned(),
            Answer::Reported { failures, known } => {
                reported(failures)
                    + if *known {
                        ""
                    } else {
                        ", not all of this batch: the whole batch failed"
                    }
            }
            Answer::Ignored { failures } => format!(
                "{}, ignored without functionResponseType: ReportBatchItemFailures",
                reported(failures)
            ),
            Answer::Failed(error) => format!("failed ({error})"),
            Answer::NotJson(start) => format!(
                "answered {start:?}, not JSON: the whole batch failed (functionResponseType: \
                 ReportBatchItemFailures reads the answer)"
            ),
        };
        let next = match &self.next {
            Next::Done => "done".to_owned(),
            Next::Lost { count } => format!("done: {} lost", plural(*count, "record")),
            Next::Split { first } => {
                format!("split: the first {} again", plural(*first, "record"))
            }
            Next::Retry { retry, part: None } => format!("retry {retry}"),
            Next::Retry {
                retry,
                part: Some((count, from)),
            } => format!(
                "retry {retry}: {} from sequence {from}",
                plural(*count, "record")
            ),
            Next::GaveUp(gave_up) => gave_up.told(fate),
        };
        format!(
            "batch of {} ({}), attempt {}: {answer} -> {next}",
            plural(batch.len(), "record"),
            range(batch),
            self.attempt
        )
    }
}

pub(super) fn plural(count: usize, noun: &str) -> String {
    match (count, noun) {
        (1, _) => format!("1 {noun}"),
        (_, "retry") => format!("{count} retries"),
        _ => format!("{count} {noun}s"),
    }
}

/// `sequence 5` or `sequences 5..9`.
pub(super) fn range(batch: &[String]) -> String {
    match batch {
        [] => "none".to_owned(),
        [one] => format!("sequence {one}"),
        [first, .., last] => format!("sequences {first}..{last}"),
    }
}
