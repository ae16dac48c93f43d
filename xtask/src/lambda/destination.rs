//! A stream event source mapping's on-failure destination, locally: an SQS queue whose
//! messages are files in the step's local state (they survive a restart, as a queue's do),
//! and the message Lambda sends it for the records it gives up on (AWS's "services-dynamodb-
//! errors": the records are not in it, only where to find them in the stream).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};
use serde_json::{json, Value};

use crate::lambda::runtime_api::{error_message, Outcome};
use crate::tools::files::{safe_file_name, write_atomically};
use crate::tools::timestamp::{iso8601_seconds, now_iso8601};

/// A queue of the local deployment: `<state>/queues/<name>/<message id>.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalQueue {
    pub name: String,
    dir: PathBuf,
}

/// One message of a queue, oldest first when listed.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueMessage {
    pub id: String,
    /// When it was sent, in ms since the epoch.
    pub sent_ms: u64,
    pub body: Value,
    /// The file it is kept in (what [`LocalQueue::delete`] removes, whatever the file says its
    /// id is); none for a message read from elsewhere (AWS).
    pub file: Option<PathBuf>,
}

impl LocalQueue {
    /// The queue `name` of the deployment whose state is in `state_dir`.
    pub fn in_state(state_dir: &Path, name: &str) -> Self {
        Self {
            name: name.to_owned(),
            dir: state_dir.join("queues").join(safe_file_name(name)),
        }
    }

    /// Sends a message; its id.
    pub fn send(&self, body: &Value) -> Result<String> {
        static SENT: AtomicU64 = AtomicU64::new(0);
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating the queue {}", self.dir.display()))?;
        let sent_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_millis() as u64);
        // Ids sort by time of sending, and two xtasks never pick the same one.
        let id = format!(
            "{sent_ms:013}-{}-{}",
            std::process::id(),
            SENT.fetch_add(1, Ordering::Relaxed)
        );
        let message = json!({"MessageId": id, "SentTimestamp": sent_ms, "Body": body.to_string()});
        write_atomically(
            &self.dir.join(format!("{id}.json")),
            message.to_string().as_bytes(),
        )?;
        Ok(id)
    }

    /// Its messages, oldest first.
    pub fn messages(&self) -> Vec<QueueMessage> {
        self.read().0
    }

    /// Its messages, oldest first, and the files in it that are not messages (damaged, cut
    /// short): listed, never taken for none.
    pub fn read(&self) -> (Vec<QueueMessage>, Vec<PathBuf>) {
        let mut messages = Vec::new();
        let mut damaged = Vec::new();
        let files = std::fs::read_dir(&self.dir).into_iter().flatten().flatten();
        for path in files.map(|entry| entry.path()) {
            if path.extension().is_none_or(|e| e != "json") || !path.is_file() {
                continue;
            }
            match read_message(&path) {
                Some(message) => messages.push(message),
                None => damaged.push(path),
            }
        }
        messages.sort_by(|a, b| a.id.cmp(&b.id));
        damaged.sort();
        (messages, damaged)
    }

    /// Deletes a message (its records were handled): the file it was read from.
    pub fn delete(&self, message: &QueueMessage) -> Result<()> {
        let Some(path) = &message.file else {
            anyhow::bail!("message {} is not kept in a file of the queue", message.id);
        };
        std::fs::remove_file(path).with_context(|| format!("deleting {}", path.display()))
    }
}

fn read_message(path: &Path) -> Option<QueueMessage> {
    let text = std::fs::read_to_string(path).ok()?;
    let message: Value = serde_json::from_str(&text).ok()?;
    Some(QueueMessage {
        id: message["MessageId"].as_str()?.to_owned(),
        sent_ms: message["SentTimestamp"].as_u64()?,
        body: serde_json::from_str(message["Body"].as_str()?).ok()?,
        file: Some(path.to_owned()),
    })
}

/// Whether the function handled a replayed batch: it answered, and reported none of it.
pub fn replay_handled(outcome: Result<Outcome>) -> std::result::Result<(), String> {
    match outcome {
        Ok(Outcome::Response(body)) => {
            let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let failures: Vec<&str> = answer["batchItemFailures"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| f["itemIdentifier"].as_str().unwrap_or(""))
                .collect();
            match failures.as_slice() {
                [] => Ok(()),
                some => Err(format!("it reported {}", some.join(", "))),
            }
        }
        Ok(Outcome::Error(body)) => Err(error_message(&body)),
        Err(error) => Err(format!("{error:#}")),
    }
}

/// What Lambda knows of records it gives up on, for its message.
#[derive(Debug, Clone)]
pub struct GivenUp<'a> {
    /// `RetryAttemptsExhausted` or `RecordAgeExceeded`.
    pub condition: &'a str,
    /// Invocations that carried the records.
    pub invocations: u32,
    /// The last invocation failed, rather than reporting them.
    pub function_error: bool,
    /// The last invocation's request id, if there was one.
    pub request_id: Option<&'a str>,
    pub function_arn: &'a str,
    pub shard_id: &'a str,
    /// The stream's ARN as Lambda names it.
    pub stream_arn: &'a str,
    /// The records, oldest first, as Lambda delivers them.
    pub records: &'a [Value],
}

