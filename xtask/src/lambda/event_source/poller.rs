//! Reads the table's stream from the local DynamoDB, several times a second, and invokes the
//! stream function with its records the way Lambda's event source mapping does.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::{json, Value};

use super::checkpoint::{Checkpoint, CheckpointFile};
use super::delivery::{sequence_number, BatchResult, Delivery, Fate, GaveUp, Next};
use crate::lambda::destination::{self, GivenUp, LocalQueue};
use crate::lambda::log_file::append_line;
use crate::lambda::observer::{BatchDelivered, Observer};
use crate::lambda::pool::FunctionPool;
use crate::lambda::runtime_api::{error_message, Outcome};
use crate::lambda::stream_records::as_lambda_record;
use crate::serverless_yml::StreamSettings;
use crate::tools::local_dynamodb::LocalDynamoDb;

const POLL_EVERY: Duration = Duration::from_millis(100);
/// The longest image, as JSON, that the console gets whole.
const RETRY_AFTER: Duration = Duration::from_millis(500);

/// What the poller feeds and how; `deploy --local --watch` changes it when serverless.yml
/// does, and the poller keeps its place in the stream.
#[derive(Debug, Clone)]
pub struct Feed {
    pub function: Arc<FunctionPool>,
    pub settings: StreamSettings,
    /// The function's `timeout`: a batch that runs longer fails, as on Lambda.
    pub timeout: Duration,
    /// The function no longer reads the stream: the poller ends.
    pub retired: bool,
    /// The event's on-failure destination, if it has one Lambda can send to here.
    pub destination: Option<LocalQueue>,
}

#[derive(Debug)]
pub struct StreamPoller {
    /// The function's name in serverless.yml.
    pub name: String,
    pub observer: Arc<dyn Observer>,
    pub dynamodb: LocalDynamoDb,
    /// The stream in the local DynamoDB.
    pub stream_arn: String,
    /// The stream's ARN as Lambda names it in records.
    pub event_source_arn: String,
    /// The function's ARN, as a destination's message names it.
    pub function_arn: String,
    pub region: String,
    pub log: std::path::PathBuf,
    pub feed: Arc<Mutex<Feed>>,
    /// Where to start reading ([`resume`]); `None`: found when the poller starts.
    pub start: Option<Resumed>,
    /// Where the mapping keeps its place.
    pub checkpoint: CheckpointFile,
    /// The place last written down.
    pub kept: Option<Checkpoint>,
    pub stop: Arc<AtomicBool>,
}

