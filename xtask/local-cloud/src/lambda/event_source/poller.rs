//! Reads the table's stream from the local DynamoDB, several times a second, and invokes the
//! stream function with its records the way Lambda's event source mapping does.

mod given_up;
mod invoke;

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use serde_json::Value;

use super::checkpoint::{Checkpoint, CheckpointFile};
use super::delivery::{sequence_number, Answer, BatchResult, Delivery, Fate, GaveUp, Next};
use super::resumption::{resume, Resumed};
use crate::lambda::bus::BatchDelivered;
use crate::lambda::destination::LocalDestination;
use crate::lambda::event_source::{MappingSettings, StreamSource};
use crate::lambda::function_log::FunctionLog;
use crate::lambda::pool::FunctionPool;
use crate::lambda::stream_records::as_lambda_record;
use invoke::invoke;

const POLL_EVERY: Duration = Duration::from_millis(100);
/// The longest image, as JSON, that the console gets whole.
const RETRY_AFTER: Duration = Duration::from_millis(500);

/// What the poller feeds and how; `deploy --local --watch` changes it when serverless.yml
/// does, and the poller keeps its place in the stream.
#[derive(Debug, Clone)]
pub struct Feed {
    pub function: Arc<FunctionPool>,
    pub settings: MappingSettings,
    /// The function's `timeout`: a batch that runs longer fails, as on Lambda.
    pub timeout: Duration,
    /// The function no longer reads the stream: the poller ends.
    pub retired: bool,
    /// The event's on-failure destination, if it has one Lambda can send to here.
    pub destination: Option<LocalDestination>,
}

#[derive(Debug)]
pub struct StreamPoller {
    /// The function's name in serverless.yml.
    pub(crate) name: String,
    /// The stream it reads, and the names its records carry.
    pub(crate) stream: StreamSource,
    /// The function's ARN, as a destination's message names it.
    pub(crate) function_arn: String,
    /// The function's log: the poller's lines go there, and its batches are told on its bus.
    pub(crate) log: FunctionLog,
    pub(crate) feed: Arc<Mutex<Feed>>,
    /// Where to start reading ([`resume`]); `None`: found when the poller starts.
    pub(crate) start: Option<Resumed>,
    /// Where the mapping keeps its place.
    pub(crate) checkpoint: CheckpointFile,
    /// The place last written down.
    pub(crate) kept: Option<Checkpoint>,
    pub(crate) stop: Arc<AtomicBool>,
    /// Set when records given up on could not be kept: the poller reads no further.
    pub(crate) stop_reading: bool,
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
            delivery.resume_after(start.after, start.tries);
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
                    &self.stream.streams,
                    &self.stream.stream_arn,
                    &self.checkpoint,
                    feed.settings.from_latest,
                ) {
                    Ok(resumed) => {
                        delivery.resume_after(resumed.after, resumed.tries);
                        iterators = resumed.iterators;
                        shard_id = resumed.shard_id;
                    }
                    Err(error) => self.trouble(&format!("cannot read the stream yet: {error:#}")),
                }
            }
            self.read(&mut delivery, &mut iterators);
            self.keep_place(&delivery, None);
            self.expire(&mut delivery, &feed, &shard_id);
            if self.stop_reading {
                return;
            }
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
                if self.stop_reading {
                    return;
                }
                let Some(batch) = delivery.next_batch() else {
                    break;
                };
                if self
                    .deliver(&mut delivery, &feed, &shard_id, &batch)
                    .is_break()
                {
                    return;
                }
                if delivery.is_retrying() {
                    std::thread::sleep(RETRY_AFTER);
                }
            }
            std::thread::sleep(POLL_EVERY);
        }
    }

    /// New records from each iterator, into the delivery.
    fn read(&mut self, delivery: &mut Delivery, iterators: &mut [String]) {
        for iterator in iterators {
            match self.records(iterator) {
                Ok(records) => {
                    if let Some(note) = delivery.push(records) {
                        self.note(&note);
                    }
                }
                Err(error) => self.trouble(&format!("reading the stream failed: {error:#}")),
            }
        }
    }

    /// One batch to the function, and what comes of it: its place, its line, word of what
    /// was given up on; a break when the stream must stop here.
    fn deliver(
        &mut self,
        delivery: &mut Delivery,
        feed: &Feed,
        shard_id: &str,
        batch: &[Value],
    ) -> ControlFlow<()> {
        let started = std::time::Instant::now();
        let first = batch.first().and_then(sequence_number).unwrap_or_default();
        let last = batch.last().and_then(sequence_number).unwrap_or_default();
        self.keep_place(delivery, Some((first.to_owned(), last.to_owned())));
        let (result, request_id) = invoke(feed, batch);
        let ms = started.elapsed().as_millis() as u64;
        let (reported, error) = match &result {
            BatchResult::Answered(failures) => (failures.clone(), None),
            BatchResult::Failed(error) => (Vec::new(), Some(error.clone())),
            BatchResult::NotJson(_) => (Vec::new(), None),
        };
        let settled = delivery.settle(batch.len(), result);
        // Counted as an error only where Lambda reads the answer.
        let error = match &settled.answer {
            Answer::NotJson(start) => Some(format!("answered {start:?}, not JSON")),
            _ => error,
        };
        let fate = match &settled.next {
            Next::GaveUp(gave_up) => self.keep(gave_up, request_id.as_deref(), feed, shard_id),
            _ => Fate::Lost,
        };
        if fate == Fate::NotKept {
            // Never past a record that is not kept: the place stays before this batch,
            // which the next start delivers again.
            self.stops_here(&settled.line(fate));
            return ControlFlow::Break(());
        }
        self.keep_place(delivery, None);
        let line = settled.line(fate);
        let kept = match fate {
            Fate::Kept(queue) => Some(queue),
            _ => None,
        };
        self.log.batch(&BatchDelivered {
            function: &self.name,
            records: batch,
            reported: &reported,
            error: error.as_deref(),
            settled: &settled,
            line: &line,
            kept_in: kept,
            request_id: request_id.as_deref(),
            ms,
        });
        ControlFlow::Continue(())
    }

    /// The feed as it is now; `None` once it is retired.
    fn feed(&self) -> Option<Feed> {
        let feed = match self.feed.lock() {
            Ok(feed) => feed.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        (!feed.retired).then_some(feed)
    }

    /// The local cloud's own lines about the stream go into the function's log, marked as
    /// such.
    fn note(&self, line: &str) {
        self.log.note(line);
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
            stream_arn: self.stream.stream_arn.clone(),
            after: delivery.checkpoint().map(str::to_owned),
            in_flight,
            tries: delivery.tries(),
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
        let (records, next) = self.stream.streams.page(iterator)?;
        if let Some(next) = next {
            *iterator = next;
        }
        Ok(records
            .into_iter()
            .filter_map(|record| {
                as_lambda_record(record, &self.stream.event_source_arn, &self.stream.region)
            })
            .collect())
    }
}
