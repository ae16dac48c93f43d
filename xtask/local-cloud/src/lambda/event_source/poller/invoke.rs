//! One batch to the function, and its answer as the event source mapping reads it.

use serde_json::{json, Value};

use super::Feed;
use crate::lambda::event_source::delivery::BatchResult;
use crate::lambda::runtime_api::{error_message, Outcome};

/// One batch to the function; its answer as the event source mapping reads it, and the
/// invocation's request id.
pub(super) fn invoke(feed: &Feed, batch: &[Value]) -> (BatchResult, Option<String>) {
    let event = json!({"Records": batch}).to_string();
    let (outcome, request_id) = feed.function.invoke(event.as_bytes(), feed.timeout);
    let result = match outcome {
        Ok(Outcome::Response(body)) => {
            // No answer at all is `null`, success; an answer that is not JSON is not.
            let answer: Value = match body.iter().all(u8::is_ascii_whitespace) {
                true => Value::Null,
                false => match serde_json::from_slice(&body) {
                    Ok(answer) => answer,
                    Err(_) => {
                        let start = String::from_utf8_lossy(&body[..body.len().min(40)]);
                        return (BatchResult::NotJson(short(&start)), request_id);
                    }
                },
            };
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
