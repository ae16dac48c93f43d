//! The bench's input: DynamoDB stream events of generated users, the same bytes for both
//! runtimes. INSERT, MODIFY and REMOVE in turn; small items (a short name) or large ones
//! (a name of a few kilobytes); every batch well under Lambda's 6 MB payload limit.

use serde_json::{json, Value};

use xtask::lambda::stream_records::{example_stream_arn, Change};

/// Lambda's limit for an invocation payload.
#[cfg(test)]
const PAYLOAD_LIMIT: usize = 6 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemSize {
    Small,
    Large,
}

impl ItemSize {
    pub fn label(self) -> &'static str {
        match self {
            Self::Small => "small",
            Self::Large => "large",
        }
    }

    fn name(self, n: usize) -> String {
        match self {
            Self::Small => format!("User {n}"),
            // About 4 KB: a user with a long name, escapes included.
            Self::Large => format!("User {n} \"the long\" ") + &"Ω-ü-long name \\ ".repeat(240),
        }
    }
}

fn typed(id: &str, name: &str) -> Value {
    json!({"id": {"S": id}, "name": {"S": name}})
}

/// `count` events of `batch_size` records each, serialized once.
pub fn events(batch_size: usize, size: ItemSize, count: usize) -> Vec<Vec<u8>> {
    let stream_arn = example_stream_arn("bench");
    (0..count)
        .map(|event| {
            let records: Vec<Value> = (0..batch_size)
                .map(|i| {
                    let n = event * batch_size + i;
                    let id = format!("user-{n}");
                    let name = size.name(n);
                    let (event_name, new_image, old_image) = match n % 3 {
                        0 => ("INSERT", Some(typed(&id, &name)), None),
                        1 => (
                            "MODIFY",
                            Some(typed(&id, &name)),
                            Some(typed(&id, "before")),
                        ),
                        _ => ("REMOVE", None, Some(typed(&id, &name))),
                    };
                    Change {
                        event_id: format!("bench-{n}"),
                        event_name,
                        sequence_number: format!("{:021}", n + 1),
                        created: 1_764_000_000,
                        keys: json!({"id": {"S": id}}),
                        new_image,
                        old_image,
                    }
                    .record(&stream_arn, "us-east-1")
                })
                .collect();
            json!({"Records": records}).to_string().into_bytes()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_batch_stays_under_the_payload_limit() {
        let largest = events(1000, ItemSize::Large, 1);
        assert!(
            largest[0].len() < PAYLOAD_LIMIT,
            "{} bytes",
            largest[0].len()
        );
        let value: Value = serde_json::from_slice(&largest[0]).unwrap();
        assert_eq!(value["Records"].as_array().unwrap().len(), 1000);
    }
}
