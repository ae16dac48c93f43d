//! A stream event source mapping's on-failure destination: the message Lambda sends it for
//! the records it gives up on (AWS's "services-dynamodb-errors": the records are not in it,
//! only where to find them in the stream; an S3 object has them too), and the local queue,
//! topic or bucket that keeps it (`local`).

mod formats;
mod local;

pub use formats::payload_records;
pub use local::{DestinationKind, DestinationName, KeptMessage, LocalDestination};

use anyhow::Result;
use serde_json::{json, Value};

use crate::lambda::runtime_api::{error_message, Outcome};
use crate::tools::timestamp::{iso8601_seconds, now_iso8601};

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
}