impl StreamPoller {
    /// Runs until `stop` is set or its feed is retired; problems go to the function's log,
    /// and polling goes on.
    pub fn run(mut self) {
        let Some(mut feed) = self.feed() else {
            return;
        };
        let mut delivery = Delivery::new(feed.settings.clone());
        let mut iterators = Vec::new();
        let mut shard_id = String::new();
        if let Some(start) = self.start.take() {
            delivery.resume_after(start.after);
            iterators = start.iterators;
            shard_id = start.shard_id;
        }
        while !self.stop.load(Ordering::Relaxed) {
            match self.feed() {
                Some(latest) => feed = latest,
                None => return,
            }
            delivery.reconfigure(&feed.settings);
            if iterators.is_empty() {
                match resume(
                    &self.dynamodb,
                    &self.stream_arn,
                    &self.checkpoint,
                    feed.settings.from_latest,
                ) {
                    Ok(resumed) => {
                        delivery.resume_after(resumed.after);
                        iterators = resumed.iterators;
                        shard_id = resumed.shard_id;
                    }
                    Err(error) => self.trouble(&format!("cannot read the stream yet: {error:#}")),
                }
            }
            for iterator in &mut iterators {
                match self.records(iterator) {
                    Ok(records) => {
                        if let Some(note) = delivery.push(records) {
                            self.note(&note);
                        }
                    }
                    Err(error) => self.trouble(&format!("reading the stream failed: {error:#}")),
                }
            }
            self.keep_place(&delivery, None);
            self.expire(&mut delivery, &feed, &shard_id);
            while delivery.ready(std::time::Instant::now()) {
                // A batch retried again and again must still see a saved serverless.yml (a
                // retry limit added, the stream turned off) and the deployment's end.
                match self.feed() {
                    Some(latest) if !self.stop.load(Ordering::Relaxed) => feed = latest,
                    _ => return,
                }
                delivery.reconfigure(&feed.settings);
                // Lambda checks a record's age before each retry too.
                self.expire(&mut delivery, &feed, &shard_id);
                let Some(batch) = delivery.next_batch() else {
                    break;
                };
                let started = std::time::Instant::now();
                let first = batch.first().and_then(sequence_number).unwrap_or_default();
                let last = batch.last().and_then(sequence_number).unwrap_or_default();
                self.keep_place(&delivery, Some((first.to_owned(), last.to_owned())));
                let (result, request_id) = invoke(&feed, &batch);
                let ms = started.elapsed().as_millis() as u64;
                let (reported, error) = match &result {
                    BatchResult::Answered(failures) => (failures.clone(), None),
                    BatchResult::Failed(error) => (Vec::new(), Some(error.clone())),
                };
                let settled = delivery.settle(batch.len(), result);
                let fate = match &settled.next {
                    Next::GaveUp(gave_up) => {
                        self.keep(gave_up, request_id.as_deref(), &feed, &shard_id)
                    }
                    _ => Fate::Lost,
                };
                self.keep_place(&delivery, None);
                let line = settled.line(fate);
                append_line(&self.log, &format!("[xtask] {line}"));
                let kept = match fate {
                    Fate::Kept(queue) => Some(queue),
                    _ => None,
                };
                self.observer.batch(&BatchDelivered {
                    function: &self.name,
                    records: &batch,
                    reported: &reported,
                    error: error.as_deref(),
                    settled: &settled,
                    line: &line,
                    kept_in: kept,
                    request_id: request_id.as_deref(),
                    ms,
                });
                if delivery.is_retrying() {
                    std::thread::sleep(RETRY_AFTER);
                }
            }
            std::thread::sleep(POLL_EVERY);
        }
    }

