//! The stream events `check` sends to a step's handler: records as Lambda delivers them from
//! a DynamoDB table with `NEW_AND_OLD_IMAGES`, and the step's stream function to send them to.

use std::path::Path;

use anyhow::Result;
use serde_json::{json, Value};

use crate::lambda::function::{FunctionSpec, LocalFunction};
use crate::lambda::stream_records::{example_stream_arn, Change};
use crate::project;

/// A user in DynamoDB's typed form: `{"id": {"S": "1"}, "name": {"S": "Ada"}}`.
pub fn typed(user: &Value) -> Value {
    json!({"id": {"S": user["id"]}, "name": {"S": user["name"]}})
}

/// The sequence number of the check's record number `n`: long, as DynamoDB's are.
pub fn sequence_number(n: u32) -> String {
    format!("{n}00000000000000000001")
}

/// The check's record number `n`, of a change to the user `id`.
pub fn record(
    n: u32,
    event_name: &str,
    id: &str,
    new_image: Option<Value>,
    old_image: Option<Value>,
) -> Value {
    Change {
        event_id: format!("check-event-{n}"),
        event_name,
        sequence_number: sequence_number(n),
        created: 1_764_000_000 + u64::from(n),
        keys: json!({"id": {"S": id}}),
        new_image,
        old_image,
    }
    .record(&example_stream_arn("check"), "us-east-1")
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
        bus: None,
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
