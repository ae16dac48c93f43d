//! The event source mappings of a local deployment: one poller thread for each function
//! that reads the table's stream, with where it started reading, for the summary.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::functions::Functions;
use super::StreamSource;
use crate::lambda::bus::Bus;
use crate::lambda::event_source::checkpoint::CheckpointFile;
use crate::lambda::event_source::poller::{Feed, StreamPoller};
use crate::lambda::event_source::resumption::{resume, Resumption};
use crate::lambda::function_log::FunctionLog;

#[derive(Debug)]
pub struct Mappings {
    running: Vec<RunningPoller>,
    /// Where each function's mapping started reading.
    starts: Vec<(String, Resumption)>,
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

impl Mappings {
    pub(super) fn new(stop: &Arc<AtomicBool>) -> Self {
        Self {
            running: Vec::new(),
            starts: Vec::new(),
            stop: Arc::clone(stop),
        }
    }

    /// Where each function's mapping started reading.
    pub(super) fn starts(&self) -> &[(String, Resumption)] {
        &self.starts
    }

    /// The feeds a plan wants from `stream`: a running poller gets its new settings (and keeps
    /// its place in the stream), a new one starts where its checkpoint says, one no longer
    /// wanted ends.
    pub(super) fn apply(
        &mut self,
        wanted: Vec<(String, Feed)>,
        stream: Option<(&StreamSource, &Arc<Bus>)>,
        functions: &Functions,
    ) {
        let stream_arn = stream.map(|(stream, _)| stream.stream_arn.as_str());
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
        let Some((stream, bus)) = stream else {
            return;
        };
        for (name, feed) in wanted {
            if self.running.iter().any(|poller| poller.function == name) {
                continue;
            }
            let Some(log) = functions.log(&name) else {
                continue;
            };
            let log = FunctionLog::new(&name, log.to_owned(), Some(Arc::clone(bus)));
            self.start(name, feed, stream, log);
        }
    }

    fn start(&mut self, name: String, feed: Feed, stream: &StreamSource, log: FunctionLog) {
        let checkpoint = CheckpointFile::of(&stream.checkpoints, &name);
        // Where it starts is known before the learner is told the stream is on; should that
        // read fail, the poller reads it itself, a moment later.
        let start = resume(
            &stream.streams,
            &stream.stream_arn,
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
            stream: stream.clone(),
            function_arn: format!("{}{name}", stream.function_arn_prefix),
            log,
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