    /// The feed as it is now; `None` once it is retired.
    fn feed(&self) -> Option<Feed> {
        let feed = match self.feed.lock() {
            Ok(feed) => feed.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        (!feed.retired).then_some(feed)
    }

    /// xtask's own lines about the stream go into the function's log, marked as such (the
    /// console reads them there).
    fn note(&self, line: &str) {
        append_line(&self.log, &format!("[xtask] {line}"));
    }

    /// Gives up the records older than `maximumRecordAgeInSeconds`, and says so.
    fn expire(&mut self, delivery: &mut Delivery, feed: &Feed, shard_id: &str) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs() as i64);
        if let Some(gave_up) = delivery.expire(now) {
            let fate = self.keep(&gave_up, None, feed, shard_id);
            self.note(&gave_up.told(fate));
            self.keep_place(delivery, None);
        }
    }

    /// Records given up on: word of them to the on-failure destination, as Lambda sends it.
    fn keep<'f>(
        &self,
        gave_up: &GaveUp,
        request_id: Option<&str>,
        feed: &'f Feed,
        shard_id: &str,
    ) -> Fate<'f> {
        let Some(queue) = &feed.destination else {
            return Fate::Lost;
        };
        let body = destination::message(&GivenUp {
            condition: gave_up.condition.name(),
            invocations: gave_up.invocations,
            function_error: gave_up.function_error,
            request_id,
            function_arn: &self.function_arn,
            shard_id,
            stream_arn: &self.event_source_arn,
            records: &gave_up.records,
        });
        match queue.send(&body) {
            Ok(_) => {
                let messages: Vec<Value> = queue.messages().into_iter().map(|m| m.body).collect();
                self.observer.queue(&queue.name, &messages);
                Fate::Kept(&queue.name)
            }
            Err(error) => {
                self.note(&format!(
                    "sending to the on-failure destination (queue {}) failed: {error:#}",
                    queue.name
                ));
                Fate::NotKept
            }
        }
    }

    /// A problem reading the stream, unless the deployment is stopping (then it is what the
    /// stopping causes, not a problem).
    fn trouble(&self, line: &str) {
        if !self.stop.load(Ordering::Relaxed) {
            self.note(line);
        }
    }

    /// Writes the mapping's place down when it moved, or a batch goes out (`in_flight`).
    fn keep_place(&mut self, delivery: &Delivery, in_flight: Option<(String, String)>) {
        let checkpoint = Checkpoint {
            stream_arn: self.stream_arn.clone(),
            after: delivery.checkpoint().map(str::to_owned),
            in_flight,
        };
        if self.kept.as_ref() == Some(&checkpoint) {
            return;
        }
        match self.checkpoint.write(&checkpoint) {
            Ok(()) => self.kept = Some(checkpoint),
            Err(error) => self.trouble(&format!("keeping the stream's place failed: {error:#}")),
        }
    }

    /// New records since the iterator, in Lambda's event format; moves the iterator on.
    fn records(&self, iterator: &mut String) -> Result<Vec<Value>> {
        let answer = self.dynamodb.call(
            "DynamoDBStreams_20120810.GetRecords",
            &json!({"ShardIterator": iterator}),
        )?;
        if let Some(next) = answer["NextShardIterator"].as_str() {
            *iterator = next.to_owned();
        }
        let records = answer["Records"].as_array().cloned().unwrap_or_default();
        Ok(records
            .into_iter()
            .filter_map(|record| as_lambda_record(record, &self.event_source_arn, &self.region))
            .collect())
    }
}

/// Where a mapping starts reading a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resumption {
    /// A new mapping, from the stream's oldest record (`TRIM_HORIZON`).
    FromStart,
    /// A new mapping, after the stream's newest record (`LATEST`).
    FromLatest,
    /// Where the last run's mapping stopped: after this sequence number.
    After(String),
    /// The last run was killed while this batch was being delivered: it comes again.
    InFlight { first: String, last: String },
}

