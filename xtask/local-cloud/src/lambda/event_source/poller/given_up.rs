//! Records the mapping gives up on (after their retries, or for their age): word of them to
//! the on-failure destination, before the stream's place moves past them; when that cannot be
//! done, the stream stops where it is.

use super::{Delivery, Fate, Feed, GaveUp, StreamPoller};
use crate::lambda::bus::Event;
use crate::lambda::destination::{self, GivenUp};
use serde_json::Value;

impl StreamPoller {
    /// Gives up the records older than `maximumRecordAgeInSeconds`, and says so.
    pub(super) fn expire(&mut self, delivery: &mut Delivery, feed: &Feed, shard_id: &str) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs() as i64);
        if let Some(gave_up) = delivery.expire(now) {
            let fate = self.keep(&gave_up, None, feed, shard_id);
            if fate == Fate::NotKept {
                self.stops_here(&gave_up.told(fate));
                self.stop_reading = true;
                return;
            }
            self.note(&gave_up.told(fate));
            self.keep_place(delivery, None);
        }
    }

    /// Records the destination could not keep (a full disk, say): the stream stops where it
    /// is, and says so; the next start reads them again.
    pub(super) fn stops_here(&self, line: &str) {
        self.note(line);
        self.note(&format!(
            "the stream stops here for function {}: records it gave up on could not be kept, \
             and it does not move past them. Make room (a full disk?), then stop and start \
             `cargo xtask deploy --local` again: they are delivered again",
            self.name
        ));
    }

    /// Records given up on: word of them to the on-failure destination, as Lambda sends it.
    pub(super) fn keep<'f>(
        &self,
        gave_up: &GaveUp,
        request_id: Option<&str>,
        feed: &'f Feed,
        shard_id: &str,
    ) -> Fate<'f> {
        let Some(kept) = &feed.destination else {
            return Fate::Lost;
        };
        let body = destination::message(&GivenUp {
            condition: gave_up.condition.name(),
            invocations: gave_up.invocations,
            function_error: gave_up.function_error,
            request_id,
            function_arn: &self.function_arn,
            shard_id,
            stream_arn: &self.stream.event_source_arn,
            records: &gave_up.records,
        });
        match kept.send(&body, &gave_up.records) {
            Ok(_) => {
                let messages: Vec<Value> = kept.messages().into_iter().map(|m| m.body).collect();
                self.log.tell(&Event::Queue {
                    queue: &kept.label,
                    messages: &messages,
                });
                Fate::Kept(&kept.label)
            }
            Err(error) => {
                self.note(&format!(
                    "sending to the on-failure destination ({}) failed: {error:#}",
                    kept.label
                ));
                Fate::NotKept
            }
        }
    }
}
