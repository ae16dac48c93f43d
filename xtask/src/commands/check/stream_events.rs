//! The stream events `check` sends to a step's handler: records as Lambda delivers them from
//! a DynamoDB table with `NEW_AND_OLD_IMAGES`, and the step's stream function to send them to.

use std::path::Path;

use anyhow::Result;
use serde_json::{json, Value};

use crate::lambda::function::{FunctionSpec, LocalFunction};
use crate::project;

/// A user in DynamoDB's typed form: `{"id": {"S": "1"}, "name": {"S": "Ada"}}`.
pub fn typed(user: &Value) -> Value {
    json!({"id": {"S": user["id"]}, "name": {"S": user["name"]}})
}

/// The sequence number of the check's record number `n`: long, as DynamoDB's are.
pub fn sequence_number(n: u32) -> String {
    format!("{n}00000000000000000001")
}

/// One record; a missing image is `{}`, as Lambda sends it.
pub fn record(n: u32, event_name: &str, id: &str, new_image: Value, old_image: Value) -> Value {
    json!({
        "eventID": format!("check-event-{n}"),
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1_764_000_000 + n,
            "Keys": {"id": {"S": id}},
            "NewImage": new_image,
            "OldImage": old_image,
            "SequenceNumber": sequence_number(n),
            "SizeBytes": 40,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/check/stream/2026-01-01T00:00:00.000",
    })
}

/// The step's binary started as Lambda starts its stream function, logging into a fresh
/// `target/xtask/check/<step>-<purpose>.log`.
pub fn start_function(binary: &Path, step_name: &str, purpose: &str) -> Result<LocalFunction> {
    let log = project::xtask_dir()
        .join("check")
        .join(format!("{step_name}-{purpose}.log"));
    // This run's lines only: an earlier run's output must not make this one pass.
    let _ = std::fs::remove_file(&log);
    LocalFunction::start(FunctionSpec {
        binary,
        arguments: Vec::new(),
        name: "stream",
        handler: "stream.handler",
        region: "us-east-1",
        aws_endpoint: None,
        environment: Vec::new(),
        log,
    })
}

/// Where the handler panicked, from the log (`src/stream.rs:12:60`) and the panic message.
pub fn panic_in(log: &str) -> Option<(String, String)> {
    let at = log.find("panicked at ")?;
    let rest = &log[at + "panicked at ".len()..];
    let (location, message) = rest.split_once(":\n").or_else(|| rest.split_once(": "))?;
    let message = message.lines().next().unwrap_or_default().trim();
    Some((location.trim().to_owned(), message.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_found_with_its_place_and_message() {
        let log = "\nthread 'main' panicked at src/stream.rs:12:60:\ncalled `Result::unwrap()` on an `Err` value: missing field `name`\nnote: run with `RUST_BACKTRACE=1`\n";
        assert_eq!(
            panic_in(log),
            Some((
                "src/stream.rs:12:60".to_owned(),
                "called `Result::unwrap()` on an `Err` value: missing field `name`".to_owned()
            ))
        );
        assert_eq!(panic_in(" INFO all fine\n"), None);
    }
}
