//! The local cloud's one bus: everything it has to tell (a function's log line, an API
//! request answered, a batch delivered, a destination's messages, a replay) is published once,
//! as a typed [`Event`], to every [`Subscriber`]: xtask's terminal and the console subscribe;
//! nothing is read back from a file to learn what happened.

use std::sync::{Arc, RwLock};

use serde_json::Value;

use super::event_source::delivery::Settled;

/// An API request, answered.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: String,
    /// The path and query as sent (cut by whoever shows it).
    pub target: String,
    pub status: u16,
    pub ms: u64,
    /// The function that served it, and its invocation's request id.
    pub function: Option<String>,
    pub request_id: Option<String>,
}

/// A batch of stream records delivered to a function, and what came of it.
#[derive(Debug, Clone)]
pub struct BatchDelivered<'a> {
    pub function: &'a str,
    /// The records, as Lambda delivered them.
    pub records: &'a [Value],
    /// The sequence numbers the function reported, or why the invocation failed.
    pub reported: &'a [String],
    pub error: Option<&'a str>,
    pub settled: &'a Settled,
    /// Its story in one line, as the function's log has it (after `[xtask] `).
    pub line: &'a str,
    /// The destination the records given up on were sent to (`queue SkippedRecords`), if
    /// they were.
    pub kept_in: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub ms: u64,
}

/// What the local cloud tells, borrowed for the time of one [`Bus::publish`].
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// One line of a function's log: what its process printed, or the local cloud's own
    /// `[xtask]` line about it (a restart, a timeout, a replay). A batch's story line comes
    /// as [`Event::Batch`] instead.
    Log {
        function: &'a str,
        line: &'a str,
    },
    Request(&'a ApiRequest),
    Batch(&'a BatchDelivered<'a>),
    /// The messages an on-failure destination holds now.
    Queue {
        queue: &'a str,
        messages: &'a [Value],
    },
    /// Records kept by an on-failure destination, replayed to `function`: handled or not.
    Replayed {
        function: &'a str,
        records: &'a [Value],
        handled: bool,
    },
}

/// Whoever shows what the local cloud tells. Called on the publisher's thread (a function's
/// output reader, the poller, the API's server): it must not block; a slow reader queues.
pub trait Subscriber: Send + Sync + std::fmt::Debug {
    fn event(&self, event: &Event<'_>);
}

#[derive(Debug, Default)]
pub struct Bus {
    subscribers: RwLock<Vec<Arc<dyn Subscriber>>>,
}

impl Bus {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn subscribe(&self, subscriber: Arc<dyn Subscriber>) {
        let mut subscribers = match self.subscribers.write() {
            Ok(subscribers) => subscribers,
            Err(poisoned) => poisoned.into_inner(),
        };
        subscribers.push(subscriber);
    }

    /// Tells every subscriber, in the order they subscribed.
    pub fn publish(&self, event: &Event<'_>) {
        let subscribers = match self.subscribers.read() {
            Ok(subscribers) => subscribers,
            Err(poisoned) => poisoned.into_inner(),
        };
        for subscriber in subscribers.iter() {
            subscriber.event(event);
        }
    }
}

/// A bus is only ever the same as itself: two recipes are alike when they tell the same one.
impl PartialEq for Bus {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for Bus {}

/// What a subscriber heard, one line per event (`log LINE`, `batch LINE`, or its kind): the
/// tests' ear on the bus.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct Heard(pub std::sync::Mutex<Vec<String>>);

#[cfg(test)]
impl Subscriber for Heard {
    fn event(&self, event: &Event<'_>) {
        let said = match event {
            Event::Log { function, line } => format!("log {function}: {line}"),
            Event::Batch(batch) => format!("batch {}", batch.line),
            Event::Request(_) => "request".to_owned(),
            Event::Queue { .. } => "queue".to_owned(),
            Event::Replayed { .. } => "replayed".to_owned(),
        };
        if let Ok(mut heard) = self.0.lock() {
            heard.push(said);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subscriber_hears_every_event_in_order() {
        let bus = Bus::new();
        let (first, second) = (Arc::new(Heard::default()), Arc::new(Heard::default()));
        bus.subscribe(first.clone());
        bus.subscribe(second.clone());
        for line in ["one", "two"] {
            bus.publish(&Event::Log {
                function: "stream",
                line,
            });
        }
        let expected = vec!["log stream: one".to_owned(), "log stream: two".to_owned()];
        assert_eq!(*first.0.lock().unwrap(), expected);
        assert_eq!(*second.0.lock().unwrap(), expected);
        assert!(*bus == *bus && *bus != *Bus::new());
    }
}
