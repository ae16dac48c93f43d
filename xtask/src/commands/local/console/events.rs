//! The console's rendering of what the Lambda emulation tells: each typed event becomes the
//! JSON the page draws.

use std::collections::VecDeque;

use serde_json::{json, Value};

use super::{cut, Hub};
use crate::lambda::observer::{ApiRequest, BatchDelivered, Observer};
use crate::tools::local_dynamodb::plain_item;

/// The longest image, as JSON, that the console gets whole.
const IMAGE: usize = 1000;
/// How many of the batches' story lines are remembered, to leave out of the log lines.
const TOLD: usize = 1000;

impl Observer for Hub {
    fn request(&self, request: &ApiRequest) {
        self.publish(json!({
            "type": "request",
            "method": request.method,
            // The console shows the path, not an attacker's megabyte of it.
            "path": request.target.chars().take(200).collect::<String>(),
            "status": request.status,
            "ms": request.ms,
            "function": request.function,
            "requestId": request.request_id,
        }));
    }

    fn batch(&self, batch: &BatchDelivered<'_>) {
        let answer = match batch.error {
            Some(error) => json!({"error": error}),
            None => json!({"failures": batch.reported}),
        };
        self.tell(format!("[xtask] {}", batch.line));
        self.publish(json!({
            "type": "batch",
            "function": batch.function,
            "records": batch.records.iter().map(console_record).collect::<Vec<_>>(),
            "answer": answer,
            "next": batch.settled.next.name(),
            "kept": batch.kept_in,
            "line": batch.line,
            "requestId": batch.request_id,
            "ms": batch.ms,
        }));
    }

    /// On the terminal, where the learner still looks.
    fn unlogged(&self, function: &str, line: &str) {
        eprintln!("[xtask] {function}: {}", crate::tools::terminal::safe(line));
    }

    fn queue(&self, queue: &str, messages: &[Value]) {
        self.publish_queue(json!({"type": "queue", "queue": queue, "messages": messages}));
    }

    fn replayed(&self, function: &str, records: &[Value], handled: bool) {
        let sequences: Vec<&Value> = records
            .iter()
            .map(|record| &record["dynamodb"]["SequenceNumber"])
            .collect();
        self.publish(json!({
            "type": "replay",
            "function": function,
            "sequences": sequences,
            "handled": handled,
        }));
    }
}

impl Hub {
    /// A log line the page has in a batch's card already.
    fn tell(&self, line: String) {
        let mut told = self
            .told
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        told.push_back(line);
        if told.len() > TOLD {
            told.pop_front();
        }
    }

    /// Whether `line` of a function's log is a batch's story, which its card shows.
    pub fn was_told(&self, line: &str) -> bool {
        let told: &VecDeque<String> = &self
            .told
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        told.iter().any(|told| told == line)
    }
}

/// A record as the console shows it: its sequence number, what happened, and the key and
/// images as plain values.
fn console_record(record: &Value) -> Value {
    let change = &record["dynamodb"];
    // A large item (DynamoDB allows 400 KB) is shown cut: the console keeps many batches.
    let plain = |image: &Value| match image.is_object() {
        true => {
            let item = plain_item(image);
            let text = item.to_string();
            match text.len() > IMAGE {
                true => Value::from(cut(&text, IMAGE)),
                false => item,
            }
        }
        false => Value::Null,
    };
    json!({
        "seq": change["SequenceNumber"],
        "event": record["eventName"],
        "keys": plain(&change["Keys"]),
        "old": plain(&change["OldImage"]),
        "new": plain(&change["NewImage"]),
    })
}
