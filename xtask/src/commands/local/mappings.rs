//! The event source mappings of a local deployment: one poller thread for each function
//! that reads the table's stream, with where it started reading, for the summary.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::lambda::bus::Bus;
use crate::lambda::event_source::checkpoint::CheckpointFile;
use crate::lambda::event_source::poller::{Feed, StreamPoller};
use crate::lambda::event_source::resumption::{resume, Resumption};
use crate::lambda::function_log::FunctionLog;
use crate::local_state as state;
use crate::tools::local_dynamodb::LocalDynamoDb;

#[derive(Debug)]
pub struct Mappings {
    running: Vec<RunningPoller>,
    /// Where each function's mapping started reading.
    starts: Vec<(String, Resumption)>,
    bus: Arc<Bus>,
    stop: Arc<AtomicBool>,
}

/// A poller's thread, and what it reads for whom.
#[derive(Debug)]
struct RunningPoller {
    function: String,
    /// The stream it reads: a stream turned off and on again is another one.
    stream_arn: String,
    feed: Arc<Mutex<Feed>>,
    thread: JoinHandle<()>,
}

/// The table's stream, and the names its records and messages carry.
#[derive(Debug)]
pub struct Stream<'a> {
    pub step: &'a str,
    pub dynamodb: &'a LocalDynamoDb,
    /// Its ARN in the local DynamoDB.
    pub stream_arn: &'a str,
    /// Its ARN as Lambda puts it in records.
    pub event_source_arn: String,
    pub region: &'a str,
    /// serverless.yml's service, and the stage: a function's name on Lambda is made of them.
    pub service: &'a str,
    pub stage: &'a str,
}

impl Mappings {
    pub fn new(bus: Arc<Bus>, stop: &Arc<AtomicBool>) -> Self {
        Self {
            running: Vec::new(),
            starts: Vec::new(),
            bus,
            stop: Arc::clone(stop),
        }
    }

    /// Where each function's mapping started reading.
    pub fn starts(&self) -> &[(String, Resumption)] {
        &self.starts
    }

    /// The feeds a plan wants from `stream`: a running poller gets its new settings (and keeps
    /// its place in the stream), a new one starts where its checkpoint says, one no longer
    /// wanted ends.
    pub fn apply(&mut self, wanted: Vec<(String, Feed)>, stream: Option<&Stream>) {
        let stream_arn = stream.map(|stream| stream.stream_arn);
        let mut kept = Vec::new();
        for poller in self.running.drain(..) {
            let new = wanted.iter().find(|(n, _)| *n == poller.function);
            // A stream turned off and on is another stream: its poller starts anew.
            let same_stream = stream_arn == Some(poller.stream_arn.as_str());
            let mut current = match poller.feed.lock() {
                Ok(current) => current,
                Err(poisoned) => poisoned.into_inner(),
            };
            match new {
                Some((_, new)) if same_stream => *current = new.clone(),
                _ => current.retired = true,
            }
            drop(current);
            match new.is_some() && same_stream {
                true => kept.push(poller),
                // Its last invocation ends before another poller takes the function.
                false => {
                    let _ = poller.thread.join();
                }
            }
        }
        self.running = kept;
        let Some(stream) = stream else {
            return;
        };
        for (name, feed) in wanted {
            if self.running.iter().any(|poller| poller.function == name) {
                continue;
            }
            self.start(name, feed, stream);
        }
    }

    fn start(&mut self, name: String, feed: Feed, stream: &Stream) {
        let checkpoint = CheckpointFile::of(&state::dir(stream.step), &name);
        // Where it starts is known before the learner is told the stream is on; should that
        // read fail, the poller reads it itself, a moment later.
        let start = resume(
            stream.dynamodb,
            stream.stream_arn,
            &checkpoint,
            feed.settings.from_latest,
        )
        .ok();
        if let Some(start) = &start {
            self.starts.retain(|(n, _)| *n != name);
            self.starts.push((name.clone(), start.how.clone()));
        }
        let feed = Arc::new(Mutex::new(feed));
        let poller = StreamPoller {
            name: name.clone(),
            dynamodb: stream.dynamodb.clone(),
            stream_arn: stream.stream_arn.to_owned(),
            event_source_arn: stream.event_source_arn.clone(),
            function_arn: format!(
                "arn:aws:lambda:{}:000000000000:function:{}-{}-{name}",
                stream.region, stream.service, stream.stage
            ),
            region: stream.region.to_owned(),
            log: FunctionLog::new(
                &name,
                state::function_log(stream.step, &name),
                Some(Arc::clone(&self.bus)),
            ),
            feed: Arc::clone(&feed),
            start,
            checkpoint,
            kept: None,
            stop: Arc::clone(&self.stop),
            stop_reading: false,
        };
        let thread = std::thread::spawn(move || poller.run());
        self.running.push(RunningPoller {
            function: name,
            stream_arn: stream.stream_arn.to_owned(),
            feed,
            thread,
        });
    }
}

impl Drop for Mappings {
    /// The pollers end with the deployment (`stop` is set before it is dropped).
    fn drop(&mut self) {
        for poller in self.running.drain(..) {
            if let Ok(mut feed) = poller.feed.lock() {
                feed.retired = true;
            }
            let _ = poller.thread.join();
        }
    }
}
