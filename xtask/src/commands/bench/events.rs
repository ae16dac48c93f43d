//! The bench's input: DynamoDB stream events of generated users, the same bytes for both
//! runtimes. INSERT, MODIFY and REMOVE in turn; small items (a short name) or large ones
//! (a name of a few kilobytes); every batch well under Lambda's 6 MB payload limit.

use serde_json::{json, Value};

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
    (0..count)
        .map(|event| {
            let records: Vec<Value> = (0..batch_size)
                .map(|i| {
                    let n = event * batch_size + i;
                    let id = format!("user-{n}");
                    let name = size.name(n);
                    let (event_name, new_image, old_image) = match n % 3 {
                        0 => ("INSERT", typed(&id, &name), json!({})),
                        1 => ("MODIFY", typed(&id, &name), typed(&id, "before")),
                        _ => ("REMOVE", json!({}), typed(&id, &name)),
                    };
                    json!({
                        "eventID": format!("bench-{n}"),
                        "eventName": event_name,
                        "eventVersion": "1.1",
                        "eventSource": "aws:dynamodb",
                        "awsRegion": "us-east-1",
                        "dynamodb": {
                            "ApproximateCreationDateTime": 1_764_000_000,
                            "Keys": {"id": {"S": id}},
                            "NewImage": new_image,
                            "OldImage": old_image,
                            "SequenceNumber": format!("{:021}", n + 1),
                            "SizeBytes": 40 + name.len(),
                            "StreamViewType": "NEW_AND_OLD_IMAGES",
                        },
                        "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/bench/stream/2026-01-01T00:00:00.000",
                    })
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