impl std::fmt::Display for Resumption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resumption::FromStart => write!(f, "reads the stream from its oldest record"),
            Resumption::FromLatest => write!(f, "reads the stream from its newest record on"),
            Resumption::After(sequence) => write!(
                f,
                "resumes after sequence {sequence}, where the last run stopped"
            ),
            Resumption::InFlight { first, last } => write!(
                f,
                "the last run was stopped while a batch (sequences {first}..{last}) was being \
                 delivered: it comes again (an event source mapping delivers at least once)"
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Resumed {
    pub iterators: Vec<String>,
    /// The shard they read (the local DynamoDB has one per stream).
    pub shard_id: String,
    /// The checkpoint it starts from.
    pub after: Option<String>,
    pub how: Resumption,
}

/// Iterators for the stream's shard (the local DynamoDB has one per stream), from where the
/// kept checkpoint says, else from its start or (`from_latest`) its end; a new mapping's
/// place is written down at once, so that a restart before its first batch misses nothing.
pub fn resume(
    dynamodb: &LocalDynamoDb,
    stream_arn: &str,
    checkpoint: &CheckpointFile,
    from_latest: bool,
) -> Result<Resumed> {
    let kept = checkpoint.read(stream_arn);
    let (after, how) = match kept {
        Some(kept) => {
            let how = match (&kept.in_flight, &kept.after) {
                (Some((first, last)), _) => Resumption::InFlight {
                    first: first.clone(),
                    last: last.clone(),
                },
                (None, Some(after)) => Resumption::After(after.clone()),
                (None, None) => Resumption::FromStart,
            };
            (kept.after, how)
        }
        None if from_latest => {
            let newest = newest_sequence(dynamodb, stream_arn)?;
            (newest, Resumption::FromLatest)
        }
        None => (None, Resumption::FromStart),
    };
    checkpoint.write(&Checkpoint {
        stream_arn: stream_arn.to_owned(),
        after: after.clone(),
        in_flight: None,
    })?;
    let shards = shards(dynamodb, stream_arn)?;
    let iterators = shards
        .iter()
        .map(|shard| {
            let mut request = json!({"StreamArn": stream_arn, "ShardId": shard});
            match &after {
                Some(sequence) => {
                    request["ShardIteratorType"] = json!("AFTER_SEQUENCE_NUMBER");
                    request["SequenceNumber"] = json!(sequence);
                }
                None => request["ShardIteratorType"] = json!("TRIM_HORIZON"),
            }
            let answer = dynamodb.call("DynamoDBStreams_20120810.GetShardIterator", &request)?;
            answer["ShardIterator"]
                .as_str()
                .map(str::to_owned)
                .context("GetShardIterator gave no iterator")
        })
        .collect::<Result<_>>()?;
    Ok(Resumed {
        iterators,
        shard_id: shards.first().cloned().unwrap_or_default(),
        after,
        how,
    })
}

fn shards(dynamodb: &LocalDynamoDb, stream_arn: &str) -> Result<Vec<String>> {
    let description = dynamodb.call(
        "DynamoDBStreams_20120810.DescribeStream",
        &json!({"StreamArn": stream_arn}),
    )?;
    Ok(description["StreamDescription"]["Shards"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|shard| shard["ShardId"].as_str().map(str::to_owned))
        .collect())
}

/// The sequence number of the stream's newest record, read from its start.
fn newest_sequence(dynamodb: &LocalDynamoDb, stream_arn: &str) -> Result<Option<String>> {
    let mut newest = None;
    for shard in shards(dynamodb, stream_arn)? {
        let answer = dynamodb.call(
            "DynamoDBStreams_20120810.GetShardIterator",
            &json!({"StreamArn": stream_arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
        )?;
        let mut iterator = answer["ShardIterator"].as_str().map(str::to_owned);
        while let Some(current) = iterator.take() {
            let page = dynamodb.call(
                "DynamoDBStreams_20120810.GetRecords",
                &json!({"ShardIterator": current}),
            )?;
            let records = page["Records"].as_array().cloned().unwrap_or_default();
            if records.is_empty() {
                break;
            }
            newest = records
                .last()
                .and_then(|record| record["dynamodb"]["SequenceNumber"].as_str())
                .map(str::to_owned)
                .or(newest);
            iterator = page["NextShardIterator"].as_str().map(str::to_owned);
        }
    }
    Ok(newest)
}

/// One batch to the function; its answer as the event source mapping reads it, and the
/// invocation's request id.
fn invoke(feed: &Feed, batch: &[Value]) -> (BatchResult, Option<String>) {
    let event = json!({"Records": batch}).to_string();
    let (outcome, request_id) = feed.function.invoke(event.as_bytes(), feed.timeout);
    let result = match outcome {
        Ok(Outcome::Response(body)) => {
            let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let failures = answer["batchItemFailures"]
                .as_array()
                .into_iter()
                .flatten()
                // A null or missing identifier is kept, as "": it fails the whole batch.
                .map(|failure| {
                    failure["itemIdentifier"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect();
            BatchResult::Answered(failures)
        }
        Ok(Outcome::Error(body)) => BatchResult::Failed(short(&error_message(&body))),
        Err(error) => BatchResult::Failed(short(&format!("{error:#}"))),
    };
    (result, request_id)
}

/// The first line, at most 120 characters: the story line stays one line.
fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    match line.char_indices().nth(120) {
        Some((end, _)) => format!("{}...", &line[..end]),
        None => line.to_owned(),
    }
}