/// The message Lambda sends to a stream mapping's on-failure destination.
pub fn message(given_up: &GivenUp<'_>) -> Value {
    let sequence = |record: Option<&Value>| {
        record.map_or(Value::Null, |r| r["dynamodb"]["SequenceNumber"].clone())
    };
    let arrival = |record: Option<&Value>| {
        record
            .and_then(|r| r["dynamodb"]["ApproximateCreationDateTime"].as_f64())
            .map(|seconds| seconds as i64)
            .map_or(Value::Null, |seconds| Value::from(iso8601_seconds(seconds)))
    };
    let (first, last) = (given_up.records.first(), given_up.records.last());
    // AWS's message (recorded): `functionError` is there either way, null when the function
    // answered with the records it could not handle.
    let function_error = given_up.function_error.then_some("Unhandled");
    let response = json!({"statusCode": 200, "executedVersion": "$LATEST",
                          "functionError": function_error});
    json!({
        "requestContext": {
            "requestId": given_up.request_id.map_or_else(new_request_id, str::to_owned),
            "functionArn": given_up.function_arn,
            "condition": given_up.condition,
            "approximateInvokeCount": given_up.invocations,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": now_iso8601(),
        "DDBStreamBatchInfo": {
            "shardId": given_up.shard_id,
            "startSequenceNumber": sequence(first),
            "endSequenceNumber": sequence(last),
            "approximateArrivalOfFirstRecord": arrival(first),
            "approximateArrivalOfLastRecord": arrival(last),
            "batchSize": given_up.records.len(),
            "streamArn": given_up.stream_arn,
        },
    })
}

/// An id for a message no invocation preceded (records that aged out unread): a UUID, as
/// Lambda's request ids are.
fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(sequence: &str, created: i64) -> Value {
        json!({"dynamodb": {"SequenceNumber": sequence, "ApproximateCreationDateTime": created}})
    }

    /// AWS "services-dynamodb-errors": the message names the shard, the first and last
    /// sequence numbers and their arrival, the batch size and the stream, not the records.
    #[test]
    fn the_message_says_where_the_records_are_not_what_they_are() {
        let records = [record("100", 1_796_189_874), record("102", 1_796_189_875)];
        let body = message(&GivenUp {
            condition: "RetryAttemptsExhausted",
            invocations: 4,
            function_error: false,
            request_id: Some("req-1"),
            function_arn: "arn:aws:lambda:us-east-1:000000000000:function:svc-local-stream",
            shard_id: "shardId-00000001-t",
            stream_arn: "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x",
            records: &records,
        });
        assert_eq!(body["requestContext"]["requestId"], "req-1");
        assert_eq!(
            body["requestContext"]["condition"],
            "RetryAttemptsExhausted"
        );
        assert_eq!(body["requestContext"]["approximateInvokeCount"], 4);
        assert_eq!(
            body["responseContext"],
            json!({"statusCode": 200, "executedVersion": "$LATEST", "functionError": null})
        );
        assert_eq!(body["version"], "1.0");
        assert_eq!(
            body["DDBStreamBatchInfo"],
            json!({"shardId": "shardId-00000001-t", "startSequenceNumber": "100",
                   "endSequenceNumber": "102",
                   "approximateArrivalOfFirstRecord": "2026-12-02T05:37:54Z",
                   "approximateArrivalOfLastRecord": "2026-12-02T05:37:55Z", "batchSize": 2,
                   "streamArn": "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x"})
        );
        assert!(body.to_string().len() < 1000, "no records in it: {body}");
    }

    #[test]
    fn a_queue_keeps_its_messages_in_order_until_deleted() {
        let dir = std::env::temp_dir().join(format!("xtask-queue-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let queue = LocalQueue::in_state(&dir, "SkippedRecords");
        queue.send(&json!({"n": 1})).unwrap();
        let second = queue.send(&json!({"n": 2})).unwrap();
        let messages = LocalQueue::in_state(&dir, "SkippedRecords").messages();
        assert_eq!(
            messages
                .iter()
                .map(|m| m.body["n"].clone())
                .collect::<Vec<_>>(),
            [json!(1), json!(2)]
        );
        queue.delete(&messages[0]).unwrap();
        assert_eq!(queue.messages().len(), 1);
        assert_eq!(queue.messages()[0].id, second);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A message file whose id says another name, or which is cut short: the first is
    /// deleted by its file (never a path its content names), the second listed as damaged.
    #[test]
    fn a_message_is_its_file_and_a_damaged_file_is_listed() {
        let dir = std::env::temp_dir().join(format!("xtask-queue-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let queue = LocalQueue::in_state(&dir, "SkippedRecords");
        queue.send(&json!({"n": 1})).unwrap();
        let outside = dir.join("x.json");
        std::fs::write(&outside, "precious").unwrap();
        let queue_dir = dir.join("queues").join("SkippedRecords");
        let renamed = queue_dir.join("renamed.json");
        let only = std::fs::read_dir(&queue_dir)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let text = std::fs::read_to_string(&only).unwrap();
        let id = serde_json::from_str::<Value>(&text).unwrap()["MessageId"].clone();
        std::fs::write(&renamed, text.replace(id.as_str().unwrap(), "../../x")).unwrap();
        std::fs::remove_file(&only).unwrap();
        std::fs::write(queue_dir.join("cut.json"), "{\"MessageId\": \"1").unwrap();
        let (messages, damaged) = queue.read();
        assert_eq!(damaged, vec![queue_dir.join("cut.json")]);
        queue.delete(&messages[0]).unwrap();
        assert!(!renamed.exists());
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
