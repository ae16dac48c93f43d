//! The console's rendering of what the local cloud tells on its bus: each typed event becomes
//! the JSON the page draws.

use serde_json::{json, Value};

use super::{cut, Hub};
use crate::lambda::bus::{ApiRequest, BatchDelivered, Event, Subscriber};
use crate::tools::local_dynamodb::plain_item;

/// The longest image, as JSON, that the console gets whole.
const IMAGE: usize = 1000;
/// The longest log line the console shows whole.
const LINE: usize = 2000;

impl Subscriber for Hub {
    fn event(&self, event: &Event<'_>) {
        match *event {
            Event::Log { function, line } => self.publish(json!({
                "type": "log",
                "function": function,
                "line": cut(line, LINE),
                "requestId": request_id(line),
            })),
            Event::Request(request) => self.request(request),
            Event::Batch(batch) => self.batch(batch),
            Event::Queue { queue, messages } => {
                self.publish_queue(json!({"type": "queue", "queue": queue, "messages": messages}))
            }
            Event::Replayed {
                function,
                records,
                handled,
            } => self.replayed(function, records, handled),
        }
    }
}

impl Hub {
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

/// `local-1-2` from ` INFO Lambda runtime invoke{requestId="local-1-2"}: ...`.
fn request_id(line: &str) -> Option<&str> {
    let (_, rest) = line.split_once("requestId=\"")?;
    rest.split('"').next()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_line_names_its_invocation() {
        assert_eq!(
            request_id(r#" INFO Lambda runtime invoke{requestId="local-7-12"}: INSERT"#),
            Some("local-7-12")
        );
        assert_eq!(request_id("starting"), None);
    }
}
